// Pure helpers for lights (no Vue, no fetch): a KNX group or a load controller switched on
// and off and dimmed. What a device accepts comes from its record's ``actions``; what it
// shows from its latest values (a KNX group: ``light`` on/off and ``brightness`` %; a load
// controller: ``switch_state`` closed/open and ``dim_level`` %).
import { metricValue } from './power.js'

export const LIGHT_ACTIONS = ['on', 'off', 'dim']

/** The light controls among ``actions``, in the order on, off, dim. */
export function lightActions(actions) {
  const have = new Set(actions || [])
  return LIGHT_ACTIONS.filter((a) => have.has(a))
}

/** Whether a device (its record or topology node) is switched on and off like a light. */
export function isLight(device) {
  const a = lightActions(device?.actions)
  return a.includes('on') || a.includes('off')
}

/** ``{state: on | off | offline | unknown, level: % or null}`` from a device's latest values. */
export function lightState(entry) {
  const light = metricValue(entry, 'light')
  const sw = metricValue(entry, 'switch_state')
  const raw = metricValue(entry, 'brightness') ?? metricValue(entry, 'dim_level')
  const level = typeof raw === 'number' && Number.isFinite(raw) ? raw : null
  let state = light === 'on' || light === 'off' ? light : sw === 'closed' ? 'on' : sw === 'open' ? 'off' : 'unknown'
  if (entry?.online === false) state = 'offline'
  return { state, level }
}

/** The KNX groups of a topology: ``[{device, circuit}]``, on circuits (in the order of the
 *  one-line diagram) then those on no circuit (``circuit`` null). */
export function knxGroups(topology) {
  const out = []
  const walkCircuit = (c) => {
    for (const d of c.devices || []) if (d.kind === 'knx_group') out.push({ device: d, circuit: c })
    for (const x of c.circuits || []) walkCircuit(x)
    for (const b of c.boards || []) walkBoard(b)
  }
  const walkBoard = (b) => { for (const c of b.circuits || []) walkCircuit(c) }
  for (const b of topology?.boards || []) walkBoard(b)
  for (const d of topology?.unattached_devices || []) if (d.kind === 'knx_group') out.push({ device: d, circuit: null })
  return out
}

/** A ``knx_telegram`` event's values as latest-value cells ``{metric: {v, ts}}``. */
export function telegramCells(event) {
  const out = {}
  for (const [k, v] of Object.entries(event?.values || {})) out[k] = { v, ts: event.at }
  return out
}

/** A dim level as the API takes it: a whole percent within 0-100 (null when not a number). */
export function clampLevel(v) {
  const n = Number(v)
  if (v === null || v === '' || !Number.isFinite(n)) return null
  return Math.min(100, Math.max(0, Math.round(n)))
}
