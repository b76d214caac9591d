// Scenes and schedules in the app: the pure helpers (a run's rows with live command
// states, days and wall-clock times), the action kinds' descriptors, and the texts of
// every automation code in Chinese and English.
import { describe, expect, it } from 'vitest'
import { messages } from '../../src/i18n/messages.js'
import { setLocale, t } from '../../src/i18n/index.js'
import { runInFlight, runRows, runSummary, wallClock, weekdaysText, zonedClock } from '../../src/lib/automation.js'
import { ACTION_KINDS, cleanAction, describeAction, errorFor, flatErrors, parseValue, registerKind, ruleKinds, sceneKinds,
  visibleFields }
  from '../../src/admin/lib/actionKinds.js'

// backend/control/texts.py (scenes and schedules) and the services' codes
const CODES = ['action_device_not_found', 'action_scene_not_found', 'scene_not_found', 'scene_disabled', 'scene_cycle',
  'scene_too_deep', 'scene_run_not_found', 'schedule_target', 'schedule_not_found', 'unknown_action_kind',
  'too_many_actions', 'duplicate_name', 'has_dependents', 'action_needs_approval']

describe('automation texts', () => {
  it('has every code in Chinese and English, and every history status', () => {
    for (const code of CODES) {
      expect(messages['zh-CN'].errors[code], code).toMatch(/[\u4e00-\u9fff]/)
      expect(messages.en.errors[code], code).toBeTruthy()
    }
    for (const s of ['ran', 'missed', 'ran_late', 'skipped_disabled']) {
      expect(messages['zh-CN'].automation.status[s]).toMatch(/[\u4e00-\u9fff]/)
      expect(messages.en.automation.status[s]).toBeTruthy()
    }
  })
})

describe('a run as rows', () => {
  const results = [
    { index: 0, kind: 'command', state: 'queued', command_id: 11 },
    { index: 1, kind: 'command', state: 'refused', error: 'command_in_progress' },
    { index: 2, kind: 'scene', state: 'ran', scene_id: 3, results: [{ index: 0, kind: 'command', state: 'queued', command_id: 12 }] },
  ]
  it('flattens nested scenes and takes the live command state', () => {
    const rows = runRows(results, { 11: { id: 11, state: 'confirmed' }, 12: { id: 12, state: 'awaiting_approval' } })
    expect(rows.map((r) => [r.state, r.depth])).toEqual([['confirmed', 0], ['refused', 0], ['ran', 0], ['awaiting_approval', 1]])
    expect(runSummary(rows)).toEqual({ confirmed: 1, awaiting: 1, pending: 0, failed: 1 })
    expect(runInFlight(rows)).toBe(false)
    expect(runInFlight(runRows(results))).toBe(true)
  })
  it('shows days and the site wall clock, not the browser zone', () => {
    setLocale('zh-CN')
    expect(weekdaysText([5, 4, 3, 2, 1], t)).toBe('工作日')
    expect(weekdaysText([1, 3], t)).toBe('周一、周三')
    expect(weekdaysText([1, 2, 3, 4, 5, 6, 7], t)).toBe('每天')
    expect(wallClock('2026-12-02T20:00:00+08:00')).toBe('12-02 20:00')
    // a UTC instant in the site's zone, whatever the browser's zone is
    expect(zonedClock('2026-12-02T12:00:00Z', 'Asia/Shanghai')).toBe('12-02 20:00')
    expect(zonedClock('2026-12-31T23:30:00+00:00', 'Asia/Shanghai')).toBe('01-01 07:30')
    expect(zonedClock('2026-07-01T12:00:00Z', 'Europe/Berlin')).toBe('07-01 14:00')
    expect(zonedClock(null, 'Asia/Shanghai')).toBe('—')
  })
})

