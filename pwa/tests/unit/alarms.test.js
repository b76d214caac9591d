import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { configureApi, setSession } from '../../src/api/client.js'
import { setLocale } from '../../src/i18n/index.js'
import { alarmMarks, alarmTitle, indexTopology, matches } from '../../src/lib/alarms.js'
import { describe as describeEntry, userNames } from '../../src/lib/timeline.js'
import { keyBytes } from '../../src/lib/push.js'
import { useAlarmsStore } from '../../src/stores/alarms.js'
import { alertNewAlarm } from '../../src/lib/beep.js'
import { fakeJwt, json, mockFetch } from './helpers.js'
import { alarm, detail } from './alarms.fixtures.js'
import { topology } from './fixtures.js'

vi.mock('../../src/lib/beep.js', () => ({ alertNewAlarm: vi.fn(), unlockAudio: vi.fn() }))

const COUNTS = { warning: { active: 1, acknowledged: 0 }, alarm: { active: 2, acknowledged: 1 } }

beforeEach(() => {
  setActivePinia(createPinia())
  setSession({ access: fakeJwt('3'), refresh: 'r', user: { id: 3, role: 'manager' } })
  configureApi({ notify: vi.fn(), onExpired: vi.fn(), onFresh: null, onStale: null, onOffline: null })
  setLocale('zh-CN')
  alertNewAlarm.mockClear()
})

/** The API: counts, open alarms, list pages of ``rows`` (total in X-Pagination), acknowledge. */
function serve(rows = [alarm()]) {
  return mockFetch((url, init) => {
    const u = new URL(url, 'http://x')
    if (u.pathname.endsWith('/alarms/counts')) return json(200, COUNTS)
    if (u.pathname.endsWith('/alarms/acknowledge')) {
      const { ids } = JSON.parse(init.body)
      return json(200, ids.map((id) => alarm({ id, state: 'acknowledged', acknowledged_by: 3 })))
    }
    const page = Number(u.searchParams.get('page') || 1)
    const size = Number(u.searchParams.get('page_size'))
    return json(200, rows.slice((page - 1) * size, page * size),
      { 'X-Pagination': JSON.stringify({ total: rows.length, page }) })
  })
}

describe('alarms store', () => {
  it('loads counts and the open alarms of a site: badge, latest, facility marks', async () => {
    const fetch = serve([alarm(), alarm({ id: 4, level: 'warning', circuit_id: 12, device_id: 102, trip_cause: null })])
    const s = useAlarmsStore()
    await s.loadSite(1)
    expect(fetch.mock.calls.map((c) => c[0])).toContain('/api/v1/alarms/counts?site_id=1')
    expect(fetch.mock.calls.some((c) => c[0].includes('state=active%2Cacknowledged'))).toBe(true)
    expect(s.badge).toBe(3)
    expect(s.latest.map((a) => a.id)).toEqual([4, 1].sort((a, b) => b - a))
    expect(s.marks.circuits).toEqual({ 11: 'alarm', 12: 'warning' })
    expect(s.marks.devices[101]).toBe('alarm')
  })

  it('pages the list with X-Pagination and the filters as comma lists', async () => {
    const rows = Array.from({ length: 25 }, (_, i) => alarm({ id: 100 - i }))
    const fetch = serve(rows)
    const s = useAlarmsStore()
    await s.loadSite(1)
    await s.setFilters({ level: ['alarm', 'warning'] })
    const url = fetch.mock.calls.at(-2)[0]
    expect(url).toContain('level=alarm%2Cwarning')
    expect(url).toContain('root_only=true')
    expect(s.list).toHaveLength(20)
    expect(s.total).toBe(25)
    expect(s.finished).toBe(false)
    await s.loadMore()
    expect(s.list).toHaveLength(25)
    expect(s.finished).toBe(true)
  })

  it('merges SSE alarm events in place by id; a new active alarm beeps unless muted', async () => {
    serve([alarm()])
    const s = useAlarmsStore()
    await s.loadSite(1)
    await s.refresh()
    s.apply({ ...alarm(), state: 'acknowledged', value: 290 })
    expect(s.list).toHaveLength(1)
    expect(s.list[0].state).toBe('acknowledged')
    expect(s.list[0].value).toBe(290)
    expect(s.list[0].peak_value).toBe(282) // fields the summary lacks are kept
    expect(alertNewAlarm).not.toHaveBeenCalled()
    s.apply(alarm({ id: 7, level: 'warning' }))
    expect(s.list.map((a) => a.id)).toEqual([7, 1])
    expect(s.total).toBe(2)
    expect(alertNewAlarm).toHaveBeenCalledWith('warning')
    s.apply(alarm({ id: 7, level: 'alarm' })) // escalated
    expect(alertNewAlarm).toHaveBeenCalledTimes(2)
    s.setMuted(true)
    expect(localStorage.getItem('gw.alarms.muted')).toBe('1')
    s.apply(alarm({ id: 8 }))
    expect(alertNewAlarm).toHaveBeenCalledTimes(2)
    s.apply(alarm({ id: 9, site_id: 2 })) // another site's event: ignored
    expect(s.byId[9]).toBeUndefined()
    s.apply(alarm({ id: 1, state: 'cleared' }))
    expect(s.open[1]).toBeUndefined()
    expect(s.marks.circuits[11]).toBe('alarm') // alarms 7 and 8 are still open there
  })

  it('acknowledges several alarms and reloads the counts', async () => {
    const fetch = serve([alarm({ id: 1 }), alarm({ id: 2 })])
    const s = useAlarmsStore()
    await s.loadSite(1)
    await s.refresh()
    const done = await s.acknowledge([1, 2], '已处理')
    expect(done).toHaveLength(2)
    const post = fetch.mock.calls.find((c) => c[0].endsWith('/alarms/acknowledge'))
    expect(JSON.parse(post[1].body)).toEqual({ ids: [1, 2], comment: '已处理' })
    expect(s.list.every((a) => a.state === 'acknowledged')).toBe(true)
    expect(alertNewAlarm).not.toHaveBeenCalled()
    expect(fetch.mock.calls.at(-1)[0]).toContain('/alarms/counts')
  })
})

