// A breaker's settings: what changed (only that is sent), the profile's ranges, the
// server's per-field 422, the result before -> after, and the page doing it end to end
// against a mocked API with live command events.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import Vant from 'vant'
import { ApiError, configureApi, setSession } from '../../src/api/client.js'
import { setLocale, t } from '../../src/i18n/index.js'
import { messages } from '../../src/i18n/messages.js'
import {
  changedValues, checkChanges, checkSetting, problemText, sameValue, settingErrors, settingKind, settingLabel,
  settingText, settingsResult,
} from '../../src/lib/settings.js'
import { makeRouter } from '../../src/router.js'
import { useAuthStore } from '../../src/stores/auth.js'
import { useCommandsStore } from '../../src/stores/commands.js'
import DeviceSettingsView from '../../src/views/DeviceSettingsView.vue'
import { fakeJwt, json, mockFetch } from './helpers.js'

// as GET /devices/{id}/settings describes gw-breaker (backend/field/profiles/gw-breaker.yaml)
const DESCS = [
  { name: 'rated_current', unit: 'A', writable: false, min: null, max: null, default: null, options: null, description: '' },
  { name: 'trip_curve', unit: '', writable: false, min: null, max: null, default: null, options: ['B', 'C', 'D'], description: '' },
  { name: 'over_voltage_trip', unit: 'V', writable: true, min: 240, max: 300, default: 275, options: null, description: '' },
  { name: 'overload_trip', unit: 'In', writable: true, min: 0.4, max: 2, default: 1.2, options: null, description: 'x In' },
  { name: 'residual_protection', unit: '', writable: true, min: null, max: null, default: false, options: [false, true], description: '' },
  { name: 'mode_x', unit: '', writable: true, min: null, max: null, default: 'a', options: ['a', 'b'], description: 'an enum' },
]
const READ = { rated_current: 160, trip_curve: 'C', over_voltage_trip: 275, overload_trip: 1.2000000001,
  residual_protection: false, mode_x: 'a' }

beforeEach(() => {
  setActivePinia(createPinia())
  setLocale('zh-CN')
})

describe('settings helpers', () => {
  it('knows how each setting is edited', () => {
    expect(DESCS.map(settingKind)).toEqual(['number', 'enum', 'number', 'number', 'bool', 'enum'])
  })

  it('sends only the changed writable values, numbers parsed, rounding ignored', () => {
    const form = { over_voltage_trip: '275', overload_trip: '1.2', residual_protection: false, mode_x: 'a', rated_current: 10 }
    expect(changedValues(DESCS, READ, form)).toEqual({})
    expect(changedValues(DESCS, READ, { ...form, residual_protection: true })).toEqual({ residual_protection: true })
    expect(changedValues(DESCS, READ, { ...form, over_voltage_trip: '280.5', mode_x: 'b' }))
      .toEqual({ over_voltage_trip: 280.5, mode_x: 'b' })
    // a field emptied or not a number counts as changed (validation says why)
    expect(changedValues(DESCS, READ, { ...form, over_voltage_trip: '' })).toEqual({ over_voltage_trip: '' })
    expect(sameValue(1.2, 1.2000000001)).toBe(true)
    expect(sameValue(false, 0)).toBe(false)
  })

  it('checks the profile\'s ranges and options', () => {
    const byName = Object.fromEntries(DESCS.map((d) => [d.name, d]))
    expect(checkSetting(byName.over_voltage_trip, 240)).toBeNull()
    expect(checkSetting(byName.over_voltage_trip, 300)).toBeNull()
    expect(checkSetting(byName.over_voltage_trip, 239.9)).toMatchObject({ code: 'min', min: 240 })
    expect(checkSetting(byName.over_voltage_trip, '301')).toMatchObject({ code: 'max', max: 300 })
    expect(checkSetting(byName.over_voltage_trip, 'abc')).toMatchObject({ code: 'number' })
    expect(checkSetting(byName.rated_current, 100)).toMatchObject({ code: 'readonly' })
    expect(checkSetting(byName.residual_protection, true)).toBeNull()
    expect(checkSetting(byName.mode_x, 'c')).toMatchObject({ code: 'option' })
    expect(checkChanges(DESCS, { over_voltage_trip: 500, residual_protection: true, nope: 1 }))
      .toEqual({ over_voltage_trip: { code: 'max', min: 240, max: 300 }, nope: { code: 'unknown' } })
    expect(problemText({ code: 'max', max: 300 })).toBe('不能大于 300')
    expect(problemText(null)).toBe('')
  })

  it('maps the server\'s 422 to its fields', () => {
    const err = new ApiError({ status: 422, error: 'invalid_setting', errors: {
      'values.over_voltage_trip': ['500 is above the maximum 300'], 'values.rated_current': ['read-only'], reason: ['required'] } })
    expect(settingErrors(err)).toEqual({ over_voltage_trip: '500 is above the maximum 300', rated_current: 'read-only', reason: 'required' })
    expect(settingErrors(new ApiError({ status: 409, error: 'device_offline' }))).toEqual({})
  })

  it('shows a result before -> after per setting', () => {
    const cmd = { action: 'settings', state: 'sent', settings: { residual_protection: true, over_voltage_trip: 280 },
      target: { residual_protection: true, over_voltage_trip: 280 } }
    expect(settingsResult(cmd, READ)).toEqual([
      { name: 'residual_protection', before: false, wanted: true, after: undefined, ok: false },
      { name: 'over_voltage_trip', before: 275, wanted: 280, after: undefined, ok: false },
    ])
    const done = { ...cmd, state: 'confirmed', before: { residual_protection: false, over_voltage_trip: 270 },
      observed: { residual_protection: true, over_voltage_trip: 279.99999999 } }
    expect(settingsResult(done, READ).map((r) => [r.before, r.after, r.ok])).toEqual([[false, true, true], [270, 279.99999999, true]])
    const failed = { ...done, state: 'failed', observed: { residual_protection: false, over_voltage_trip: 280 } }
    expect(settingsResult(failed).map((r) => r.ok)).toEqual([false, true])
    expect(settingsResult(null)).toEqual([])
  })

  it('words values and names in Chinese and English', () => {
    expect(settingText(DESCS[4], true)).toBe('开启')
    expect(settingText(DESCS[2], 275)).toBe('275 V')
    expect(settingText(DESCS[3], 1.2000000001)).toBe('1.2 × In')
    expect(settingText(DESCS[2], null)).toBe('—')
    expect(settingLabel(DESCS[4])).toBe('漏电保护')
    expect(settingLabel(DESCS[5])).toBe('an enum') // not translated: the profile's description
    setLocale('en')
    expect(settingLabel('residual_protection')).toBe('Residual-current protection')
    expect(settingText(DESCS[4], false)).toBe('Off')
    for (const k of Object.keys(messages['zh-CN'].settings.names)) expect(messages.en.settings.names[k], k).toBeTruthy()
  })
})

