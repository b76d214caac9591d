// Pure helpers for remote switching (no Vue, no fetch): the states of a command, the
// circuit a device is on and what that circuit feeds, the actions a breaker offers.

export const IN_FLIGHT = ['requested', 'awaiting_approval', 'queued', 'sent']
/** The switching actions (a settings change is action ``settings``). */
export const SWITCHING = ['open', 'close', 'reset', 'on', 'off', 'dim']

/** A settled command's tone: success, danger (it did not happen) or default (withdrawn). */
export function stateTone(state) {
  if (state === 'confirmed') return 'success'
  if (['failed', 'timed_out', 'refused', 'rejected', 'expired'].includes(state)) return 'danger'
  if (state === 'awaiting_approval') return 'warning'
  if (IN_FLIGHT.includes(state)) return 'primary'
  return 'default'
}

/** The steps a command goes through (the protected circuit's approval first), and where
 *  this one is: ``{steps: [state...], active: index, end: the settled state or null}``.
 *  A command that ended before confirming shows its end in place of ``confirmed``. */
export function progress(cmd, isProtected = false) {
  const approval = isProtected || cmd?.approved_by || cmd?.approval_expires_at || cmd?.state === 'awaiting_approval'
  const steps = [...(approval ? ['awaiting_approval'] : []), 'queued', 'sent', 'confirmed']
  if (!cmd) return { steps, active: -1, end: null }
  const state = cmd.state === 'requested' ? steps[0] : cmd.state
  const at = steps.indexOf(state)
  if (at >= 0) return { steps, active: at, end: state === 'confirmed' ? state : null }
  // ended otherwise: after the write (failed, timed_out), or before it
  const last = cmd.sent_at ? 'sent' : approval && !cmd.approved_by ? 'awaiting_approval' : 'queued'
  const upto = steps.slice(0, steps.indexOf(last) + 1)
  return { steps: [...upto, state], active: upto.length, end: state }
}

/** The circuit with ``id`` anywhere in the topology (boards fed by circuits included). */
export function findCircuit(topology, id) {
  if (!topology || id === null || id === undefined) return null
  const inBoard = (b) => {
    for (const c of b.circuits || []) {
      const hit = inCircuit(c)
      if (hit) return hit
    }
    return null
  }
  const inCircuit = (c) => {
    if (c.id === id) return c
    for (const x of c.circuits || []) {
      const hit = inCircuit(x)
      if (hit) return hit
    }
    for (const b of c.boards || []) {
      const hit = inBoard(b)
      if (hit) return hit
    }
    return null
  }
  for (const b of topology.boards || []) {
    const hit = inBoard(b)
    if (hit) return hit
  }
  return null
}

/** The circuit a device is on: from ``circuit_id``, else by looking for the device. */
export function circuitOfDevice(topology, deviceId, circuitId) {
  if (circuitId) return findCircuit(topology, circuitId)
  const walk = (c) => ((c.devices || []).some((d) => d.id === deviceId) ? c
    : [...(c.circuits || []), ...(c.boards || []).flatMap((b) => b.circuits || [])].map(walk).find(Boolean) || null)
  for (const b of topology?.boards || []) {
    for (const c of b.circuits || []) {
      const hit = walk(c)
      if (hit) return hit
    }
  }
  return null
}

/** What loses power when ``circuit`` opens: every circuit downstream of it (child
 *  circuits and the circuits of the boards it feeds), depth-first, with the board fed. */
export function downstream(circuit) {
  const out = []
  const walk = (c, board) => {
    for (const x of c.circuits || []) { out.push({ circuit: x, board }); walk(x, board) }
    for (const b of c.boards || []) {
      for (const x of b.circuits || []) { out.push({ circuit: x, board: b }); walk(x, b) }
    }
  }
  if (circuit) walk(circuit, null)
  return out
}

/** The actions to offer a breaker in ``state`` (deviceState): the opposite of its state
 *  first; reset only when tripped. */
export function breakerActions(state) {
  if (state === 'tripped') return ['reset', 'close', 'open']
  if (state === 'open') return ['close', 'open']
  return ['open', 'close']
}

/** The newest of ``cmds`` (by id). */
export function newest(cmds) {
  return cmds.reduce((best, c) => (!best || c.id > best.id ? c : best), null)
}

/** ``{circuit, device}`` of a command's device in the topology (either may be null). */
export function locate(topology, deviceId, circuitId) {
  const circuit = circuitOfDevice(topology, deviceId, circuitId)
  const device = circuit?.devices?.find((d) => d.id === deviceId)
    || (topology?.unattached_devices || []).find((d) => d.id === deviceId) || null
  return { circuit, device }
}

/** The breakers a board's group command switches (``board_id``: every breaker on a circuit
 *  of the board, its sub-circuits included, not those of the boards it feeds):
 *  ``[{device, circuit}]`` in the order of the one-line diagram. */
export function boardBreakers(board) {
  const out = []
  const walk = (c) => {
    for (const d of c.devices || []) if (d.kind === 'breaker') out.push({ device: d, circuit: c })
    for (const x of c.circuits || []) walk(x)
  }
  for (const c of board?.circuits || []) walk(c)
  return out
}

/** Where each device of a group command is: ``[{deviceId, status, state, commandId, reason}]``
 *  in the order of ``deviceIds`` (then any other device of the batch). ``status``: confirmed, awaiting_approval, pending (queued /
 *  sent), refused (by the server at once: ``batch.refused``) or failed (ended otherwise);
 *  ``byId`` holds the live commands (the stream's events merged in). */
export function batchRows(deviceIds, batch, byId = {}, reasonOf = (x) => x?.message_zh || x?.message || x?.error || '') {
  const cmds = new Map((batch?.commands || []).map((c) => [c.device_id, { ...c, ...byId[c.id] }]))
  const refused = new Map((batch?.refused || []).map((r) => [r.device_id, r]))
  // the server's list of the board is the truth: a device the page did not know is added
  const ids = [...deviceIds, ...[...cmds.keys(), ...refused.keys()].filter((id) => !deviceIds.includes(id))]
  return ids.map((deviceId) => {
    const r = refused.get(deviceId)
    if (r) return { deviceId, status: 'refused', state: null, commandId: null, error: r.error, reason: reasonOf(r) }
    const c = cmds.get(deviceId)
    if (!c) return { deviceId, status: 'pending', state: null, commandId: null, error: null, reason: '' }
    const status = c.state === 'confirmed' ? 'confirmed' : c.state === 'awaiting_approval' ? 'awaiting_approval'
      : IN_FLIGHT.includes(c.state) ? 'pending' : 'failed'
    return { deviceId, status, state: c.state, commandId: c.id, error: c.error || null,
      reason: status === 'failed' ? reasonOf(c) : '' }
  })
}

/** How many rows are in each status: ``{confirmed, awaiting, pending, failed}`` (refused
 *  counted with failed: not done). */
export function batchSummary(rows) {
  const n = { confirmed: 0, awaiting: 0, pending: 0, failed: 0 }
  for (const r of rows) {
    if (r.status === 'confirmed') n.confirmed++
    else if (r.status === 'awaiting_approval') n.awaiting++
    else if (r.status === 'pending') n.pending++
    else n.failed++
  }
  return n
}
