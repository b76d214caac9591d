// What the topology editor can do to a selected node, and the one REST call each action is
// (the existing CRUD endpoints: POST /circuits, PUT/DELETE /boards|circuits|devices/{id}).
import { t } from '../../../i18n/index.js'
import { dependencyMessage, fieldErrors } from '../../../api/admin.js'
import { fieldLabel } from '../../../api/adminFormat.js'
import { describeError } from '../../../api/errors.js'
import { moveCircuitBody } from './tree.js'

/** The actions offered for a node kind (a device on no circuit cannot be detached). */
export function actionsFor(node) {
  if (!node) return []
  if (node.kind === 'board') {
    return ['addCircuit', 'feeder', ...(node.item.feeder_circuit_id ? ['unfeed'] : []), 'rename', 'delete']
  }
  if (node.kind === 'circuit') return ['addCircuit', 'move', 'attach', 'rename', 'delete']
  return ['attachTo', ...(node.item.circuit_id ? ['detach'] : []), 'rename', 'delete']
}

/** Actions done at once (after a confirmation for delete): no form. */
export const DIRECT = ['unfeed', 'detach', 'delete']

const PATHS = { board: '/boards', circuit: '/circuits', device: '/devices' }
const none = (v) => (v === '' || v === undefined ? null : v)

/** Form values an action starts from. */
export function initialFor(action, node) {
  const it = node.item
  if (action === 'addCircuit') {
    return { code: '', name: '', category: 'power', board_id: node.kind === 'board' ? it.id : it.board_id }
  }
  if (action === 'move') return { board_id: it.board_id, parent_id: it.parent_id ?? null }
  if (action === 'feeder') return { feeder_circuit_id: it.feeder_circuit_id ?? null }
  if (action === 'attach') return { device_id: null }
  if (action === 'attachTo') return { circuit_id: it.circuit_id ?? null }
  if (action === 'rename') return { code: it.code, name: it.name }
  return {}
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

/** The text shown for a refused write: a blocked delete's 409 message, a 422's messages
 *  field by field (e.g. "上级：would make the supply tree a cycle"), else the error. */
export function refusalText(err) {
  const dep = dependencyMessage(err)
  if (dep) return t('admin.deleteBlocked', { msg: dep })
  const fields = Object.entries(fieldErrors(err))
  if (fields.length) {
    const parts = fields.map(([k, msg]) => `${fieldLabel(k)}：${msg}`).join('；')
    const cycle = fields.some(([, msg]) => /cycle/i.test(msg))
    return `${cycle ? t('admin.topology.cycle') : describeError(err)}（${parts}）`
  }
  return describeError(err)
}
