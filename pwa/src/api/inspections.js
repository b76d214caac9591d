// Inspections (docs/inspections.md): plans, the overdue list, records and their photos.
import { api } from './client.js'
import { rawRequest } from '../admin/api/admin.js'

export function listPlans(params, opts = {}) {
  return api.get('/inspection-plans', { ...opts, query: params })
}

export function overduePlans(params, opts = {}) {
  return api.get('/inspection-plans/overdue', { ...opts, query: params })
}

/** ``body``: {plan_id, results: [{key, ok, note}], values: [{key, value}], findings, switchover_seconds}. */
export function createRecord(body, opts = {}) {
  return api.post('/inspection-records', body, opts)
}

export function listRecords(params, opts = {}) {
  return api.get('/inspection-records', { ...opts, query: params })
}

/** A photo (a File) of a record: multipart ``file``. */
export function uploadRecordPhoto(recordId, file) {
  const form = new FormData()
  form.append('file', file)
  return rawRequest(`/inspection-records/${recordId}/photos`, { method: 'POST', body: form })
}

/** ``body``: an InspectionPlan (docs/inspections.md). */
export function createPlan(body, opts = {}) {
  return api.post('/inspection-plans', body, opts)
}

export function deletePlan(id, opts = {}) {
  return api.del(`/inspection-plans/${id}`, opts)
}

/** The site's records of a period as an XLSX file: {blob, filename}. */
export function exportRecords(siteId, from, to) {
  return rawRequest('/inspection-records/export.xlsx', { query: { site_id: siteId, from, to }, answer: 'blob' })
}
