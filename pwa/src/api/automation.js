// Scenes and schedules (docs/automation.md), through the one client. A scene run is sent
// with an Idempotency-Key: the same key returns the same run, never a second.
import { api } from './client.js'

/** ``params``: site_id, enabled, q, page_size. */
export function listScenes(params, opts = {}) {
  return api.get('/scenes', { ...opts, query: params })
}

/** ``{reason}``: 202 with the run ``{id, results: [{index, kind, state, command_id?,
 *  error?, message_zh?, scene_run_id?, results?}]}``. */
export function runScene(id, body, key, opts = {}) {
  return api.post(`/scenes/${id}/run`, body, { ...opts, headers: { 'Idempotency-Key': key } })
}

/** One run, each action with its command's current state. */
export function getSceneRun(id, opts = {}) {
  return api.get(`/scene-runs/${id}`, opts)
}

export function sceneRuns(id, params, opts = {}) {
  return api.get(`/scenes/${id}/runs`, { ...opts, query: params })
}

/** ``params``: site_id, scene_id, enabled, q. Rows carry time_zone, next_run_at and
 *  recent_missed (missed runs in the last 7 days). */
export function listSchedules(params, opts = {}) {
  return api.get('/schedules', { ...opts, query: params })
}

/** ``{schedule_id, time_zone, enabled, runs: [{at, local}]}``. */
export function nextRuns(id, count = 5, opts = {}) {
  return api.get(`/schedules/${id}/next`, { ...opts, query: { count } })
}

/** The history, newest first: ``[{occurrence, local, status, results}]``; ``params``:
 *  status (ran, missed, ran_late, skipped_disabled), page_size. */
export function scheduleRuns(id, params, opts = {}) {
  return api.get(`/schedules/${id}/runs`, { ...opts, query: params })
}
