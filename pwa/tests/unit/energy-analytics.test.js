import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import Vant from 'vant'
import { configureApi, setSession } from '../../src/api/client.js'
import { setLocale, t } from '../../src/i18n/index.js'
import { addDays, areaIndex, areaPath, compareOption, compareQuery, departmentRows, fmtChange, fmtMoney, itemName, monthStart,
  groupQuery, rankingOption, shareOption, spanDays, spanTrendQuery, subAreaCount, zonedInstant } from '../../src/lib/energyAnalytics.js'
import EnergyAnalytics from '../../src/components/EnergyAnalytics.vue'
import { fakeJwt, json, mockFetch } from './helpers.js'

const chart = { setOption: vi.fn(), resize: vi.fn(), dispose: vi.fn() }
vi.mock('../../src/lib/echarts.js', () => ({ init: vi.fn(() => chart) }))

describe('energy analysis: the site-zone bounds', () => {
  it('steps days and months across year ends and leap days', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29')
    expect(monthStart('2026-12-02')).toBe('2026-12-01')
    expect(monthStart('2026-12-02', 1)).toBe('2027-01-01')
    expect(monthStart('2026-01-31', -1)).toBe('2025-12-01')
  })
  it('puts local midnight in the site zone, whatever the browser', () => {
    expect(zonedInstant('2026-12-01', 'Asia/Shanghai')).toBe('2026-11-30T16:00:00.000Z')
    expect(zonedInstant('2026-12-01', 'UTC', 10, 30)).toBe('2026-12-01T10:30:00.000Z')
    // Berlin: winter +1, summer +2 (the offset of the day itself, not of today)
    expect(zonedInstant('2026-01-15', 'Europe/Berlin')).toBe('2026-01-14T23:00:00.000Z')
    expect(zonedInstant('2026-07-15', 'Europe/Berlin')).toBe('2026-07-14T22:00:00.000Z')
    // 02:30 does not exist on 2026-03-29 in Berlin: the offset before the change
    expect(zonedInstant('2026-03-29', 'Europe/Berlin', 2, 30)).toBe('2026-03-29T01:30:00.000Z')
  })
  it('asks YoY by month over this year and MoM by day over this month', () => {
    expect(compareQuery('yoy', '2026-12-02', 'Asia/Shanghai')).toEqual({ compare: 'yoy', interval: 'month',
      start: '2025-12-31T16:00:00.000Z', end: '2026-12-31T16:00:00.000Z' })
    expect(compareQuery('mom', '2026-12-02', 'Asia/Shanghai')).toEqual({ compare: 'mom', interval: 'day',
      start: '2026-11-30T16:00:00.000Z', end: '2026-12-02T16:00:00.000Z' })
    expect(spanDays('month', '2026-12-02')).toEqual({ start: '2026-12-01', end: '2026-12-02' })
    expect(spanDays('year', '2026-12-02')).toEqual({ start: '2026-01-01', end: '2026-12-02' })
    expect(spanTrendQuery('month', '2026-12-02', 'UTC')).toEqual({ interval: 'month',
      start: '2026-12-01T00:00:00.000Z', end: '2027-01-01T00:00:00.000Z' })
  })
})