describe('action kinds', () => {
  const ctx = { t, device: (id) => (id === 5 ? { code: 'QF-1', name: '照明' } : null), scene: () => ({ name: '熄灯' }) }
  it('describes, shows and sends only the fields that apply', () => {
    setLocale('zh-CN')
    expect(describeAction({ kind: 'command', device_id: 5, action: 'open' }, ctx)).toBe('分闸 · QF-1 照明')
    expect(describeAction({ kind: 'scene', scene_id: 2 }, ctx)).toBe('运行场景「熄灯」')
    expect(visibleFields({ kind: 'command', action: 'open' }).map((f) => f.name)).toEqual(['device_id', 'action'])
    expect(visibleFields({ kind: 'command', action: 'dim' }).map((f) => f.name)).toEqual(['device_id', 'action', 'value'])
    expect(cleanAction({ kind: 'command', device_id: 5, action: 'open', value: 30 })).toEqual(
      { kind: 'command', device_id: 5, action: 'open' })
    expect([parseValue('true'), parseValue('12.5'), parseValue('auto')]).toEqual([true, 12.5, 'auto'])
  })
  it('finds the message of a field in nested or dotted errors', () => {
    const flat = flatErrors({ 'actions.1.scene_id': ['loop'], actions: { 0: { kind: ['one of'] } } })
    expect(errorFor(flat, 'actions', 1, 'scene_id')).toBe('loop')
    expect(errorFor(flat, 'actions', 0, 'kind')).toBe('one of')
    expect(errorFor(flatErrors({ 'actions.0.values.x': ['bad'] }), 'actions', 0, 'values')).toBe('bad')
  })
  it('takes new kinds as descriptors', () => {
    registerKind('knock', { label: 'x', fields: [{ name: 'camera_id', type: 'device' }],
      blank: () => ({ kind: 'knock', camera_id: null }), describe: () => 'knock' })
    expect(ACTION_KINDS.knock.blank()).toEqual({ kind: 'knock', camera_id: null })
    expect(sceneKinds()).toContain('knock')
    delete ACTION_KINDS.knock
  })
  it('offers the linkage rules their own kinds, and scenes not', () => {
    setLocale('zh-CN')
    expect(sceneKinds()).toEqual(['command', 'settings', 'scene'])
    expect(ruleKinds()).toEqual(['command', 'settings', 'scene', 'alarm', 'popup'])
    const alarm = ACTION_KINDS.alarm.blank()
    expect(cleanAction({ ...alarm, message: '配电房进水', clear: false })).toEqual(
      { kind: 'alarm', level: 'alarm', message: '配电房进水', clear: false })
    expect(describeAction({ kind: 'alarm', level: 'warning', message: '进水' }, ctx)).toBe('产生告警 · 预警 · 进水')
    expect(cleanAction(ACTION_KINDS.popup.blank())).toEqual({ kind: 'popup' })
  })
})

describe('field messages', () => {
  it('shows marshmallow messages in Chinese, keeping numbers and our own texts', async () => {
    const { fieldMessage } = await import('../../src/api/errors.js')
    setLocale('zh-CN')
    expect(fieldMessage('Missing data for required field.')).toBe('必填')
    expect(fieldMessage('Must be greater than or equal to 0 and less than or equal to 100.')).toBe('须在 0 到 100 之间')
    expect(fieldMessage('Must be one of: warning, alarm.')).toBe('须为以下之一：warning, alarm')
    expect(fieldMessage('HH:MM, 00:00-23:59')).toBe('HH:MM, 00:00-23:59')
    expect(flatErrors({ actions: { 0: { device_id: ['Missing data for required field.'] } } }))
      .toEqual({ 'actions.0.device_id': '必填' })
    setLocale('en')
    expect(fieldMessage('Missing data for required field.')).toBe('Missing data for required field.')
    setLocale('zh-CN')
  })
  it('offers for a command only devices whose profile can do something', () => {
    const f = ACTION_KINDS.command.fields[0]
    const can = { controls: (d) => ({ 'gw-breaker': ['open', 'close'] })[d.profile] || [] }
    expect(f.filter({ profile: 'gw-breaker', gateway_id: 1 }, can)).toBe(true)
    expect(f.filter({ profile: 'eastron-sdm630', gateway_id: 1 }, can)).toBe(false)
  })
})

describe('note places', () => {
  it('names the action a note is about', async () => {
    const { notePlace } = await import('../../src/admin/lib/actionKinds.js')
    setLocale('zh-CN')
    expect(notePlace('actions.0', t)).toBe('动作 1')
    expect(notePlace('clear_actions.1.device_id', t)).toBe('解除动作 2')
    expect(notePlace('condition.device_id', t)).toBe('condition.device_id')
  })
})
