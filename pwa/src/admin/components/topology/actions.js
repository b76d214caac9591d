// What the topology editor can do to a selected node: the actions offered, the values
// their forms start from, and the text of a refusal. The one REST call each action is:
// admin/api/topology.js (requestFor, sendTopology).
import { t } from '../../../i18n/index.js'
import { dependencyMessage, fieldErrors } from '../../api/admin.js'
import { fieldLabel } from '../../lib/format.js'
import { describeError } from '../../../api/errors.js'

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

/** The text shown for a refused write: a blocked delete's 409 message, a 422's messages
 *  field by field (e.g. "上级：会使供电关系成环"), else the error. */
export function refusalText(err) {
  const dep = dependencyMessage(err)
  if (dep) return t('admin.deleteBlocked', { msg: dep })
  const fields = Object.entries(fieldErrors(err))
  if (fields.length) {
    const parts = fields.map(([k, msg]) => `${fieldLabel(k)}：${msg}`).join('；')
    const cycle = /cycle/i.test(JSON.stringify(err.errors))   // the server's own words
    return `${cycle ? t('admin.topology.cycle') : describeError(err)}（${parts}）`
  }
  return describeError(err)
}
