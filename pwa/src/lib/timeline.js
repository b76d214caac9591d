// One timeline entry of an alarm (GET /alarms/{id}) as a localized sentence (+ detail).
import { t, tOr } from '../i18n/index.js'
import { fmtAlarmValue, levelLabel } from './alarms.js'

const cause = (c) => tOr(`values.${c}`, c)

/** {text, sub} for ``e`` ({at, kind, user_id, user, data}); ``names`` maps user ids. */
export function describe(e, alarm = {}, names = {}) {
  const d = e.data || {}
  const user = e.user || (e.user_id ? `#${e.user_id}` : t('alarms.tl.system'))
  const val = (v) => fmtAlarmValue(v, alarm.unit)
  const tl = (k, p) => t(`alarms.tl.${k}`, p)
  switch (e.kind) {
    case 'raised': {
      let text = tl('raised', { level: levelLabel(d.level), value: val(d.value) })
      if (d.threshold !== undefined && d.threshold !== null) text += tl('limit', { v: val(d.threshold) })
      return { text, sub: d.trip_cause ? t('alarms.tripped', { cause: cause(d.trip_cause) }) : '' }
    }
    case 'escalated': return { text: tl('escalated', { level: levelLabel(d.level), value: val(d.value) }) }
    case 'tripped': return { text: tl('tripped', { cause: cause(d.trip_cause) }) }
    case 'grouped': return { text: tl('grouped', { id: d.root_id }) }
    case 'silenced': return { text: tl('silenced') }
    case 'flapping': return { text: tl('flapping') }
    case 'notification': return {
      text: tl('notification', { user, channel: tOr(`alarms.channels.${d.channel}`, d.channel || '—'),
        outcome: tOr(`alarms.outcomes.${d.outcome}`, d.outcome || '—') }),
      sub: [d.code, d.detail].filter(Boolean).join(' '),
    }
    case 'acknowledged': return { text: tl('acknowledged', { user }),
      sub: [d.comment, d.via ? tl('via', { id: d.via }) : ''].filter(Boolean).join(' · ') }
    case 'comment': return { text: tl('comment', { user }), sub: d.text }
    case 'assigned':
      if (d.assignee_id === null || d.assignee_id === undefined) return { text: tl('unassigned', { user }) }
      if (d.assignee_id === e.user_id) return { text: tl('took', { user }) }
      return { text: tl('assigned', { user, who: names[d.assignee_id] || `#${d.assignee_id}` }) }
    case 'escalation': return { text: tl('escalation', { tier: d.tier }) }
    case 'cleared': return { text: tl('cleared', { value: val(d.value) }) }
    case 'closed': return { text: tl('closed', { user }), sub: d.comment }
    case 'repair_order': return {
      text: tl('repair_order', { user, action: tOr(`alarms.tl.${d.action}`, d.action || ''), id: d.order_id,
        status: tOr(`alarms.repair.status.${d.status}`, d.status) }),
      sub: d.title || '',
    }
    case 'fault_confirmed': return { text: tl('fault_confirmed', { user }), sub: d.comment }
    case 'fault_dismissed': return { text: tl('fault_dismissed', { user }), sub: d.comment }
    case 'linked': return { text: tl('linked'), sub: d.message }
    default: return { text: e.kind }
  }
}

/** user id -> display name, from the timeline and the notifications of a detail. */
export function userNames(detail) {
  const names = {}
  for (const e of detail?.timeline || []) if (e.user_id && e.user) names[e.user_id] = e.user
  for (const n of detail?.notifications || []) if (n.user_id && n.user) names[n.user_id] = n.user
  return names
}
