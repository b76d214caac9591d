// Alarms in the API's shape (GET /alarms rows, SSE ``alarm`` summaries, GET /alarms/{id}).
export function alarm(over = {}) {
  return {
    id: 1, site_id: 1, device_id: 101, gateway_id: 1, circuit_id: 11, area_id: null, board_id: 1,
    rule: 'over_voltage', level: 'alarm', state: 'active', value: 281.2, peak_value: 282, threshold: 275,
    unit: 'V', trip_cause: 'over_voltage', message: 'Over-voltage (alarm) at AA1 / WL1', parent_id: null,
    flapping: false, silenced: false, raised_at: '2026-11-23T10:00:00+00:00', escalated_at: null,
    acknowledged_at: null, acknowledged_by: null, cleared_at: null, closed_at: null, closed_by: null,
    assignee_id: null, notified_tier: 1, ...over,
  }
}

export function detail(over = {}) {
  return {
    ...alarm(over),
    children: [alarm({ id: 2, rule: 'under_voltage', level: 'alarm', parent_id: 1, device_id: 201, circuit_id: 21, trip_cause: null })],
    notifications: [{ id: 5, user_id: 7, user: '张三', event: 'raised', tier: 1, status: 'sent', channels: ['webpush', 'sms'],
      sent_channel: 'sms', attempts: 2, sent_at: '2026-11-23T10:00:03+00:00', last_error: null }],
    timeline: [
      { at: '2026-11-23T10:00:00+00:00', kind: 'raised', user_id: null, user: null,
        data: { level: 'alarm', value: 281.2, threshold: 275, trip_cause: 'over_voltage' } },
      { at: '2026-11-23T10:00:02+00:00', kind: 'notification', user_id: 7, user: '张三',
        data: { event: 'raised', channel: 'webpush', outcome: 'fallback', code: 'http_410' } },
      { at: '2026-11-23T10:00:03+00:00', kind: 'notification', user_id: 7, user: '张三',
        data: { event: 'raised', channel: 'sms', outcome: 'sent' } },
      { at: '2026-11-23T10:01:00+00:00', kind: 'comment', user_id: 3, user: '王经理', data: { text: '马上去' } },
      { at: '2026-11-23T10:02:00+00:00', kind: 'assigned', user_id: 3, user: '王经理', data: { assignee_id: 7 } },
      { at: '2026-11-23T10:03:00+00:00', kind: 'repair_order', user_id: 3, user: '王经理',
        data: { order_id: 9, status: 'open', action: 'created', title: '更换断路器' } },
    ],
    ...over,
  }
}
