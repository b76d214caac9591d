import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import Vant from 'vant'
import { configureApi, setSession } from '../../src/api/client.js'
import { setLocale, t } from '../../src/i18n/index.js'
import { fmtKpi, kpiNodes, kpiOption, kpiQuery, kpiRows } from '../../src/lib/energyKpis.js'
import EnergyKpis from '../../src/components/EnergyKpis.vue'
import { fakeJwt, json, mockFetch } from './helpers.js'

const chart = { setOption: vi.fn(), resize: vi.fn(), dispose: vi.fn() }
vi.mock('../../src/lib/echarts.js', () => ({ init: vi.fn(() => chart) }))

// Two months of the API's answer: 400 kWh over 200 persons, 500 m², 6,000 detainee-days;
// then 900 kWh over 300 persons, no floor area entered, 9,000 detainee-days. Totals (the
// server's): 1,300 / 250 = 5.2 per person, 400 / 500 = 0.8 per m², 1,300 / 15,000.
const ANSWER = {
  node: 'site', node_id: 1, code: 'A', name: '甲所', site_id: 1, start: '2026-11-01', end: '2026-12-01',
  points: [
    { month: '2026-11-01', import_kwh: 400, denominators: { persons: 200, floor_m2: 500, detainee_days: 6000 },
      kwh_per_person: 2, kwh_per_m2: 0.8, kwh_per_detainee_day: 400 / 6000 },
    { month: '2026-12-01', import_kwh: 900, denominators: { persons: 300, detainee_days: 9000 },
      kwh_per_person: 3, kwh_per_m2: null, kwh_per_detainee_day: 0.1 }],
  total: { import_kwh: 1300, kwh_per_person: 5.2, kwh_per_m2: 0.8, kwh_per_detainee_day: 1300 / 15000 },
  intensity_kwh_per_m2: 0.8,
}

describe('energy KPIs: queries, rows and the chart', () => {
  it('asks this year or the last 12 months, as the months\' first days', () => {
    expect(kpiQuery('site:1', 'year', '2026-12-03')).toEqual({ node: 'site', node_id: 1, start: '2026-01-01', end: '2026-12-01' })
    expect(kpiQuery('area:7', 'last12', '2026-12-03')).toEqual({ node: 'area', node_id: 7, start: '2026-01-01', end: '2026-12-01' })
    expect(kpiQuery('area:7', 'last12', '2027-02-28')).toEqual({ node: 'area', node_id: 7, start: '2026-03-01', end: '2027-02-01' })
  })
  it('offers the site and its areas only', () => {
    const nodes = [{ key: 'site:1' }, { key: 'area:2' }, { key: 'board:3' }, { key: 'circuit:4' }, { key: 'area:5' }]
    expect(kpiNodes(nodes).map((n) => n.key)).toEqual(['site:1', 'area:2', 'area:5'])
    expect(kpiNodes(null)).toEqual([])
  })
  it('gives each month its denominator, KPI and intensity, and the server\'s totals', () => {
    const p = kpiRows(ANSWER, 'persons')
    expect(p.rows.map((r) => [r.month, r.import_kwh, r.denominator, r.value, r.intensity]))
      .toEqual([['2026-11', 400, 200, 2, 0.8], ['2026-12', 900, 300, 3, null]])
    expect(p.total).toEqual({ import_kwh: 1300, value: 5.2, intensity: 0.8 })
    expect(p.missing).toBe(0)
    const m2 = kpiRows(ANSWER, 'floor_m2')
    expect(m2.rows.map((r) => r.value)).toEqual([0.8, null])
    expect(m2.missing).toBe(1)
    expect(kpiRows(null, 'persons')).toEqual({ rows: [], total: { import_kwh: 0, value: null, intensity: null }, missing: 0 })
    expect(fmtKpi(5.2)).toBe('5.20')
    expect(fmtKpi(12.345)).toBe('12.3')
    expect(fmtKpi(1234.5)).toBe('1,235')
    expect(fmtKpi(null)).toBe('—')
  })
  it('charts the KPI as bars and the intensity as a line on its own axis', () => {
    const opt = kpiOption(ANSWER, 'persons', { kpi: '人均', intensity: '能耗强度', unit: 'kWh/人' })
    expect(opt.xAxis.data).toEqual(['2026-11', '2026-12'])
    expect(opt.series.map((s) => [s.type, s.data])).toEqual([['bar', [2, 3]], ['line', [0.8, null]]])
    expect(opt.series[1].yAxisIndex).toBe(1)
    expect(opt.legend.data).toEqual(['人均', '能耗强度'])
    // per m² is itself the intensity: one series
    expect(kpiOption(ANSWER, 'floor_m2', { kpi: 'a', intensity: 'b', unit: 'c' }).series).toHaveLength(1)
  })
})

