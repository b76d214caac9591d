// The supply tree the topology editor draws, built from the flat lists the admin store
// holds for one site (boards, circuits, devices), as GET /sites/{id}/topology nests it:
// boards fed by no circuit at the top; under a board the circuits fed by its incomer
// (no parent); under a circuit its devices, its downstream circuits (parent_id) and the
// boards it feeds (feeder_circuit_id). Pure functions (tests/unit/admin/topology.test.js).

const byCode = (a, b) => String(a.code ?? '').localeCompare(String(b.code ?? ''))

function groupBy(list, keyOf) {
  const out = new Map()
  for (const x of [...list].sort(byCode)) {
    const k = keyOf(x)
    if (!out.has(k)) out.set(k, [])
    out.get(k).push(x)
  }
  return out
}

export const nodeKey = (kind, id) => `${kind}:${id}`

/**
 * ``{roots, unattached, index, parent}``: ``roots`` the top boards (then any record the
 * walk could not reach, e.g. a cycle in the data, so nothing disappears); ``unattached``
 * the devices on no circuit; ``index`` key -> node; ``parent`` key -> the parent's key.
 * A node is ``{key, kind: 'board'|'circuit'|'device', id, item, children}``.
 */
export function buildTree({ boards = [], circuits = [], devices = [] } = {}) {
  const circuitIds = new Set(circuits.map((c) => c.id))
  const known = (id) => (circuitIds.has(id) ? id : null)
  const devicesOf = groupBy(devices, (d) => known(d.circuit_id))
  const downstreamOf = groupBy(circuits.filter((c) => known(c.parent_id) !== null), (c) => c.parent_id)
  const incomerOf = groupBy(circuits.filter((c) => known(c.parent_id) === null), (c) => c.board_id)
  const fedBy = groupBy(boards, (b) => known(b.feeder_circuit_id))
  const index = new Map()
  const parent = new Map()

  function node(kind, item, parentKey, kids) {
    const key = nodeKey(kind, item.id)
    const n = { key, kind, id: item.id, item, children: [] }
    index.set(key, n)
    if (parentKey) parent.set(key, parentKey)
    n.children = kids(key)
    return n
  }
  const fresh = (kind) => (x) => !index.has(nodeKey(kind, x.id))
  const deviceNode = (pk) => (d) => node('device', d, pk, () => [])
  const circuitNode = (pk) => (c) => node('circuit', c, pk, (key) => [
    ...(devicesOf.get(c.id) || []).map(deviceNode(key)),
    ...(downstreamOf.get(c.id) || []).filter(fresh('circuit')).map(circuitNode(key)),
    ...(fedBy.get(c.id) || []).filter(fresh('board')).map(boardNode(key)),
  ])
  const boardNode = (pk) => (b) => node('board', b, pk, (key) =>
    (incomerOf.get(b.id) || []).filter(fresh('circuit')).map(circuitNode(key)))

  const roots = (fedBy.get(null) || []).map(boardNode(null))
  // Left over: records in a loop (or on a missing board); shown at the top level.
  for (const b of [...boards].sort(byCode)) if (fresh('board')(b)) roots.push(boardNode(null)(b))
  for (const c of [...circuits].sort(byCode)) if (fresh('circuit')(c)) roots.push(circuitNode(null)(c))
  const unattached = (devicesOf.get(null) || []).map(deviceNode(null))
  return { roots, unattached, index, parent }
}

/** The rows to draw, depth first; children of a key in ``collapsed`` are left out. */
export function flatten(nodes, collapsed = new Set(), depth = 0, out = [], up = null) {
  for (const n of nodes) {
    const open = !collapsed.has(n.key)
    out.push({ key: n.key, kind: n.kind, id: n.id, item: n.item, depth, count: n.children.length, open, up })
    if (open && n.children.length) flatten(n.children, collapsed, depth + 1, out, n.item)
  }
  return out
}

/** The keys above ``key``, nearest first. */
export function ancestors(tree, key) {
  const out = []
  const seen = new Set([key])
  for (let k = tree.parent.get(key); k && !seen.has(k); k = tree.parent.get(k)) {
    out.push(k)
    seen.add(k)
  }
  return out
}

/** Every key below ``key`` (its devices, downstream circuits and boards, and theirs). */
export function descendants(tree, key) {
  const out = new Set()
  const walk = (n) => { for (const c of n.children) { out.add(c.key); walk(c) } }
  const n = tree.index.get(key)
  if (n) walk(n)
  return out
}

/** Would hanging ``key`` under ``targetKey`` close a loop (the API refuses it)? */
export function wouldCycle(tree, key, targetKey) {
  if (!targetKey) return false
  return targetKey === key || ancestors(tree, targetKey).includes(key)
}

/** The supply path of a node, top first: ``[{kind, id, code, name}]`` (itself last). */
export function supplyPath(tree, key) {
  return [...ancestors(tree, key).reverse(), key].map((k) => tree.index.get(k)).filter(Boolean)
    .map((n) => ({ kind: n.kind, id: n.id, code: n.item.code, name: n.item.name }))
}