describe('energy analysis: formatting and charts', () => {
  it('formats money and changes', () => {
    expect(fmtMoney(1234.5, 'CNY')).toBe('1,234.50 CNY')
    expect(fmtMoney(0)).toBe('0.00')
    expect(fmtMoney(null, 'CNY')).toBe('—')
    expect(fmtChange(25)).toBe('+25.0%')
    expect(fmtChange(-3.21)).toBe('-3.2%')
    expect(fmtChange(0)).toBe('0.0%')
    expect(fmtChange(null)).toBe('—')
    expect(itemName({ category: 'lighting', import_kwh: 1 }, (c) => `[${c}]`)).toBe('[lighting]')
    expect(itemName({ area_id: 1, code: 'JQ1', name: '一监区' })).toBe('一监区')
  })
  it('charts this span beside the previous one, labelled in the site zone', () => {
    const opt = compareOption({ interval: 'day', timezone: 'Asia/Shanghai', points: [
      { start: '2026-11-30T16:00:00+00:00', import_kwh: 10, previous_kwh: 4 },
      { start: '2026-12-01T16:00:00+00:00', import_kwh: 3, previous_kwh: 0 }] }, { current: 'a', previous: 'b' })
    expect(opt.xAxis.data).toEqual(['12-01', '12-02'])
    expect(opt.series.map((s) => s.data)).toEqual([[10, 3], [4, 0]])
    expect(opt.legend.data).toEqual(['a', 'b'])
    expect(compareOption(null, { current: 'a', previous: 'b' }).series[0].data).toEqual([])
  })
  it('leaves empty items out of the pie and ranks the first at the top', () => {
    const pie = shareOption({ items: [{ category: 'lighting', import_kwh: 6 }, { category: 'pump', import_kwh: 0 }] }, (c) => c)
    expect(pie.series[0].data.map((d) => [d.name, d.value])).toEqual([['lighting', 6]])
    const bars = rankingOption({ currency: 'CNY', items: [{ rank: 1, name: 'A', import_kwh: 6, cost: 3 },
      { rank: 2, name: 'B', import_kwh: 2, cost: 2.6 }] }, (c) => c)
    expect(bars.yAxis.data).toEqual(['B', 'A'])
    expect(bars.series[0].data).toEqual([2, 6])
    expect(rankingOption({ items: [{ name: 'A', import_kwh: 6, cost: 3 }] }, (c) => c, 'cost').series[0].data).toEqual([3])
  })
  it('sums the departments\' cost and carbon, the costliest first', () => {
    const areas = [{ area_id: 1, code: 'JQ1', name: '一监区' }, { area_id: 2, code: 'BG', name: '办公区' },
      { area_id: 3, code: 'X', name: '空' }]
    const tr = (kwh, cost, carbon) => ({ total: { import_kwh: kwh, cost, unpriced_kwh: 0, carbon_kg: carbon, currency: 'CNY' } })
    const d = departmentRows(areas, { 1: tr(6, 3, 3), 2: tr(2, 5.2, 1) })
    expect(d.rows.map((r) => [r.code, r.cost, r.carbon_kg])).toEqual([['BG', 5.2, 1], ['JQ1', 3, 3], ['X', 0, null]])
    expect(d.total).toEqual({ import_kwh: 8, cost: 8.2, unpriced_kwh: 0, carbon_kg: 4, currency: 'CNY' })
    expect(departmentRows(areas, { 1: tr(1, 1, null) }).total.carbon_kg).toBeNull()
    expect(departmentRows(null, {}).rows).toEqual([])
  })
})

// 一监区 (1) with its sub-areas 一分监区 (11) and 二分监区 (12, itself with 监舍 121); 办公区 (2).
const TOPOLOGY = { site: { id: 1, name: '甲所' }, boards: [], areas: [
  { id: 1, code: 'JQ1', name: '一监区', children: [
    { id: 11, code: 'JQ1-1', name: '一分监区', children: [] },
    { id: 12, code: 'JQ1-2', name: '二分监区', children: [{ id: 121, code: 'JQ1-2-A', name: '监舍', children: [] }] }] },
  { id: 2, code: 'BG', name: '办公区', children: [] }] }