describe('EnergyKpis', () => {
  let pinia
  beforeEach(() => {
    pinia = createPinia()
    setActivePinia(pinia)
    setLocale('zh-CN')
    configureApi({ notify: vi.fn(), onExpired: vi.fn() })
    setSession({ access: fakeJwt('1'), refresh: fakeJwt('1', 3600), user: { id: 1, role: 'manager' } })
  })
  const site = { site_id: 1, today: '2026-12-03', timezone: 'Asia/Shanghai' }
  const nodes = [{ key: 'site:1', label: '甲所', depth: 0 }, { key: 'area:2', label: 'JQ1 一监区', depth: 1 },
    { key: 'board:3', label: 'AA1', depth: 1 }]
  const mountIt = () => mount(EnergyKpis, { props: { site, nodes },
    global: { plugins: [pinia, Vant], config: { globalProperties: { $t: t } } } })

  it('shows the site\'s KPIs per month, switches the denominator, the node and the span', async () => {
    const calls = []
    mockFetch((url) => {
      const u = new URL(url, 'http://x')
      calls.push(`${u.pathname}?${u.searchParams}`)
      const q = Object.fromEntries(u.searchParams)
      return json(200, { ...ANSWER, node: q.node, node_id: Number(q.node_id) })
    })
    const w = mountIt()
    await flushPromises()
    expect(calls).toEqual(['/api/v1/energy/kpis?node=site&node_id=1&start=2026-01-01&end=2026-12-01'])
    const card = w.get('[data-test=energy-kpis]')
    expect(card.attributes('data-loaded')).toBe('site:1:year')
    expect(card.text()).toContain('能耗指标')
    expect(card.text()).toContain('kWh/人')
    expect(w.get('[data-test=kpi-total]').text()).toContain('5.20')
    expect(w.get('[data-test=kpi-intensity]').text()).toContain('0.80')
    expect(w.findAll('[data-test=kpi-row]').map((r) => [r.attributes('data-month'), r.attributes('data-value')]))
      .toEqual([['2026-11', '2'], ['2026-12', '3']])
    expect(w.findAll('[data-test=kpi-node] option').map((o) => o.attributes('value'))).toEqual(['site:1', 'area:2'])
    // per m²: December has none entered, said
    await w.get('[data-test=energy-kpis] [data-kind=floor_m2]').trigger('click')
    await flushPromises()
    expect(w.findAll('[data-test=kpi-row]').map((r) => r.attributes('data-value'))).toEqual(['0.8', ''])
    expect(w.get('[data-test=kpi-missing]').text()).toContain('1 个月未录入')
    expect(calls).toHaveLength(1) // the denominator is the answer's: nothing asked again
    // a department, over the last 12 months
    await w.get('[data-test=kpi-node]').setValue('area:2')
    await w.get('[data-test=energy-kpis] [data-span=last12]').trigger('click')
    await flushPromises()
    expect(calls.at(-1)).toBe('/api/v1/energy/kpis?node=area&node_id=2&start=2026-01-01&end=2026-12-01')
    expect(w.get('[data-test=energy-kpis]').attributes('data-loaded')).toBe('area:2:last12')
    setLocale('en')
    await flushPromises()
    expect(w.get('[data-test=energy-kpis]').text()).toContain('Energy KPIs')
    expect(w.get('[data-test=energy-kpis]').text()).toContain('Per m²')
    setLocale('zh-CN')
  })

  it('shows an error code in Chinese instead of the view', async () => {
    mockFetch(() => json(422, { error: 'range_too_long', message: 'x', errors: { end: ['at most 120 months'] } }))
    const w = mountIt()
    await flushPromises()
    expect(w.get('[data-test=energy-kpis]').text()).toContain('时间范围过长')
  })
})
