// The one-line diagram (单线图) of a site's supply tree, as pure functions (no Vue, no DOM):
// the layout (the supply at the top, each board a busbar, its circuits as branches dropping
// from it, downstream boards under their feeder circuit) and the drawing's live styling
// (line width by kW, animated flow, breaker state, alarm). Computed, not hand-placed, so
// that a site of a few hundred circuits stays readable: leaves get one column each, a
// parent sits centred over its children, and the page scrolls/zooms the SVG.

export const COL_W = 96 // one leaf column
export const ROW_H = 92 // one level
export const PAD = 24
export const LABEL_MAX = 9 // characters of a name under its node

/**
 * Layout of ``topology`` ({site, boards: [{id, code, name, circuits: [...]}]}, circuits
 * {id, code, name, devices, circuits, boards}). Returns {nodes, edges, buses, width, height}:
 * - nodes: {key, kind: 'source'|'board'|'circuit', id, code, name, x, y, depth, ref} (ref:
 *   the topology object), in tree order;
 * - edges: {key, from, to, x1, y1, x2, y2, circuitId} — the line into a circuit carries
 *   that circuit's power (circuitId), the line into a board its feeder's (null for a board
 *   fed from the supply: the site's total);
 * - buses: {key, boardId, x1, x2, y} — a board's busbar across its circuits.
 */
export function layoutOneLine(topology, { colW = COL_W, rowH = ROW_H, pad = PAD } = {}) {
  const empty = { nodes: [], edges: [], buses: [], width: 0, height: 0 }
  if (!topology?.site) return empty
  const nodes = []
  const edges = []
  const buses = []
  let col = 0
  let maxDepth = 0
  const place = (depth) => {
    maxDepth = Math.max(maxDepth, depth)
    return pad + depth * rowH
  }
  // children: a board's circuits; a circuit's child circuits then downstream boards
  const kids = (kind, ref) => (kind === 'board'
    ? (ref.circuits || []).map((c) => ['circuit', c])
    : kind === 'circuit'
      ? [...(ref.circuits || []).map((c) => ['circuit', c]), ...(ref.boards || []).map((b) => ['board', b])]
      : (ref.boards || []).map((b) => ['board', b]))
  // post-order: leaves take the next column, a parent centres over its first and last child
  const visit = (kind, ref, depth) => {
    const node = { key: kind === 'source' ? 'source' : `${kind}:${ref.id}`, kind,
      id: kind === 'source' ? ref.site.id : ref.id,
      code: kind === 'source' ? ref.site.code : ref.code,
      name: kind === 'source' ? ref.site.name : ref.name, x: 0, y: place(depth), depth, ref }
    nodes.push(node)
    const children = kids(kind, ref).map(([k, r]) => visit(k, r, depth + 1))
    if (!children.length) {
      node.x = pad + col * colW + colW / 2
      col++
    } else {
      node.x = (children[0].x + children[children.length - 1].x) / 2
    }
    for (const c of children) {
      if (kind === 'board') continue // drawn from the busbar below
      edges.push({ key: `${node.key}>${c.key}`, from: node.key, to: c.key, x1: node.x, y1: node.y,
        x2: c.x, y2: c.y, circuitId: c.kind === 'circuit' ? c.id : (kind === 'circuit' ? node.id : null) })
    }
    if (kind === 'board' && children.length) {
      const y = node.y + rowH * 0.35
      buses.push({ key: `bus:${ref.id}`, boardId: ref.id, y,
        x1: Math.min(node.x, children[0].x) - 8, x2: Math.max(node.x, children[children.length - 1].x) + 8 })
      edges.push({ key: `${node.key}>bus`, from: node.key, to: `bus:${ref.id}`, x1: node.x, y1: node.y,
        x2: node.x, y2: y, circuitId: null, bus: true })
      for (const c of children) {
        edges.push({ key: `${node.key}>${c.key}`, from: `bus:${ref.id}`, to: c.key, x1: c.x, y1: y,
          x2: c.x, y2: c.y, circuitId: c.id })
      }
    }
    return node
  }
  visit('source', topology, 0)
  for (const e of edges) e.d = elbow(e, rowH)
  return { nodes, edges, buses, width: pad * 2 + Math.max(col, 1) * colW, height: pad * 2 + maxDepth * rowH + 40 }
}

/** The SVG path of an edge: straight when vertical, else down to the level between the
 *  two rows, across, and down (one-line diagrams draw no diagonals). */
export function elbow(e, rowH = ROW_H) {
  if (e.x1 === e.x2) return `M${e.x1} ${e.y1} V${e.y2}`
  const mid = e.y1 + Math.min(rowH * 0.35, (e.y2 - e.y1) / 2)
  return `M${e.x1} ${e.y1} V${mid} H${e.x2} V${e.y2}`
}

/** The zoom that shows a diagram ``width`` wide in a box ``box`` wide: fit, but never
 *  smaller than ``min`` (labels stay legible; the box scrolls) nor larger than 1. */
export function fitZoom(width, box, min = 0.45) {
  if (!(width > 0) || !(box > 0)) return 1
  return Math.max(min, Math.min(1, Math.floor((box / width) * 100) / 100))
}

/** Line width (px) of a branch carrying ``kw`` when the largest branch carries ``maxKw``:
 *  1.5 for nothing known or nothing flowing, up to 8 for the largest; by the square root,
 *  so that small loads stay visible next to the incomer. */
export function strokeForKw(kw, maxKw) {
  if (typeof kw !== 'number' || !Number.isFinite(kw) || kw <= 0 || !(maxKw > 0)) return 1.5
  return Math.round((1.5 + 6.5 * Math.sqrt(Math.min(kw, maxKw) / maxKw)) * 10) / 10
}

/** Does power flow on a branch (animated dashes)? Only a known, positive kW on a closed line. */
export function flowing(kw, state) {
  return typeof kw === 'number' && kw > 0.001 && state !== 'open' && state !== 'tripped' && state !== 'offline'
}

/** The breaker's state drawn on a branch: open / closed / tripped (others as they are). */
export function breakerMark(state) {
  if (state === 'tripped') return { symbol: 'tripped', color: '#ee0a24' }
  if (state === 'open') return { symbol: 'open', color: '#969799' }
  if (state === 'closed') return { symbol: 'closed', color: '#07c160' }
  if (state === 'fault') return { symbol: 'closed', color: '#ff976a' }
  return { symbol: 'unknown', color: '#c8c9cc' }
}

/** Is a circuit in alarm (声光)? Tripped, or an open alarm-level alarm on it or its devices. */
export function inAlarm(state, alarmLevel) {
  return state === 'tripped' || alarmLevel === 'alarm'
}

/** The keys in ``now`` that were not in ``before`` (circuits that just went into alarm:
 *  the diagram beeps once for them, not on every redraw). */
export function newlyAlarmed(before, now) {
  const had = new Set(before || [])
  return [...(now || [])].filter((k) => !had.has(k))
}

/** A name cut for a node's label. */
export function shortLabel(name, max = LABEL_MAX) {
  const s = String(name ?? '')
  return s.length > max ? `${s.slice(0, max - 1)}…` : s
}
