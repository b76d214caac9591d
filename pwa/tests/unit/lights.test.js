// Lights (KNX groups, load controllers): the controls a device's ``actions`` allow, their
// state from the latest values, a dim's level sent through the same sheet, a KNX error in
// Chinese, the topology's live on/off and brightness and a bus telegram live.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import Vant from 'vant'
import { configureApi, setSession } from '../../src/api/client.js'
import { setLocale, t } from '../../src/i18n/index.js'
import { makeRouter } from '../../src/router.js'
import { clampLevel, isLight, knxGroups, lightActions, lightState, telegramCells } from '../../src/lib/lights.js'
import { useCommandsStore } from '../../src/stores/commands.js'
import { useFacilityStore } from '../../src/stores/facility.js'
import ControlSheet from '../../src/components/ControlSheet.vue'
import DeviceControl from '../../src/components/DeviceControl.vue'
import LightChip from '../../src/components/LightChip.vue'
import { fakeJwt, json, mockFetch } from './helpers.js'
import { cell, latest, topology } from './fixtures.js'

const L1 = { id: 301, code: 'KNX-L1', name: '走廊照明', kind: 'knx_group', actions: ['on', 'off'] }
const L2 = { id: 302, code: 'KNX-L2', name: '监舍调光', kind: 'knx_group', actions: ['dim', 'off', 'on'] }

function topo() {
  const x = structuredClone(topology)
  x.boards[0].circuits[0].circuits[1].devices.push(L1) // on WL2
  x.unattached_devices = [L2]
  return x
}

let pinia
const opts = () => ({ global: { plugins: [pinia, makeRouter(createMemoryHistory()), Vant], config: { globalProperties: { $t: t } } } })
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  setLocale('zh-CN')
  setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1 } })
  configureApi({ notify: vi.fn(), onExpired: vi.fn() })
  useFacilityStore().$patch({ siteId: 1, topology: topo(), latest: latest({
    301: { device_id: 301, online: true, values: { light: cell('off') } },
    302: { device_id: 302, online: true, values: { light: cell('on'), brightness: cell(60) } },
  }) })
})

describe('lights (pure)', () => {
  it('offers on/off/dim only as the device accepts them, in that order', () => {
    expect(lightActions(['dim', 'off', 'on'])).toEqual(['on', 'off', 'dim'])
    expect(lightActions(['open', 'close'])).toEqual([])
    expect(isLight({ actions: ['on', 'off', 'dim'] })).toBe(true)
    expect(isLight({ actions: ['open', 'close', 'reset'] })).toBe(false)
    expect(isLight({})).toBe(false)
  })

  it('reads a KNX group and a load controller alike, offline first', () => {
    expect(lightState({ online: true, values: { light: cell('on'), brightness: cell(40) } })).toEqual({ state: 'on', level: 40 })
    expect(lightState({ online: true, values: { switch_state: cell('open'), dim_level: cell(0) } })).toEqual({ state: 'off', level: 0 })
    expect(lightState({ online: false, values: { light: cell('on') } }).state).toBe('offline')
    expect(lightState(null)).toEqual({ state: 'unknown', level: null })
  })

  it('finds the KNX groups of a topology, on circuits then on none', () => {
    expect(knxGroups(topo()).map((x) => [x.device.code, x.circuit?.code ?? null])).toEqual([['KNX-L1', 'WL2'], ['KNX-L2', null]])
  })

  it('turns a telegram into latest-value cells and clamps a level', () => {
    expect(telegramCells({ values: { light: 'off' }, at: '2026-12-02T10:00:00Z' })).toEqual({ light: { v: 'off', ts: '2026-12-02T10:00:00Z' } })
    expect([clampLevel('40.4'), clampLevel(120), clampLevel(-3), clampLevel(''), clampLevel('x')]).toEqual([40, 100, 0, null, null])
  })
})

