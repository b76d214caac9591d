import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import Vant from 'vant'
import { configureApi, getSession, setSession } from '../../src/api/client.js'
import { locale, setLocale, t } from '../../src/i18n/index.js'
import { makeRouter } from '../../src/router.js'
import { useFacilityStore } from '../../src/stores/facility.js'
import { useNetStore } from '../../src/stores/net.js'
import { useAlarmsStore } from '../../src/stores/alarms.js'
import AlarmsSlot from '../../src/components/AlarmsSlot.vue'
import CircuitNode from '../../src/components/CircuitNode.vue'
import LivePowerChart from '../../src/components/LivePowerChart.vue'
import StaleBanner from '../../src/components/StaleBanner.vue'
import StatTiles from '../../src/components/StatTiles.vue'
import LoginView from '../../src/views/LoginView.vue'
import { fakeJwt, json, mockFetch } from './helpers.js'
import { cell, latest, topology } from './fixtures.js'

const chart = { setOption: vi.fn(), resize: vi.fn(), dispose: vi.fn() }
vi.mock('../../src/lib/echarts.js', () => ({ init: vi.fn(() => chart) }))

let pinia
let router
beforeEach(async () => {
  pinia = createPinia()
  setActivePinia(pinia)
  setSession(null)
  setLocale('zh-CN')
  configureApi({ notify: vi.fn(), onExpired: vi.fn() })
  router = makeRouter(createMemoryHistory())
})
const opts = () => ({ global: { plugins: [pinia, router, Vant], config: { globalProperties: { $t: t } } } })

describe('components', () => {
  it('StatTiles shows online/offline counts and site power', () => {
    const w = mount(StatTiles, { ...opts(), props: { counts: { online: 14, offline: 2, total: 18 }, power: 123.456 } })
    expect(w.get('[data-test=count-online]').text()).toBe('14')
    expect(w.get('[data-test=count-offline]').text()).toBe('2')
    expect(w.get('[data-test=site-power]').text()).toContain('123.5')
    expect(w.text()).toContain('在线')
  })

  it('AlarmsSlot shows no numbers until the counts are loaded, then the counts', async () => {
    const w = mount(AlarmsSlot, opts())
    expect(w.text()).not.toMatch(/\d/)
    useAlarmsStore().counts = { alarm: { active: 2, acknowledged: 1 }, warning: { active: 3, acknowledged: 0 } }
    await flushPromises()
    expect(w.get('[data-test=count-alarm-active]').text()).toBe('2')
    expect(w.get('[data-test=count-warning-active]').text()).toBe('3')
    expect(w.get('[data-test=count-acknowledged]').text()).toBe('1')
  })

  it('CircuitNode marks a tripped circuit with a blinking red dot and follows live values', async () => {
    const f = useFacilityStore()
    f.$patch({ siteId: 1, topology, latest: latest() })
    const wl2 = topology.boards[0].circuits[0].circuits[1]
    const w = mount(CircuitNode, { ...opts(), props: { circuit: wl2 } })
    expect(w.get('[data-circuit=WL2]').attributes('data-state')).toBe('closed')
    f.applyReading({ site_id: 1, devices: [{ device_id: 102, values: {
      switch_state: cell('open'), trip_cause: cell('over_voltage') } }] })
    await flushPromises()
    const row = w.get('[data-circuit=WL2]')
    expect(row.attributes('data-state')).toBe('tripped')
    expect(row.find('.dot.tripped').exists()).toBe(true)
    expect(row.text()).toContain('跳闸')
  })

  it('StaleBanner says when the data on screen is from, only when offline', async () => {
    const net = useNetStore()
    const w = mount(StaleBanner, opts())
    expect(w.find('[data-test=stale-banner]').exists()).toBe(false)
    net.fromCache(new Date(2026, 10, 23, 8, 5, 9).getTime())
    await flushPromises()
    expect(w.get('[data-test=stale-banner]').text()).toContain('08:05:09')
  })

  it('LivePowerChart draws the series it is given', async () => {
    const w = mount(LivePowerChart, { ...opts(), props: { series: [[1, 10], [2, 12]] } })
    await flushPromises()
    const option = chart.setOption.mock.calls.at(-1)[0]
    expect(option.series[0].data).toEqual([[1, 10], [2, 12]])
    expect(w.get('[data-test=live-power-points]').text()).toBe('2')
  })

  it('LoginView logs in and returns to the page the user was on', async () => {
    mockFetch(() => json(200, { access_token: fakeJwt('5'), refresh_token: 'r5',
      user: { id: 5, username: 'mgr', role: 'manager' } }))
    router.push('/devices/17?x=1')
    await router.isReady()
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.redirect).toBe('/devices/17?x=1')
    const w = mount(LoginView, opts())
    await w.get('input[name=username]').setValue('mgr')
    await w.get('input[name=password]').setValue('pw')
    await w.get('form').trigger('submit')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/devices/17?x=1'))
    expect(getSession().refresh).toBe('r5')
  })
})

describe('i18n', () => {
  it('is Chinese first, switches to English and remembers it', () => {
    expect(t('nav.overview')).toBe('总览')
    setLocale('en')
    expect(locale.value).toBe('en')
    expect(t('nav.overview')).toBe('Overview')
    expect(t('devices.x.y')).toBe('devices.x.y')
    expect(t('overview.devicesTotal', { n: 3 })).toBe('3 in all')
    expect(localStorage.getItem('gw.locale')).toBe('en')
  })
})
