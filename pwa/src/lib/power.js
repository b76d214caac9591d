// Pure functions over the site topology and the latest values (no Vue, no fetch):
// circuit power, load, state, the most loaded circuits, the site's total power.

/** Value of a metric in a latest-values entry: {values: {m: {v, ts, q}}}. */
export function metricValue(entry, metric) {
  const cell = entry?.values?.[metric]
  return cell && cell.v !== undefined ? cell.v : null
}

function num(v) {
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

/** Every circuit of the topology, depth-first, with its board and depth. */
export function flattenCircuits(topology) {
  const out = []
  const walkBoard = (board, depth) => {
    for (const c of board.circuits || []) walkCircuit(c, board, depth)
  }
  const walkCircuit = (c, board, depth) => {
    out.push({ circuit: c, board, depth })
    for (const child of c.circuits || []) walkCircuit(child, board, depth + 1)
    for (const b of c.boards || []) walkBoard(b, depth + 1)
  }
  for (const b of topology?.boards || []) walkBoard(b, 0)
  return out
}

/** Active power (kW) of one circuit: what a device on it measures (they measure the
 *  same line: the largest reading wins), else the sum of what is downstream of it. */
export function circuitPower(circuit, latest) {
  let own = null
  for (const d of circuit.devices || []) {
    const p = num(metricValue(latest[d.id], 'active_power'))
    if (p !== null && (own === null || Math.abs(p) > Math.abs(own))) own = p
  }
  if (own !== null) return own
  let sum = null
  const add = (p) => { if (p !== null) sum = (sum ?? 0) + p }
  for (const child of circuit.circuits || []) add(circuitPower(child, latest))
  for (const b of circuit.boards || []) add(boardPower(b, latest))
  return sum
}

export function boardPower(board, latest) {
  let sum = null
  for (const c of board.circuits || []) {
    const p = circuitPower(c, latest)
    if (p !== null) sum = (sum ?? 0) + p
  }
  return sum
}

/** The site's power: the sum over the boards fed by the utility (null: nothing known). */
export function sitePower(topology, latest) {
  let sum = null
  for (const b of topology?.boards || []) {
    const p = boardPower(b, latest)
    if (p !== null) sum = (sum ?? 0) + p
  }
  return sum
}

/** The devices whose active power makes up the site's power when every root circuit
 *  is metered (null otherwise): their history can seed the live chart. */
export function sitePowerDevices(topology, latest) {
  const ids = []
  for (const b of topology?.boards || []) {
    for (const c of b.circuits || []) {
      const d = (c.devices || []).find((x) => num(metricValue(latest[x.id], 'active_power')) !== null)
      if (!d) return null
      ids.push(d.id)
    }
  }
  return ids.length ? ids : null
}

/** Load of a circuit as a fraction of its breaker's rating: the highest phase current
 *  over rated current, else active power over rated power. */
export function circuitLoad(circuit, latest) {
  let best = null
  for (const d of circuit.devices || []) {
    const e = latest[d.id]
    let ratio = null
    if (d.rated_current) {
      const currents = ['current_a', 'current_b', 'current_c'].map((m) => num(metricValue(e, m)))
        .filter((v) => v !== null)
      if (currents.length) ratio = Math.max(...currents) / d.rated_current
    }
    if (ratio === null && d.rated_power) {
      const p = num(metricValue(e, 'active_power'))
      if (p !== null) ratio = Math.abs(p) / d.rated_power
    }
    if (ratio !== null && (best === null || ratio > best)) best = ratio
  }
  return best
}

/** The ``n`` circuits with the highest load. */
export function topCircuits(topology, latest, n = 5) {
  return flattenCircuits(topology)
    .map(({ circuit, board }) => ({ circuit, board, load: circuitLoad(circuit, latest),
      power: circuitPower(circuit, latest) }))
    .filter((r) => r.load !== null)
    .sort((a, b) => b.load - a.load)
    .slice(0, n)
}

export const ALARM_STATES = new Set(['tripped'])
export const WARNING_STATES = new Set(['fault'])

/** Live state of a device from its latest values: tripped (open with a trip cause),
 *  fault (a local fault indicator lit), open, closed, offline, or unknown. */
export function deviceState(entry) {
  if (!entry) return 'unknown'
  if (entry.online === false) return 'offline'
  const sw = metricValue(entry, 'switch_state')
  const cause = metricValue(entry, 'trip_cause')
  const faults = metricValue(entry, 'fault_indicators')
  if (sw === 'open' && cause && cause !== 'none') return 'tripped'
  if (Array.isArray(faults) && faults.length) return 'fault'
  if (sw === 'open' || sw === 'closed') return sw
  return entry.online ? 'closed' : 'unknown'
}

const RANK = ['tripped', 'fault', 'offline', 'open', 'closed', 'unknown']

/** The most severe state of the circuit's devices that have one. */
export function circuitState(circuit, latest) {
  const states = (circuit.devices || [])
    .filter((d) => d.kind === 'breaker' || d.kind === 'meter')
    .map((d) => deviceState(latest[d.id]))
  if (!states.length) return 'unknown'
  return states.sort((a, b) => RANK.indexOf(a) - RANK.indexOf(b))[0]
}

/** The device a tap on a circuit opens: its breaker, else its first device. */
export function primaryDevice(circuit) {
  const devs = circuit.devices || []
  return devs.find((d) => d.kind === 'breaker') || devs.find((d) => d.kind === 'meter') || devs[0] || null
}
