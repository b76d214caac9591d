// Repair orders (抢修工单) of an alarm: open one (taken by me), move it on
// (open -> in_progress -> done; done is final), a note, photos (wx.chooseMedia ->
// wx.uploadFile, checked by the server: JPEG/PNG/WebP, at most 5 MB, 20 an order).
const api = require('../utils/request')
const session = require('../utils/session')
const i18n = require('../utils/i18n')

const NEXT = { open: ['in_progress', 'done'], in_progress: ['done'], done: [] }
const MAX_PHOTO_BYTES = 5 * 1024 * 1024

const me = () => ((session.get() || {}).user || {}).id || null

const ofAlarm = (alarmId, options) =>
  api.get(`/api/v1/repair-orders?alarm_id=${alarmId}&page_size=50`, options)
const get = (id) => api.get(`/api/v1/repair-orders/${id}`)
// Opened from an alarm, taken by me (the assignee); the title is the alarm's message.
const open = (alarmId, note) =>
  api.post('/api/v1/repair-orders', { alarm_id: alarmId, note: note || '', assignee_id: me() })
const take = (id) => api.patch(`/api/v1/repair-orders/${id}`, { assignee_id: me() })
const move = (id, status) => api.patch(`/api/v1/repair-orders/${id}`, { status })
const setNote = (id, note) => api.patch(`/api/v1/repair-orders/${id}`, { note })
const photos = (id) => api.get(`/api/v1/repair-orders/${id}/photos?page_size=50`)
// A photo's bytes as a temporary file (<image> cannot send the token).
const photoFile = (id, photoId) =>
  api.download(`/api/v1/repair-orders/${id}/photos/${photoId}`, { silent: true })

// One chosen photo (wx.chooseMedia's tempFiles entry): refused here when it is too large,
// so the upload is not spent on it; the server checks the bytes again.
function upload(id, file) {
  if (file.size && file.size > MAX_PHOTO_BYTES) {
    const { ApiError } = require('../utils/errors')
    const err = new ApiError(413, 'photo_too_large')
    wx.showToast({ title: err.text, icon: 'none', duration: 3000 })
    return Promise.reject(err)
  }
  return api.upload(`/api/v1/repair-orders/${id}/photos`, file.tempFilePath, { name: 'file' })
}

module.exports = { ofAlarm, get, open, take, move, setNote, photos, photoFile, upload,
  NEXT, MAX_PHOTO_BYTES, me, get STATUS_TEXT() { return i18n.dict().repair.status } }
