// The cockpit's cards (总览 on the phone, the big screen): which exist, the person's saved
// choice merged with them, moving/hiding a card, and the sites ranked by consumption.
// Pure: the saving is in api/preferences.js (docs/cockpit.md).

/** Every card, in the default order (the backend's COCKPIT_CARDS: the server refuses others). */
export const CARDS = ['ranking', 'oneline', 'energy', 'trend', 'alarms', 'stats', 'live_power', 'top_circuits']

/** The saved choice ([{key, hidden}]) as the full list: the saved cards in their order
 *  (unknown keys dropped), then every card the choice does not mention (a new release's),
 *  shown. */
export function mergeCards(saved) {
  const out = []
  const seen = new Set()
  for (const c of Array.isArray(saved) ? saved : []) {
    if (!CARDS.includes(c?.key) || seen.has(c.key)) continue
    seen.add(c.key)
    out.push({ key: c.key, hidden: !!c.hidden })
  }
  for (const key of CARDS) if (!seen.has(key)) out.push({ key, hidden: false })
  return out
}

/** The cards to show, in order. */
export function visibleCards(cards) {
  return cards.filter((c) => !c.hidden).map((c) => c.key)
}

/** ``cards`` with ``key`` moved by ``delta`` places (-1 up, +1 down), clamped. */
export function moveCard(cards, key, delta) {
  const i = cards.findIndex((c) => c.key === key)
  if (i < 0) return cards
  const j = Math.max(0, Math.min(cards.length - 1, i + delta))
  if (i === j) return cards
  const out = cards.slice()
  const [c] = out.splice(i, 1)
  out.splice(j, 0, c)
  return out
}

/** ``cards`` with ``key`` hidden or shown. */
export function toggleCard(cards, key) {
  return cards.map((c) => (c.key === key ? { ...c, hidden: !c.hidden } : c))
}

/**
 * Sites ranked by consumption: the energy overview's sites ({site_id, name, today_kwh,
 * month_kwh, ...}) by ``by`` ('today' | 'month'), largest first, with the open alarms of
 * each (``alarms``: site_id -> count) and the energy intensity when the API gives it
 * (the overview's ``month_kwh_per_m2``, from the KPI denominators; null when none is entered).
 */
export function rankSites(overview, alarms = {}, by = 'today') {
  const field = by === 'month' ? 'month_kwh' : 'today_kwh'
  const rows = (overview?.sites || []).map((s) => ({
    site_id: s.site_id, name: s.name, code: s.code,
    kwh: typeof s[field] === 'number' ? s[field] : null,
    alarms: alarms[s.site_id] ?? null,
    intensity: pickIntensity(s),
    cost: typeof s[`${by === 'month' ? 'month' : 'today'}_cost`] === 'number' ? s[`${by === 'month' ? 'month' : 'today'}_cost`] : null,
  }))
  rows.sort((a, b) => (b.kwh ?? -1) - (a.kwh ?? -1) || String(a.name).localeCompare(String(b.name)))
  const max = rows.reduce((m, r) => Math.max(m, r.kwh ?? 0), 0)
  return rows.map((r, i) => ({ ...r, rank: i + 1, share: max > 0 && r.kwh !== null ? r.kwh / max : 0 }))
}

function pickIntensity(s) {
  const v = s.intensity ?? s.energy_intensity ?? s.month_kwh_per_m2 ?? s.intensity_kwh_per_m2
  if (typeof v === 'number') return v
  if (v && typeof v === 'object' && typeof v.value === 'number') return v.value
  return null
}

/** Does the overview carry any of the fields (cost, intensity) a card shows only when present? */
export function hasField(overview, pick) {
  return (overview?.sites || []).some((s) => pick(s) !== null && pick(s) !== undefined)
}

/** Today's cost of a site row of the overview when the API gives one (null otherwise). */
export function todayCost(s) {
  const v = s?.today_cost ?? s?.cost?.today
  return typeof v === 'number' ? v : null
}
