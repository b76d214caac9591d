// Linkage rules (/linkage-rules): CRUD, a rule's firing log and the shipped defaults.
import { api } from '../../api/client.js'
import { crud, listPage } from './admin.js'

export const linkageRules = crud('/linkage-rules')

export function ruleFirings(id, page = 1, size = 20) {
  return listPage(`/linkage-rules/${id}/firings`, {}, page, size)
}

export function makeDefaults(siteId) {
  return api.post(`/sites/${siteId}/linkage-rules/defaults`, undefined, { toast: false })
}

/** The comparison value as typed: true/false, a number, else the text. */
export function parseValue(text) {
  const s = String(text ?? '').trim()
  if (s === 'true') return true
  if (s === 'false') return false
  if (s !== '' && !Number.isNaN(Number(s))) return Number(s)
  return s
}