describe('energy analysis: the departments drill-down helpers', () => {
  it('indexes the nested areas and walks a breadcrumb down to one', () => {
    const index = areaIndex(TOPOLOGY)
    expect([...index.keys()]).toEqual([1, 11, 12, 121, 2])
    expect(index.get(121).parent_id).toBe(12)
    expect(subAreaCount(index, 1)).toBe(2)
    expect(subAreaCount(index, 2)).toBe(0)
    expect(subAreaCount(index, 999)).toBe(0)
    expect(areaPath(index, 121).map((a) => a.name)).toEqual(['一监区', '二分监区', '监舍'])
    expect(areaPath(index, null)).toEqual([])
    expect(areaPath(index, 999)).toEqual([])
    expect(areaIndex(null).size).toBe(0)
  })
  it('sends the parent for areas only', () => {
    expect(groupQuery(1, 'area', 12, 'month', '2026-12-02')).toEqual({ site_id: 1, by: 'area', parent_area_id: 12,
      start: '2026-12-01', end: '2026-12-02' })
    expect(groupQuery(1, 'area', null, 'year', '2026-12-02', { top: 10 })).toEqual({ site_id: 1, by: 'area', top: 10,
      start: '2026-01-01', end: '2026-12-02' })
    expect(groupQuery(1, 'circuit', 12, 'month', '2026-12-02', { top: 10 })).toEqual({ site_id: 1, by: 'circuit', top: 10,
      start: '2026-12-01', end: '2026-12-02' })
  })
})

