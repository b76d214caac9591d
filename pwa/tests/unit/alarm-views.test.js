import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import Vant from 'vant'
import { configureApi, setSession } from '../../src/api/client.js'
import { setLocale, t } from '../../src/i18n/index.js'
import { makeRouter } from '../../src/router.js'
import { useAlarmsStore } from '../../src/stores/alarms.js'
import { useAuthStore } from '../../src/stores/auth.js'
import { useFacilityStore } from '../../src/stores/facility.js'
import AlarmActions from '../../src/components/AlarmActions.vue'
import AlarmRow from '../../src/components/AlarmRow.vue'
import CircuitNode from '../../src/components/CircuitNode.vue'
import AlarmsView from '../../src/views/AlarmsView.vue'
import AlarmDetailView from '../../src/views/AlarmDetailView.vue'
import { fakeJwt, json, mockFetch } from './helpers.js'
import { latest, topology } from './fixtures.js'
import { alarm, detail } from './alarms.fixtures.js'

vi.mock('../../src/lib/beep.js', () => ({ alertNewAlarm: vi.fn(), unlockAudio: vi.fn() }))

let pinia
let router
const COUNTS = { warning: { active: 0, acknowledged: 0 }, alarm: { active: 1, acknowledged: 0 } }
function login(role = 'manager') {
  const user = { id: 3, username: 'boss', role, is_superadmin: false }
  setSession({ access: fakeJwt('3'), refresh: 'r', user })
  useAuthStore().user = user
}
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  setLocale('zh-CN')
  configureApi({ notify: vi.fn(), onExpired: vi.fn() })
  router = makeRouter(createMemoryHistory())
  login()
  const f = useFacilityStore()
  f.topology = topology
  f.latest = latest()
})
const opts = (extra = {}) => ({ global: { plugins: [pinia, router, Vant], config: { globalProperties: { $t: t } } }, ...extra })

describe('alarm list', () => {
  it('AlarmRow shows level colour, type, place, value and state', () => {
    const w = mount(AlarmRow, opts({ props: { alarm: alarm({ level: 'warning', trip_cause: null, state: 'acknowledged' }) } }))
    const row = w.get('[data-test=alarm-row]')
    expect(row.classes()).toContain('lv-warning')
    expect(row.text()).toContain('预警')
    expect(row.text()).toContain('过压')
    expect(row.text()).toContain('一监区 · QF1')
    expect(row.text()).toContain('281.2 V')
    expect(row.get('[data-test=alarm-state]').text()).toBe('已确认')
  })

  it('AlarmsView lists the site\'s alarms live and acknowledges a selection', async () => {
    let acked = null
    mockFetch((url, init) => {
      if (url.includes('/alarms/counts')) return json(200, COUNTS)
      if (url.endsWith('/alarms/acknowledge')) {
        acked = JSON.parse(init.body)
        return json(200, acked.ids.map((id) => alarm({ id, state: 'acknowledged' })))
      }
      return json(200, [alarm({ id: 1 }), alarm({ id: 2, level: 'warning' })], { 'X-Pagination': '{"total": 2}' })
    })
    const w = mount(AlarmsView, opts())
    await useAlarmsStore().loadSite(1)
    await flushPromises()
    expect(w.findAll('[data-test=alarm-row]')).toHaveLength(2)
    expect(w.get('[data-test=alarm-total]').text()).toBe('共 2 条')
    useAlarmsStore().apply(alarm({ id: 3, rule: 'overload', unit: '', value: 1.3 })) // an SSE event
    await flushPromises()
    expect(w.findAll('[data-test=alarm-row]').map((r) => r.attributes('data-alarm-id'))).toEqual(['3', '1', '2'])
    await w.get('[data-test=select-toggle]').trigger('click')
    await w.findAll('[data-test=alarm-row]')[1].trigger('click')
    await w.findAll('[data-test=alarm-row]')[2].trigger('click')
    expect(w.get('[data-test=ack-selected]').text()).toBe('确认所选（2）')
    await w.get('[data-test=ack-selected]').trigger('click')
    await flushPromises()
    expect(acked).toEqual({ ids: [1, 2] })
    expect(w.findAll('[data-state=acknowledged]')).toHaveLength(2)
    expect(w.find('[data-test=ack-selected]').exists()).toBe(false)
  })
})

