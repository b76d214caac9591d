// Pure helpers for scenes and schedules (no Vue, no fetch): what an action does in words,
// a run's results flattened with the commands' live states, a schedule's days and times.
import { IN_FLIGHT } from './control.js'

/** Every result of a run, the scenes it ran included (``depth`` for indenting), each with
 *  the command's state as known now (``commands``: id -> command, e.g. from the stream). */
export function runRows(results, commands = {}, depth = 0) {
  const out = []
  for (const r of results || []) {
    const live = r.command_id ? commands[r.command_id] : null
    out.push({ ...r, ...(live ? pick(live) : {}), depth })
    if (r.results) out.push(...runRows(r.results, commands, depth + 1))
  }
  return out
}

const pick = (c) => ({ state: c.state, error: c.error, message: c.message, message_zh: c.message_zh })

/** Counts of a run's commands: confirmed, awaiting (approval), pending (in flight), failed. */
export function runSummary(rows) {
  const s = { confirmed: 0, awaiting: 0, pending: 0, failed: 0 }
  for (const r of rows) {
    if (r.kind === 'scene' && r.state === 'ran') continue
    if (r.state === 'confirmed') s.confirmed++
    else if (r.state === 'awaiting_approval') s.awaiting++
    else if (IN_FLIGHT.includes(r.state)) s.pending++
    else s.failed++
  }
  return s
}

/** Still moving: some command of the run neither settled nor waiting for approval. */
export function runInFlight(rows) {
  return rows.some((r) => IN_FLIGHT.includes(r.state) && r.state !== 'awaiting_approval')
}

/** ISO weekdays (1 = Monday) as a short text: every day, workdays, or the days listed. */
export function weekdaysText(days, t) {
  const set = [...new Set(days || [])].sort()
  if (set.length === 7) return t('automation.everyDay')
  if (set.join() === '1,2,3,4,5') return t('automation.workdays')
  if (set.join() === '6,7') return t('automation.weekends')
  return set.map((d) => t(`automation.weekday.${d}`)).join('、') || t('automation.noWeekday')
}

/** An instant shown as the site's wall clock: "12-02 20:00" from an ISO text with offset
 *  (``local`` of the API), never the browser's zone. */
export function wallClock(local) {
  if (!local) return '—'
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(local)
  return m ? `${m[2]}-${m[3]} ${m[4]}:${m[5]}` : local
}

/** A UTC instant (ISO text) shown as the wall clock of ``timeZone`` (the site's IANA zone),
 *  "12-02 20:00" like ``wallClock``; the browser's own zone plays no part. */
export function zonedClock(iso, timeZone) {
  if (!iso) return '—'
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  let parts
  try {
    parts = new Intl.DateTimeFormat('en-GB', {
      timeZone: timeZone || 'UTC', month: '2-digit', day: '2-digit', hour: '2-digit',
      minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(d)
  } catch {
    return wallClock(iso)           // an unknown zone: the instant as written
  }
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]))
  return `${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/** The device ids a list of actions touches directly (scene actions are not expanded). */
export function actionDevices(actions) {
  return (actions || []).filter((a) => a.device_id).map((a) => a.device_id)
}