describe('EnergyAnalytics', () => {
  let pinia
  beforeEach(() => {
    pinia = createPinia()
    setActivePinia(pinia)
    setLocale('zh-CN')
    configureApi({ notify: vi.fn(), onExpired: vi.fn() })
    setSession({ access: fakeJwt('1'), refresh: fakeJwt('1', 3600), user: { id: 1, role: 'manager' } })
  })
  const site = { site_id: 1, today: '2026-12-02', timezone: 'Asia/Shanghai' }
  const area = (id, code, name, kwh, cost) => ({ area_id: id, code, name, import_kwh: kwh, share_pct: kwh / 8 * 100, cost })

  it('shows the comparison, the share, the ranking and the departments from their answers', async () => {
    const calls = []
    mockFetch((url) => {
      const u = new URL(url, 'http://x')
      calls.push(`${u.pathname}?${u.searchParams}`)
      const q = Object.fromEntries(u.searchParams)
      if (u.pathname.endsWith('/energy/compare')) {
        return json(200, { node: 'site', node_id: 1, compare: q.compare, interval: q.interval, timezone: 'Asia/Shanghai',
          points: [{ start: '2026-11-30T16:00:00+00:00', import_kwh: 10, previous_kwh: 8, cost: 5, previous_cost: 4 }],
          total: { import_kwh: 10, previous_kwh: 8, change_kwh: 2, change_pct: 25, cost: 5, previous_cost: 4 } })
      }
      if (u.pathname.endsWith('/energy/share')) {
        const items = q.by === 'area' ? [area(1, 'JQ1', '一监区', 6, 3), area(2, 'BG', '办公区', 2, 2.6)]
          : [{ category: 'lighting', import_kwh: 6, share_pct: 75, cost: 3 }, { category: 'power', import_kwh: 2, share_pct: 25, cost: 2.6 }]
        return json(200, { site_id: 1, by: q.by, start: q.start, end: q.end, currency: 'CNY', site_kwh: 10, total_kwh: 8, total_cost: 5.6, items })
      }
      if (u.pathname.endsWith('/energy/ranking')) {
        return json(200, { site_id: 1, by: q.by, start: q.start, end: q.end, currency: 'CNY', total_kwh: 8, total_cost: 5.6, count: 2,
          items: [{ rank: 1, ...area(1, 'JQ1', '一监区', 6, 3) }, { rank: 2, ...area(2, 'BG', '办公区', 2, 2.6) }] })
      }
      if (u.pathname.endsWith('/energy/trend')) {
        const id = Number(q.node_id)
        return json(200, { node: 'area', node_id: id, points: [], total: id === 1
          ? { import_kwh: 6, cost: 3, unpriced_kwh: 0, carbon_kg: 3.5, currency: 'CNY' }
          : { import_kwh: 2, cost: 2.6, unpriced_kwh: 0.5, carbon_kg: 1, currency: 'CNY' } })
      }
      return json(404, { error: 'not_found' })
    })
    const w = mount(EnergyAnalytics, { props: { site, nodeKey: 'site:1', nodeLabel: '甲所' },
      global: { plugins: [pinia, Vant], config: { globalProperties: { $t: t } } } })
    await flushPromises()
    expect(calls).toContain('/api/v1/energy/compare?node=site&node_id=1&compare=yoy&interval=month'
      + '&start=2025-12-31T16%3A00%3A00.000Z&end=2026-12-31T16%3A00%3A00.000Z')
    expect(calls).toContain('/api/v1/energy/share?site_id=1&by=area&start=2026-12-01&end=2026-12-02')
    const cmp = w.get('[data-test=energy-compare]')
    expect(cmp.attributes('data-loaded')).toBe('site:1:yoy')
    expect(w.get('[data-test=compare-change]').text()).toContain('+25.0%')
    expect(cmp.text()).toContain('去年同期')
    expect(w.findAll('[data-test=share-item]').map((r) => [r.attributes('data-id'), r.attributes('data-cost')]))
      .toEqual([['1', '3'], ['2', '2.6']])
    expect(w.get('[data-test=energy-share]').text()).toContain('电费')
    expect(w.findAll('[data-test=ranking-item]').map((r) => r.attributes('data-id'))).toEqual(['1', '2'])
    const rows = w.findAll('[data-test=department-row]')
    expect(rows.map((r) => [r.attributes('data-id'), r.attributes('data-carbon')])).toEqual([['1', '3.5'], ['2', '1']])
    expect(w.get('[data-test=energy-departments]').attributes('data-cost')).toBe('5.6')
    expect(w.get('[data-test=departments-unpriced]').text()).toContain('0.50')
    // by circuit category: the categories translated; month on month by day
    await w.get('[data-test=energy-share] [data-by=category]').trigger('click')
    await w.get('[data-test=energy-compare] [data-mode=mom]').trigger('click')
    await flushPromises()
    expect(w.get('[data-test=energy-share]').text()).toContain('照明')
    expect(w.get('[data-test=energy-compare]').attributes('data-loaded')).toBe('site:1:mom')
    expect(calls.some((c) => c.includes('compare=mom&interval=day'))).toBe(true)
    // this year: the share, the ranking and the departments asked again from January
    await w.get('[data-test=energy-share] [data-span=year]').trigger('click')
    await flushPromises()
    expect(calls).toContain('/api/v1/energy/ranking?site_id=1&by=area&top=10&start=2026-01-01&end=2026-12-02')
    expect(calls.some((c) => c.startsWith('/api/v1/energy/trend?node=area&node_id=1&interval=month&start=2025-12-31T16'))).toBe(true)
    setLocale('en')
    await flushPromises()
    expect(w.get('[data-test=energy-departments]').text()).toContain('Cost and carbon by department')
    setLocale('zh-CN')
  })

  it('drills from a department into its sub-areas and back by the breadcrumb, in share and ranking', async () => {
    const calls = []
    const kids = { '': [area(1, 'JQ1', '一监区', 6, 3), area(2, 'BG', '办公区', 2, 2.6)],
      1: [area(11, 'JQ1-1', '一分监区', 4, 2), area(12, 'JQ1-2', '二分监区', 2, 1)],
      12: [area(121, 'JQ1-2-A', '监舍', 2, 1)] }
    mockFetch((url) => {
      const u = new URL(url, 'http://x')
      calls.push(`${u.pathname}?${u.searchParams}`)
      const q = Object.fromEntries(u.searchParams)
      const items = kids[q.parent_area_id ?? ''] || []
      const head = { site_id: 1, by: q.by, start: q.start, end: q.end, currency: 'CNY', total_kwh: 8, total_cost: 5.6 }
      if (u.pathname.endsWith('/energy/share')) return json(200, { ...head, parent_area_id: q.parent_area_id ? Number(q.parent_area_id) : null, site_kwh: 10, items })
      if (u.pathname.endsWith('/energy/ranking')) return json(200, { ...head, count: items.length, items: items.map((i, k) => ({ rank: k + 1, ...i })) })
      if (u.pathname.endsWith('/energy/compare')) return json(200, { node: 'site', node_id: 1, compare: 'yoy', interval: 'month', points: [], total: { import_kwh: 0, previous_kwh: 0 } })
      return json(200, { node: 'area', node_id: Number(q.node_id), points: [], total: { import_kwh: 0, cost: 0 } })
    })
    const w = mount(EnergyAnalytics, { props: { site, nodeKey: 'site:1', nodeLabel: '甲所', topology: TOPOLOGY },
      global: { plugins: [pinia, Vant], config: { globalProperties: { $t: t } } } })
    await flushPromises()
    const ids = (sel) => w.findAll(`[data-test=${sel}]`).map((r) => r.attributes('data-id'))
    expect(ids('share-item')).toEqual(['1', '2'])
    expect(w.get('[data-test=share-crumbs]').text()).toBe('全部部门')
    // 一监区 has two sub-areas (a link saying so), 办公区 none (plain text)
    expect(w.findAll('[data-test=share-item]').map((r) => r.attributes('data-subs'))).toEqual(['2', '0'])
    expect(w.findAll('[data-test=share-drill]').length).toBe(1)
    expect(w.get('[data-test=share-drill]').text()).toContain('2 个下级区域')
    // into 一监区: share and ranking both ask its sub-areas
    await w.get('[data-test=share-drill]').trigger('click')
    await flushPromises()
    expect(calls).toContain('/api/v1/energy/share?site_id=1&by=area&parent_area_id=1&start=2026-12-01&end=2026-12-02')
    expect(calls).toContain('/api/v1/energy/ranking?site_id=1&by=area&parent_area_id=1&top=10&start=2026-12-01&end=2026-12-02')
    expect(ids('share-item')).toEqual(['11', '12'])
    expect(ids('ranking-item')).toEqual(['11', '12'])
    expect(w.get('[data-test=energy-share]').attributes('data-loaded')).toBe('area:2026-12-01:2026-12-02:1')
    expect(w.get('[data-test=ranking-crumbs]').text()).toContain('全部部门›一监区')
    // deeper from the ranking: 二分监区 -> 监舍
    await w.get('[data-test=ranking-drill]').trigger('click')
    await flushPromises()
    expect(ids('share-item')).toEqual(['121'])
    expect(w.get('[data-test=share-crumbs]').findAll('[data-test=crumb]').map((c) => c.text())).toEqual(['全部部门', '一监区', '二分监区'])
    // an area's trend: the chart event with its node key (a sub-area, and the parent)
    await w.get('[data-test=share-trend]').trigger('click')
    await w.get('[data-test=crumb-trend]').trigger('click')
    expect(w.emitted('chart')).toEqual([['area:121'], ['area:12']])
    // back by the breadcrumb: to 一监区, then to all departments
    await w.get('[data-test=share-crumbs] [data-id="1"]').trigger('click')
    await flushPromises()
    expect(ids('ranking-item')).toEqual(['11', '12'])
    await w.get('[data-test=ranking-crumbs] [data-id=""]').trigger('click')
    await flushPromises()
    expect(ids('share-item')).toEqual(['1', '2'])
    expect(w.get('[data-test=energy-share]').attributes('data-loaded')).toBe('area:2026-12-01:2026-12-02:')
    // by circuit: no breadcrumb, no parent sent
    await w.get('[data-test=energy-ranking] [data-by=circuit]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=ranking-crumbs]').exists()).toBe(false)
    setLocale('en')
    await flushPromises()
    expect(w.get('[data-test=share-crumbs]').text()).toBe('All departments')
    setLocale('zh-CN')
  })

  it('shows an error code in Chinese instead of the view', async () => {
    mockFetch(() => json(422, { error: 'range_too_long', message: 'x', errors: { end: ['at most 1100 days'] } }))
    const w = mount(EnergyAnalytics, { props: { site, nodeKey: 'site:1' },
      global: { plugins: [pinia, Vant], config: { globalProperties: { $t: t } } } })
    await flushPromises()
    expect(w.get('[data-test=energy-ranking]').text()).toContain('时间范围过长')
  })
})