describe('settings store', () => {
  it('sends the values with an Idempotency-Key, reused only after a network error', async () => {
    setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1 } })
    configureApi({ notify: vi.fn(), onExpired: vi.fn() })
    const keys = []
    let offline = true
    mockFetch((url, init) => {
      expect(url).toBe('/api/v1/devices/101/settings')
      expect(init.method).toBe('PUT')
      expect(JSON.parse(init.body)).toEqual({ values: { residual_protection: true }, reason: '开启漏电保护' })
      keys.push(init.headers['Idempotency-Key'])
      if (offline) { offline = false; throw new TypeError('offline') }
      return json(202, { id: 3, device_id: 101, action: 'settings', state: 'queued' })
    })
    const commands = useCommandsStore()
    const body = { values: { residual_protection: true }, reason: '开启漏电保护' }
    await expect(commands.sendSettings(101, body)).rejects.toMatchObject({ status: 0 })
    await commands.sendSettings(101, body)
    await commands.sendSettings(101, body)
    expect(keys[1]).toBe(keys[0])
    expect(keys[2]).not.toBe(keys[1])
  })
})

describe('DeviceSettingsView', () => {
  function setup(handler) {
    const pinia = createPinia()
    setActivePinia(pinia)
    setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1 } })
    useAuthStore().user = { id: 1, username: 'boss', role: 'manager' }
    configureApi({ notify: vi.fn(), onExpired: vi.fn() })
    const calls = mockFetch(handler)
    const w = mount(DeviceSettingsView, {
      props: { id: 101 },
      global: { plugins: [pinia, makeRouter(createMemoryHistory()), Vant], config: { globalProperties: { $t: t } } },
    })
    return { w, calls }
  }
  const api = (over = {}) => (url, init) => {
    if (url.startsWith('/api/v1/devices/101/latest')) return json(200, { device_id: 101, code: 'QF-1', name: '食堂供电断路器', values: {} })
    if (url === '/api/v1/devices/101/settings' && (init.method || 'GET') === 'GET') {
      return json(200, { device_id: 101, read_at: '2026-12-01T10:00:00Z', values: READ, settings: DESCS })
    }
    if (url.startsWith('/api/v1/commands/3')) return json(200, over.detail)
    return over.put(url, init)
  }

  it('turns residual protection on: only that value, then before -> after from the live command', async () => {
    const sent = []
    const { w } = setup(api({
      put: (url, init) => { sent.push(JSON.parse(init.body)); return json(202, { id: 3, site_id: 1, device_id: 101, action: 'settings', state: 'queued', target: { residual_protection: true } }) },
      detail: { id: 3, site_id: 1, device_id: 101, action: 'settings', state: 'confirmed', settings: { residual_protection: true },
        before: { residual_protection: false }, observed: { residual_protection: true }, events: [] },
    }))
    await flushPromises()
    expect(w.find('[data-test=settings-read-at]').text()).toMatch(/读取于 \d\d:\d\d:\d\d/)
    expect(w.find('[data-setting=rated_current]').attributes('data-writable')).toBe('false')
    expect(w.find('[data-setting=rated_current] input').exists()).toBe(false)
    expect(w.find('[data-test=settings-submit]').attributes('disabled')).toBeDefined() // nothing changed
    await w.find('[data-setting=residual_protection] [data-test=setting-switch]').trigger('click')
    expect(w.find('[data-test=settings-changed]').attributes('data-count')).toBe('1')
    await w.find('[data-test=settings-submit]').trigger('click')
    expect(w.find('[data-test=settings-error][data-error=reason]').exists()).toBe(true)
    await w.find('[data-test=settings-reason] textarea').setValue('开启漏电保护')
    await w.find('[data-test=settings-submit]').trigger('click')
    await flushPromises()
    expect(sent).toEqual([{ values: { residual_protection: true }, reason: '开启漏电保护' }])
    expect(w.find('[data-test=command-progress]').attributes('data-state')).toBe('queued')
    // the live stream: sent, then confirmed (the event has no ``before``: the detail is fetched)
    const commands = useCommandsStore()
    commands.apply({ id: 3, site_id: 1, device_id: 101, action: 'settings', state: 'sent' })
    commands.apply({ id: 3, site_id: 1, device_id: 101, action: 'settings', state: 'confirmed', observed: { residual_protection: true } })
    await flushPromises()
    const row = w.find('[data-test=result-row][data-setting=residual_protection]')
    expect(row.attributes('data-ok')).toBe('true')
    expect(row.find('[data-test=result-before]').text()).toBe('关闭')
    expect(row.find('[data-test=result-after]').text()).toBe('开启')
    expect(w.find('[data-test=command-state]').text()).toBe('已确认')
  })

  it('checks ranges before sending and shows the server\'s per-field errors', async () => {
    const sent = []
    const { w } = setup(api({ put: (url, init) => {
      sent.push(JSON.parse(init.body))
      return json(422, { code: 422, error: 'invalid_setting', message: 'invalid settings',
        errors: { 'values.over_voltage_trip': ['the device refuses 290'] } })
    } }))
    await flushPromises()
    const input = w.find('[data-setting=over_voltage_trip] input')
    await input.setValue('500')
    expect(w.find('[data-setting=over_voltage_trip] [data-test=setting-error]').text()).toBe('不能大于 300')
    expect(w.find('[data-test=settings-submit]').attributes('disabled')).toBeDefined()
    await input.setValue('290')
    expect(w.find('[data-setting=over_voltage_trip] [data-test=setting-error]').exists()).toBe(false)
    await w.find('[data-test=settings-reason] textarea').setValue('调整过压')
    await w.find('[data-test=settings-submit]').trigger('click')
    await flushPromises()
    expect(sent).toEqual([{ values: { over_voltage_trip: 290 }, reason: '调整过压' }])
    expect(w.find('[data-setting=over_voltage_trip] [data-test=setting-error]').text()).toBe('the device refuses 290')
    expect(w.find('[data-test=settings-error]').attributes('data-error')).toBe('invalid_setting')
  })

  it('says when the device does not answer, and reads again', async () => {
    let answer = false
    const { w } = setup((url) => {
      if (url.startsWith('/api/v1/devices/101/latest')) return json(200, { device_id: 101, code: 'QF-1', values: {} })
      if (!answer) return json(504, { error: 'device_no_answer', message: 'no answer', message_zh: '设备无应答，请稍后重试' })
      return json(200, { device_id: 101, read_at: '2026-12-01T10:00:00Z', values: READ, settings: DESCS })
    })
    await flushPromises()
    expect(w.find('[data-test=settings-read-error]').text()).toBe('设备无应答，请稍后重试')
    answer = true
    await w.find('[data-test=settings-reload]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=settings-read-error]').exists()).toBe(false)
    expect(w.find('[data-test=settings-form]').exists()).toBe(true)
  })
})
