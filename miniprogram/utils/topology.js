// Pure helpers over a site's topology (GET /sites/{id}/topology) and its latest values
// (GET /sites/{id}/latest), as the PWA's src/lib/control.js and power.js do: the areas ->
// boards -> circuits walk, what a circuit feeds, a breaker's state and the actions offered.

const i18n = require('./i18n')

// Devices switched on/off/dim (docs/control.md): load controllers and KNX groups.
const LOAD_KINDS = ['load', 'knx_group']

// Every area of the tree, depth-first: [{id, name, code, depth}]
function flattenAreas(areas, depth = 0, out = []) {
  for (const a of areas || []) {
    out.push({ id: a.id, code: a.code, name: a.name, depth })
    flattenAreas(a.children, depth + 1, out)
  }
  return out
}

function subAreaIds(areas, id) {
  const ids = new Set()
  const walk = (list, inside) => {
    for (const a of list || []) {
      const here = inside || a.id === id
      if (here) ids.add(a.id)
      walk(a.children, here)
    }
  }
  walk(areas, false)
  return ids
}

// Every board of the site, wherever it hangs (boards fed by circuits included).
function allBoards(topology) {
  const out = []
  const walkBoard = (b) => { out.push(b); (b.circuits || []).forEach(walkCircuit) }
  const walkCircuit = (c) => { (c.circuits || []).forEach(walkCircuit); (c.boards || []).forEach(walkBoard) }
  ;(topology && topology.boards || []).forEach(walkBoard)
  return out
}

// The boards of an area and its sub-areas (null: the boards without an area).
function boardsOfArea(topology, areaId) {
  const boards = allBoards(topology)
  if (areaId === null) return boards.filter((b) => !b.area_id)
  const ids = subAreaIds(topology.areas, areaId)
  return boards.filter((b) => ids.has(b.area_id))
}

function findBoard(topology, id) {
  return allBoards(topology).find((b) => b.id === id) || null
}

// A board's circuits, depth-first with their depth (not those of the boards it feeds).
function boardCircuits(board) {
  const out = []
  const walk = (c, depth) => { out.push({ circuit: c, depth }); (c.circuits || []).forEach((x) => walk(x, depth + 1)) }
  ;(board && board.circuits || []).forEach((c) => walk(c, 0))
  return out
}

function findCircuitOfDevice(topology, deviceId) {
  for (const b of allBoards(topology)) {
    for (const { circuit } of boardCircuits(b)) {
      if ((circuit.devices || []).some((d) => d.id === deviceId)) return { circuit, board: b }
    }
  }
  return { circuit: null, board: null }
}

// What loses power when ``circuit`` opens: its child circuits and the circuits of the
// boards it feeds, all the way down.
function downstream(circuit) {
  const out = []
  const walk = (c) => {
    for (const x of c.circuits || []) { out.push(x); walk(x) }
    for (const b of c.boards || []) for (const x of b.circuits || []) { out.push(x); walk(x) }
  }
  if (circuit) walk(circuit)
  return out
}

function value(entry, metric) {
  const cell = entry && entry.values && entry.values[metric]
  return cell && cell.v !== undefined ? cell.v : null
}

function deviceState(entry) {
  if (!entry) return 'unknown'
  if (entry.online === false) return 'offline'
  const sw = value(entry, 'switch_state')
  const cause = value(entry, 'trip_cause')
  const faults = value(entry, 'fault_indicators')
  if (sw === 'open' && cause && cause !== 'none') return 'tripped'
  if (Array.isArray(faults) && faults.length) return 'fault'
  if (sw === 'open' || sw === 'closed') return sw
  return entry.online ? 'closed' : 'unknown'
}

function breakerActions(state) {
  if (state === 'tripped') return ['reset', 'close', 'open']
  if (state === 'open') return ['close', 'open']
  return ['open', 'close']
}

function primaryDevice(circuit) {
  const devs = circuit.devices || []
  return devs.find((d) => d.kind === 'breaker') || devs.find((d) => d.kind === 'meter') || devs[0] || null
}

function fmt(v, unit) {
  if (v === null || v === undefined || typeof v !== 'number') return ''
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2
  return `${v.toFixed(digits)} ${unit}`
}

// One line of live values for a circuit: its state and current / power / leakage.
function liveLine(entry) {
  if (!entry) return { state: 'unknown', text: '' }
  const currents = ['current_a', 'current_b', 'current_c'].map((m) => value(entry, m)).filter((v) => typeof v === 'number')
  const parts = [
    currents.length ? fmt(Math.max(...currents), 'A') : fmt(value(entry, 'current'), 'A'),
    fmt(value(entry, 'active_power'), 'kW'),
    fmt(value(entry, 'leakage_current'), 'mA'),
  ].filter(Boolean)
  return { state: deviceState(entry), text: parts.join(' · ') }
}

// A load controller's or KNX group's state: on / off (a load's relay is switch_state
// closed/open, a KNX group's ``light`` on/off), offline, else unknown; and its level (%),
// a load's dim_level or a group's brightness, null when it has none.
function loadState(entry) {
  if (!entry) return 'unknown'
  if (entry.online === false) return 'offline'
  const light = value(entry, 'light')
  if (light === 'on' || light === 'off') return light
  const sw = value(entry, 'switch_state')
  if (sw === 'closed') return 'on'
  if (sw === 'open') return 'off'
  return 'unknown'
}

function loadLevel(entry) {
  const v = value(entry, 'dim_level')
  const b = v === null ? value(entry, 'brightness') : v
  return typeof b === 'number' ? Math.round(b) : null
}

// The actions to offer a load, from what the device accepts (its record's ``actions``):
// the switch that changes its state first (off when on), then dim.
function loadActions(accepted, state) {
  const order = state === 'on' ? ['off', 'on', 'dim'] : ['on', 'off', 'dim']
  return order.filter((a) => (accepted || []).includes(a))
}

module.exports = { loadState, loadLevel, loadActions, LOAD_KINDS, flattenAreas, subAreaIds, allBoards, boardsOfArea, findBoard, boardCircuits,
  findCircuitOfDevice, downstream, value, deviceState, breakerActions, primaryDevice, liveLine,
  // texts in the current language (i18n/*.js topo.*)
  get STATE_TEXT() { return i18n.dict().topo.state },
  get MODE_TEXT() { return i18n.dict().topo.mode },
  get ACTION_TEXT() { return i18n.dict().topo.action } }
