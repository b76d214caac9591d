// A site's link to its site box as the centre sees it (``link`` of GET /sites,
// docs/sitelink.md): the badge shown beside the site's name, or null for a site the
// centre polls itself (``local``) or one listed without a link.
export const BADGE_TYPES = { up: 'success', down: 'danger', stopped: 'danger' }

export function linkBadge(link) {
  if (!link?.remote || !BADGE_TYPES[link.state]) return null
  return { state: link.state, type: BADGE_TYPES[link.state], key: `uplink.badge.${link.state}` }
}

/** The sites with a link to show in the console's table: remote ones first (down and
 *  stopped before up), then the local ones, each group by name. */
const ORDER = { stopped: 0, down: 1, up: 2, local: 3 }
export function linkRows(sites) {
  return (sites || []).map((s) => ({ id: s.id, code: s.code, name: s.name, link: s.link || null }))
    .sort((a, b) => (ORDER[a.link?.state] ?? 4) - (ORDER[b.link?.state] ?? 4) ||
      String(a.name).localeCompare(String(b.name)))
}

/** A command at the centre for a site box's device (``delivery``, docs/sitelink.md), or
 *  the box's own command mirrored up (``site_origin_id`` without ``delivery``): the note
 *  shown on it, or null for a command of the centre's own; such a command is the box's to
 *  approve and cancel, never the centre's. */
export function deliveryNote(cmd) {
  if (cmd?.delivery) return `uplink.delivery.${cmd.delivery}`
  return cmd?.site_origin_id ? 'uplink.delivery.site' : null
}

export function actsHere(cmd) {
  return !cmd?.delivery && !cmd?.site_origin_id
}

/** The site boxes' reported local changes (GET /uplink/config/changes) as the centre's
 *  table shows them: one row per differing field, conflicts first, then the oldest. */
export function changeRows(changes) {
  const rows = []
  for (const ch of changes || []) {
    const fields = Object.entries(ch.fields || {})
    fields.forEach(([field, v], i) => rows.push({
      id: `${ch.site_id}:${ch.kind}:${ch.key}:${field}`, first: i === 0, span: fields.length,
      change: ch, field, local: v?.local, central: v?.central,
    }))
  }
  const rank = (r) => [r.change.conflict ? 0 : 1, r.change.since || '~', r.change.site_code || '']
  return rows.map((r, i) => ({ r, i })).sort((a, b) => {
    const x = rank(a.r); const y = rank(b.r)
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return x[k] < y[k] ? -1 : 1
    return a.i - b.i
  }).map(({ r }) => r)
}
