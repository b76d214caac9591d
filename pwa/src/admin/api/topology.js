// The topology editor's writes: the one REST call each action is (the existing CRUD
// endpoints: POST /circuits, PUT/DELETE /boards|circuits|devices/{id}), and sending it.
// Which actions a node offers and their forms: components/topology/actions.js.
import { api } from '../../api/client.js'

const PATHS = { board: '/boards', circuit: '/circuits', device: '/devices' }
const none = (v) => (v === '' || v === undefined ? null : v)

/** The body moving a circuit: under ``parentId`` (on that circuit's board unless ``boardId``
 *  is given), or straight on ``boardId``'s incomer when ``parentId`` is null. */
export function moveCircuitBody(circuits, { parentId = null, boardId = null }) {
  if (parentId !== null && parentId !== undefined && parentId !== '') {
    const p = circuits.find((c) => c.id === parentId)
    return { parent_id: parentId, board_id: boardId ?? p?.board_id ?? null }
  }
  return { parent_id: null, board_id: boardId }
}

/** ``{method: 'post'|'put'|'del', path, body?}`` for ``action`` on ``node``. */
export function requestFor(action, node, values = {}, { siteId = null, circuits = [] } = {}) {
  const path = `${PATHS[node.kind]}/${node.id}`
  switch (action) {
    case 'addCircuit':
      return { method: 'post', path: '/circuits', body: {
        site_id: siteId, code: (values.code || '').trim(), name: (values.name || '').trim(),
        category: values.category || 'power',
        board_id: node.kind === 'board' ? node.id : (none(values.board_id) ?? node.item.board_id),
        parent_id: node.kind === 'circuit' ? node.id : null } }
    case 'move':
      return { method: 'put', path, body: moveCircuitBody(circuits, {
        parentId: none(values.parent_id), boardId: none(values.board_id) }) }
    case 'feeder':
      return { method: 'put', path, body: { feeder_circuit_id: none(values.feeder_circuit_id) } }
    case 'unfeed':
      return { method: 'put', path, body: { feeder_circuit_id: null } }
    case 'attach':
      return { method: 'put', path: `/devices/${values.device_id}`, body: { circuit_id: node.id } }
    case 'attachTo':
      return { method: 'put', path, body: { circuit_id: none(values.circuit_id) } }
    case 'detach':
      return { method: 'put', path, body: { circuit_id: null } }
    case 'rename':
      return { method: 'put', path, body: { code: (values.code || '').trim(), name: (values.name || '').trim() } }
    case 'delete':
      return { method: 'del', path }
    default:
      throw new Error(`unknown action ${action}`)
  }
}

/** Send what requestFor made; no toast (the editor shows the refusal). */
export function sendTopology(req) {
  const opts = { toast: false }
  return req.method === 'del' ? api.del(req.path, opts) : api[req.method](req.path, req.body, opts)
}
