// Alarms and what people do with them (acknowledge, comment, take, assign, close), and
// their repair orders. Options (``opts``) are the client's: cache, toast, meta.
import { api } from './client.js'

/** ``params``: site_id, level, state, root_only, page, page_size. */
export function listAlarms(params, opts = {}) {
  return api.get('/alarms', { ...opts, query: params })
}

/** Open alarms by level and state: ``{warning: {active, acknowledged}, alarm: {...}}``. */
export function alarmCounts(siteId, opts = {}) {
  return api.get('/alarms/counts', { ...opts, query: { site_id: siteId } })
}

/** One alarm with its children and timeline. */
export function getAlarm(id, opts) {
  return api.get(`/alarms/${id}`, opts)
}

/** Acknowledge alarms (and their grouped children): the alarms as they are now. */
export function acknowledgeAlarms(ids, comment) {
  return api.post('/alarms/acknowledge', { ids, ...(comment ? { comment } : {}) })
}

export function commentAlarm(id, text) {
  return api.post(`/alarms/${id}/comments`, { text })
}

export function closeAlarm(id, comment) {
  return api.post(`/alarms/${id}/close`, comment ? { comment } : {})
}

/** Remote fault confirmation from the pop-up: ``verdict`` confirmed | false_alarm. */
export function confirmFault(id, verdict, comment) {
  return api.post(`/alarms/${id}/fault-confirmation`, { verdict, ...(comment ? { comment } : {}) })
}

export function takeAlarm(id) {
  return api.post(`/alarms/${id}/take`)
}

export function assignAlarm(id, userId) {
  return api.post(`/alarms/${id}/assign`, { user_id: userId })
}

/** The users an alarm may be assigned to (any user of its site). */
export function alarmAssignees(id) {
  return api.get(`/alarms/${id}/assignees`)
}

export function listRepairOrders(alarmId, opts = {}) {
  return api.get('/repair-orders', { ...opts, query: { alarm_id: alarmId, page_size: 50 } })
}

export function createRepairOrder(alarmId, note) {
  return api.post('/repair-orders', { alarm_id: alarmId, note })
}

/** A repair order's photos (metadata, oldest first). */
export function listRepairPhotos(orderId, opts = {}) {
  return api.get(`/repair-orders/${orderId}/photos`, { ...opts, query: { page_size: 50 } })
}

/** One photo's bytes as a Blob (sent with the token, unlike an <img src>). */
export function repairPhotoBlob(orderId, photoId, opts = {}) {
  return api.get(`/repair-orders/${orderId}/photos/${photoId}`, { toast: false, ...opts, blob: true })
}

/** ``status``: in_progress or done. */
export function updateRepairOrder(id, status) {
  return api.patch(`/repair-orders/${id}`, { status })
}