describe('alarm detail', () => {
  function serveDetail(state = 'active') {
    const calls = []
    mockFetch((url, init = {}) => {
      calls.push([init.method || 'GET', url, init.body && JSON.parse(init.body)])
      if (url.includes('/repair-orders/9/photos/4')) return new Response(new Blob(['\x89PNG']), { headers: { 'Content-Type': 'image/png' } })
      if (url.includes('/repair-orders/9/photos')) return json(200, [{ id: 4, order_id: 9, filename: 'a.png', content_type: 'image/png' }])
      if (url.includes('/repair-orders')) return json(200, [{ id: 9, alarm_id: 1, title: '更换断路器', status: 'open', note: '', created_at: '2026-11-23T10:03:00Z' }])
      if (url.includes('/alarms/counts')) return json(200, COUNTS)
      if (url.endsWith('/alarms/acknowledge')) return json(200, [alarm({ state: 'acknowledged' })])
      return json(200, detail({ state }))
    })
    return calls
  }

  it('shows values, trip cause, links, children, repair orders and the localized timeline', async () => {
    let made = 0
    URL.createObjectURL = vi.fn(() => `blob:photo-${++made}`)
    URL.revokeObjectURL = vi.fn()
    serveDetail()
    const w = mount(AlarmDetailView, opts({ props: { id: 1 } }))
    await flushPromises()
    const head = w.get('[data-test=alarm-detail]')
    expect(head.attributes('data-state')).toBe('active')
    expect(head.text()).toContain('282 V')
    expect(w.get('[data-test=trip-cause]').text()).toContain('过压')
    expect(w.get('[data-test=device-link]').text()).toContain('QF1')
    expect(w.get('[data-test=alarm-children]').text()).toContain('欠压')
    expect(w.get('[data-test=repair-orders]').text()).toContain('待处理')
    expect(w.get('[data-test=order-photos]').attributes('data-count')).toBe('1')  // fetched with the token
    expect(w.get('[data-test=order-photos] img').attributes('src')).toBe('blob:photo-1')
    const tl = w.get('[data-test=alarm-timeline]').text()
    for (const s of ['发生报警：281.2 V（阈值 275 V）', '浏览器推送 · 转下一渠道', '短信 · 已发送', '王经理 指派给 张三', '马上去'])
      expect(tl).toContain(s)
  })

  it('acknowledges with a comment, moves a repair order on', async () => {
    const calls = serveDetail()
    const w = mount(AlarmDetailView, opts({ props: { id: 1 } }))
    await flushPromises()
    await w.get('[data-test=ack]').trigger('click')
    await w.get('[data-test=prompt-text] textarea').setValue('已到现场')
    await w.get('[data-test=prompt-submit]').trigger('click')
    await flushPromises()
    expect(calls.find((c) => c[1].endsWith('/alarms/acknowledge'))[2]).toEqual({ ids: [1], comment: '已到现场' })
    expect(w.get('[data-test=alarm-detail]').attributes('data-state')).toBe('acknowledged')
    await w.get('[data-test=order-in_progress]').trigger('click')
    await flushPromises()
    expect(calls.find((c) => c[0] === 'PATCH')).toEqual(['PATCH', '/api/v1/repair-orders/9', { status: 'in_progress' }])
  })

  it('offers take to staff, assign-to-me, the user picker and unassign to managers, close once cleared', async () => {
    const buttons = (w) => w.findAll('button').map((b) => b.attributes('data-test')).filter(Boolean)
    login('staff')
    let w = mount(AlarmActions, opts({ props: { alarm: alarm() } }))
    expect(buttons(w)).toEqual(['ack', 'comment', 'take', 'repair'])
    login('manager')
    w = mount(AlarmActions, opts({ props: { alarm: alarm({ assignee_id: 7, state: 'cleared' }) } }))
    expect(buttons(w)).toEqual(['comment', 'assign-me', 'assign', 'unassign', 'close', 'repair'])
    login('admin')
    w = mount(AlarmActions, opts({ props: { alarm: alarm({ state: 'closed' }) } }))
    expect(buttons(w)).toEqual(['comment', 'assign-me', 'assign'])
  })
})

describe('facility marks', () => {
  it('CircuitNode blinks red for an open alarm on its device, orange for a warning', async () => {
    const c = topology.boards[0].circuits[0].circuits[1] // WL2, device 102
    const w = mount(CircuitNode, opts({ props: { circuit: c } }))
    expect(w.find('.amark').exists()).toBe(false)
    const s = useAlarmsStore()
    s.siteId = 1
    s.apply(alarm({ id: 5, level: 'warning', circuit_id: null, device_id: 102 }), { quiet: true })
    await flushPromises()
    expect(w.get('[data-circuit=WL2]').attributes('data-alarm')).toBe('warning')
    s.apply(alarm({ id: 6, level: 'alarm', circuit_id: 12, device_id: 102 }), { quiet: true })
    await flushPromises()
    expect(w.get('.amark').classes()).toContain('alarm')
    s.apply(alarm({ id: 6, level: 'alarm', circuit_id: 12, device_id: 102, state: 'cleared' }), { quiet: true })
    s.apply(alarm({ id: 5, level: 'warning', circuit_id: null, device_id: 102, state: 'closed' }), { quiet: true })
    await flushPromises()
    expect(w.find('.amark').exists()).toBe(false)
  })
})
