// Pure helpers for alarms: which are open, the marks they put on the facility view,
// names from the topology, labels.
import { t, tOr } from '../i18n/index.js'

export const OPEN_STATES = ['active', 'acknowledged']
export const LEVEL_RANK = { warning: 1, alarm: 2 }

export const isOpen = (a) => OPEN_STATES.includes(a?.state)

/** The worse of two levels (alarm beats warning). */
export function worse(a, b) {
  return (LEVEL_RANK[b] || 0) > (LEVEL_RANK[a] || 0) ? b : a
}

/** {circuits: {id: level}, devices: {id: level}} of the open alarms in ``map`` (id -> alarm). */
export function alarmMarks(map) {
  const circuits = {}
  const devices = {}
  for (const a of Object.values(map || {})) {
    if (!isOpen(a)) continue
    if (a.circuit_id) circuits[a.circuit_id] = worse(circuits[a.circuit_id], a.level)
    if (a.device_id) devices[a.device_id] = worse(devices[a.device_id], a.level)
  }
  return { circuits, devices }
}

/** Does ``a`` match the list filters {level: [], state: [], rootOnly}? */
export function matches(a, f) {
  if (f.level?.length && !f.level.includes(a.level)) return false
  if (f.state?.length && !f.state.includes(a.state)) return false
  if (f.rootOnly && a.parent_id) return false
  return true
}

const indexes = new WeakMap()
/** Circuits and devices of a topology by id (devices know their circuit); memoised. */
export function indexTopology(topology) {
  if (!topology) return { circuits: {}, devices: {} }
  if (!indexes.has(topology)) indexes.set(topology, buildIndex(topology))
  return indexes.get(topology)
}

function buildIndex(topology) {
  const circuits = {}
  const devices = {}
  const walkBoard = (b) => (b.circuits || []).forEach(walkCircuit)
  const walkCircuit = (c) => {
    circuits[c.id] = c
    for (const d of c.devices || []) devices[d.id] = { ...d, circuit: c }
    ;(c.circuits || []).forEach(walkCircuit)
    ;(c.boards || []).forEach(walkBoard)
  }
  ;(topology?.boards || []).forEach(walkBoard)
  return { circuits, devices }
}

export const ruleLabel = (rule) => tOr(`alarms.rules.${rule}`, rule)
export const levelLabel = (level) => tOr(`alarms.levels.${level}`, level)
export const stateLabel = (state) => tOr(`alarms.states.${state}`, state)

function num(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—'
  return String(Math.round(v * 100) / 100)
}

/** "263 V" / "1.25" / "—": the alarm's value with its unit. */
export function fmtAlarmValue(v, unit) {
  if (v === null || v === undefined) return '—'
  return unit ? `${num(v)} ${unit}` : num(v)
}

/** "过压 · 报警" plus the trip cause, for a list row. */
export function alarmTitle(a) {
  let cause = ''
  if (a.trip_cause && a.trip_cause === a.rule) cause = ` · ${t('state.tripped')}`
  else if (a.trip_cause) cause = ` · ${t('alarms.tripped', { cause: tOr(`values.${a.trip_cause}`, a.trip_cause) })}`
  return `${ruleLabel(a.rule)}${cause}`
}

/** ISO time as local "MM-DD HH:MM:SS" (with the year when not this year). */
export function fmtAt(iso) {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return '—'
  const p = (n) => String(n).padStart(2, '0')
  const day = `${p(d.getMonth() + 1)}-${p(d.getDate())}`
  const year = d.getFullYear() === new Date().getFullYear() ? '' : `${d.getFullYear()}-`
  return `${year}${day} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
}

/** Where an alarm is: "device name · circuit name" from the topology, else its ids. */
export function alarmPlace(a, topology) {
  const { circuits, devices } = indexTopology(topology)
  const d = devices[a.device_id]
  const c = circuits[a.circuit_id] || d?.circuit
  const parts = []
  if (c) parts.push(c.name)
  if (d) parts.push(d.code || d.name)
  if (!parts.length && a.device_id) parts.push(`#${a.device_id}`)
  return parts.join(' · ')
}