describe('alarm helpers', () => {
  it('filters, marks, titles and places', () => {
    expect(matches(alarm({ parent_id: 3 }), { rootOnly: true })).toBe(false)
    expect(matches(alarm(), { level: ['warning'] })).toBe(false)
    expect(matches(alarm(), { state: ['active', 'acknowledged'] })).toBe(true)
    expect(alarmMarks({ 1: alarm({ level: 'warning' }), 2: alarm({ id: 2 }), 3: alarm({ id: 3, circuit_id: 12, state: 'cleared' }) }))
      .toEqual({ circuits: { 11: 'alarm' }, devices: { 101: 'alarm' } })
    expect(alarmTitle(alarm())).toBe('过压 · 跳闸')
    expect(alarmTitle(alarm({ rule: 'trip', trip_cause: 'short_circuit' }))).toBe('断路器跳闸 · 跳闸：短路')
    expect(indexTopology(topology).devices[201].circuit.code).toBe('AP1-WL1')
  })

  it('describes every timeline entry in Chinese and English', () => {
    const d = detail()
    const names = userNames(d)
    const lines = d.timeline.map((e) => describeEntry(e, d, names))
    expect(lines[0].text).toBe('发生报警：281.2 V（阈值 275 V）')
    expect(lines[0].sub).toBe('跳闸：过压')
    expect(lines[1].text).toBe('通知 张三 · 浏览器推送 · 转下一渠道')
    expect(lines[2].text).toBe('通知 张三 · 短信 · 已发送')
    expect(lines[3]).toEqual({ text: '王经理 评论', sub: '马上去' })
    expect(lines[4].text).toBe('王经理 指派给 张三')
    expect(lines[5].text).toBe('王经理 创建工单 #9（待处理）')
    setLocale('en')
    expect(describeEntry(d.timeline[0], d).text).toBe('Alarm raised: 281.2 V (limit 275 V)')
    expect(describeEntry({ kind: 'assigned', user_id: 7, user: 'li', data: { assignee_id: 7 } }).text).toBe('li took it')
    expect(describeEntry({ kind: 'cleared', data: { value: 230 } }, d).text).toBe('Cleared: 230 V')
  })

  it('turns the base64url VAPID key into bytes', () => {
    expect(Array.from(keyBytes('AQID_w'))).toEqual([1, 2, 3, 255])
  })
})