describe('light controls', () => {
  it('the sheet of a dimmable group: its own actions, no feeds, the level sent with dim', async () => {
    const bodies = []
    mockFetch((url, init) => {
      bodies.push(JSON.parse(init.body))
      return json(202, { id: 7, site_id: 1, device_id: 302, action: 'dim', value: 40, state: 'queued', requested_by: 1 })
    })
    const w = mount(ControlSheet, { ...opts(), props: { show: true, deviceId: 302, action: 'dim', value: 40 } })
    await flushPromises()
    expect(w.findAll('[data-test=control-action]').map((b) => b.attributes('data-action'))).toEqual(['on', 'off', 'dim'])
    expect(w.find('[data-test=control-feeds]').exists()).toBe(false)
    expect(w.get('[data-test=control-device-state]').text()).toContain('开 · 亮度 60%')
    expect(w.get('[data-test=dim-level] input').element.value).toBe('40')
    expect(w.get('[data-test=control-send]').text()).toBe('调光到 40%')
    await w.get('[data-test=control-reason] textarea').setValue('夜间调暗')
    await w.get('[data-test=control-send]').trigger('click')
    await flushPromises()
    expect(bodies).toEqual([{ action: 'dim', value: 40, reason: '夜间调暗' }])
    expect(w.get('[data-test=command-progress]').attributes('data-state')).toBe('queued')
    // on/off carry no value
    await w.setProps({ show: false })
    await w.setProps({ show: true, action: 'off', value: null })
    await w.get('[data-test=control-reason] textarea').setValue('熄灯')
    await w.get('[data-test=control-send]').trigger('click')
    await flushPromises()
    expect(bodies[1]).toEqual({ action: 'off', reason: '熄灯' })
  })

  it('a KNX failure is shown in Chinese', async () => {
    mockFetch(() => json(202, { id: 8, site_id: 1, device_id: 301, action: 'on', state: 'queued', requested_by: 1 }))
    const w = mount(ControlSheet, { ...opts(), props: { show: true, deviceId: 301 } })
    await flushPromises()
    expect(w.findAll('[data-test=control-action]').map((b) => b.attributes('data-action'))).toEqual(['on', 'off'])
    expect(w.find('[data-test=control-dim]').exists()).toBe(false)
    await w.get('[data-test=control-reason] textarea').setValue('巡查')
    await w.get('[data-test=control-send]').trigger('click')
    await flushPromises()
    useCommandsStore().apply({ id: 8, site_id: 1, device_id: 301, state: 'timed_out', error: 'knx_no_answer' })
    await flushPromises()
    expect(w.get('[data-test=command-reason]').text()).toBe('下发后状态地址无应答，灯光状态未知')
  })

  it('the device page control shows the state read back and a wall switch telegram live', async () => {
    const f = useFacilityStore()
    const entry = () => ({ ...f.latest[302], kind: 'knx_group', actions: L2.actions })
    const w = mount(DeviceControl, { ...opts(), props: { entry: entry() } })
    expect(w.get('[data-test=confirmed]').attributes('data-value')).toBe('on')
    expect(w.get('[data-test=confirmed]').text()).toContain('亮度 60%')
    expect(w.findAll('[data-test=device-action]').map((b) => b.text())).toEqual(['开', '关', '调光'])
    expect(w.get('[data-test=knx-telegram]').text()).toContain('尚无总线报文')
    f.applyTelegram({ site_id: 1, knx_gateway_id: 1, device_id: 302, address: '1/2/10', kind: 'write',
      values: { light: 'off' }, at: '2026-12-02T10:00:00Z' })
    await w.setProps({ entry: entry() })
    expect(w.get('[data-test=confirmed]').attributes('data-value')).toBe('off')
    expect(w.get('[data-test=knx-telegram]').attributes('data-address')).toBe('1/2/10')
    expect(w.get('[data-test=knx-telegram]').text()).toContain('1/2/10 写入')
    // another site's telegram is not this page's
    f.applyTelegram({ site_id: 2, device_id: 302, address: '1/2/10', kind: 'write', values: { light: 'on' }, at: 'x' })
    expect(f.latest[302].values.light.v).toBe('off')
  })

  it('a load controller gets the same controls, a breaker keeps its own', () => {
    const load = { device_id: 400, online: true, kind: 'load', actions: ['dim', 'off', 'on'],
      values: { switch_state: cell('closed'), dim_level: cell(30) } }
    const w = mount(DeviceControl, { ...opts(), props: { entry: load } })
    expect(w.get('[data-test=confirmed]').attributes('data-value')).toBe('on')
    expect(w.get('[data-test=confirmed]').attributes('data-level')).toBe('30')
    expect(w.find('[data-test=knx-telegram]').exists()).toBe(false)
    const b = mount(DeviceControl, { ...opts(), props: { entry: { ...latest()[101], kind: 'breaker', actions: ['close', 'open', 'reset'] } } })
    expect(b.findAll('[data-test=device-action]').map((x) => x.attributes('data-action'))).toEqual(['open', 'close'])
  })

  it('a topology chip follows the live values and opens the sheet', async () => {
    const open = vi.fn()
    const w = mount(LightChip, { ...opts(), props: { device: L2 }, global: { ...opts().global, provide: { openControl: open } } })
    expect(w.get('[data-test=knx-light]').attributes('data-state')).toBe('on')
    expect(w.get('[data-test=knx-light]').text()).toContain('60%')
    useFacilityStore().applyReading({ site_id: 1, devices: [{ device_id: 302, values: { brightness: cell(40) } }] })
    await flushPromises()
    expect(w.get('[data-test=knx-light]').attributes('data-level')).toBe('40')
    await w.get('[data-test=switch-light]').trigger('click')
    expect(open).toHaveBeenCalledWith(302)
  })
})

describe('history groups', () => {
  it('offers a light\'s brightness and a sump\'s level as history', async () => {
    const { availableGroups } = await import('../../src/lib/metrics.js')
    expect(availableGroups({ light: 'on', brightness: 40 })).toEqual([{ key: 'light', metrics: ['brightness'] }])
    expect(availableGroups({ water_level: 8.2, high_water: false })).toEqual([{ key: 'water', metrics: ['water_level'] }])
  })
})
