// 能耗: the pure series-building code (utils/energy.js) and the page with
// miniprogram-simulate; only the chart (ec-canvas needs a real canvas) is stubbed here, and
// the option it receives is asserted.
const { installWx, flush } = require('./fake-wx')
const { load } = require('./pages')
const en = require('../utils/energy')

const BASE = 'http://127.0.0.1:8000'
const TZ = 'Asia/Shanghai'
const pt = (start, kwh, estimated = false) => ({ start, import_kwh: kwh, export_kwh: 0,
  reactive_kvarh: 0, demand_kw: kwh * 4, estimated })

test('fmtKwh: decimals by size, grouped thousands, a dash for nothing', () => {
  expect(en.fmtKwh(3.14159)).toBe('3.14')
  expect(en.fmtKwh(123.456)).toBe('123.5')
  expect(en.fmtKwh(1234567.8)).toBe('1,234,568')
  expect(en.fmtKwh(-12.34)).toBe('-12.3')
  expect(en.fmtKwh(null)).toBe('—')
  expect(en.fmtKwh(NaN)).toBe('—')
})

test('slotLabel: in the site zone (a Shanghai day starts at 16:00 UTC)', () => {
  expect(en.slotLabel('2026-12-01T16:00:00Z', 'day', TZ)).toBe('12-02')
  expect(en.slotLabel('2026-12-01T16:15:00Z', '15min', TZ)).toBe('12-02 00:15')
  expect(en.slotLabel('2026-11-30T16:00:00Z', 'month', TZ)).toBe('2026-12')
  expect(en.slotLabel('2026-12-01T16:15:00Z', '15min', 'UTC')).toBe('12-01 16:15')
  expect(en.slotLabel('nonsense', 'day', TZ)).toBe('')
})

test('buildTrendSeries: measured and estimated apart, empty slots null in both', () => {
  const s = en.buildTrendSeries({ interval: '15min', timezone: TZ, points: [
    pt('2026-12-02T02:30:00Z', 2.5, true),
    pt('2026-12-02T02:00:00Z', 1.25),
    pt('2026-12-02T02:15:00Z', 1.5),
    // 02:45 has no row at all
    pt('2026-12-02T03:00:00Z', 1.0001),
  ] })
  expect(s.labels).toEqual(['12-02 10:00', '12-02 10:15', '12-02 10:30', '12-02 10:45', '12-02 11:00'])
  expect(s.measured).toEqual([1.25, 1.5, null, null, 1])
  expect(s.estimated).toEqual([null, null, 2.5, null, null])
  expect(s.estimatedCount).toBe(1)
  expect(s.missingCount).toBe(1)
})

test('buildTrendSeries: days are not filled in (a day without a row is not in the answer)', () => {
  const s = en.buildTrendSeries({ interval: 'day', timezone: TZ, points: [
    pt('2026-11-29T16:00:00Z', 100), pt('2026-12-01T16:00:00Z', 80, true)] })
  expect(s.labels).toEqual(['11-30', '12-02'])
  expect(s.measured).toEqual([100, null])
  expect(s.estimated).toEqual([null, 80])
  expect(en.buildTrendSeries({}).labels).toEqual([])
  expect(en.buildTrendSeries(null).missingCount).toBe(0)
})

test('trendOption: stacked bars, the estimated series orange and hatched, both in the legend', () => {
  const s = { labels: ['a', 'b'], measured: [1, null], estimated: [null, 2] }
  const o = en.trendOption(s, { measured: 'M', estimated: 'E' })
  expect(o.legend.data).toEqual(['M', 'E'])
  expect(o.xAxis.data).toEqual(['a', 'b'])
  expect(o.series.map((x) => [x.name, x.stack, x.data])).toEqual([['M', 'kwh', [1, null]], ['E', 'kwh', [null, 2]]])
  expect(o.series[1].itemStyle.color).toBe(en.ESTIMATED_COLOR)
  expect(o.series[1].itemStyle.decal).toBeTruthy()
  expect(JSON.parse(JSON.stringify(o))).toEqual(o)          // survives setData
})

const TOPOLOGY = {
  site: { id: 1, name: '甲所' },
  areas: [{ id: 10, code: 'A1', name: '一号楼', children: [{ id: 11, code: 'A2', name: '二层', children: [] }] }],
  boards: [{ id: 100, code: 'AA1', name: '总配电柜', circuits: [
    { id: 1, code: 'C1', name: '进线', devices: [], boards: [], circuits: [
      { id: 2, code: 'C2', name: '照明干线', devices: [], circuits: [], boards: [
        { id: 101, code: 'AL1', name: '照明箱', circuits: [] }] }] }] }],
}

test('energyNodes: the site, its areas, its boards (downstream ones under their feeder board)', () => {
  expect(en.energyNodes(TOPOLOGY).map((n) => [n.key, n.label, n.depth])).toEqual([
    ['site:1', '甲所', 0], ['area:10', 'A1 一号楼', 1], ['area:11', 'A2 二层', 2],
    ['board:100', 'AA1 总配电柜', 1], ['board:101', 'AL1 照明箱', 2]])
  expect(en.energyNodes(null)).toEqual([])
})

test('overviewCards: kWh always, cost and carbon only when the server sends them', () => {
  expect(en.overviewCards({ today_kwh: 12.345, month_kwh: 1234.5, year_kwh: 20000 })).toEqual([
    { period: 'today', kwh: '12.3', cost: null, carbon: null },
    { period: 'month', kwh: '1,235', cost: null, carbon: null },
    { period: 'year', kwh: '20,000', cost: null, carbon: null }])
  const cards = en.overviewCards({ today_kwh: 1, today_cost: 1234.5, today_carbon_kg: null,
    month_kwh: 2, month_cost: 0, month_carbon_kg: 3.456, year_kwh: 3 })
  expect(cards.map((c) => [c.cost, c.carbon])).toEqual([['1,234.50', null], ['0.00', '3.46'], [null, null]])
})

test('rankRows: ranks and bar widths against the largest', () => {
  expect(en.rankRows([{ circuit_id: 3, code: 'C3', name: '空调', month_kwh: 200 },
    { circuit_id: 4, code: 'C4', name: '照明', month_kwh: 50 }])).toEqual([
    { rank: 1, circuit_id: 3, code: 'C3', name: '空调', kwh: '200.0', width: 100 },
    { rank: 2, circuit_id: 4, code: 'C4', name: '照明', kwh: '50.0', width: 25 }])
  expect(en.rankRows([{ circuit_id: 1, code: 'X', name: 'x', month_kwh: 0 }])[0].width).toBe(0)
  expect(en.rankRows(undefined)).toEqual([])
})

// --- the page -------------------------------------------------------------------------

const OVERVIEW = { sites: [{ site_id: 1, code: 'S1', name: '甲所', timezone: TZ, today: '2026-12-02',
  today_kwh: 42.5, month_kwh: 812.25, year_kwh: 9876.5, today_cost: 30.6,
  top_consumers: [{ circuit_id: 2, code: 'C2', name: '照明干线', month_kwh: 300 },
    { circuit_id: 1, code: 'C1', name: '进线', month_kwh: 150 }] }],
  total: { today_kwh: 42.5, month_kwh: 812.25, year_kwh: 9876.5 } }

function trendAnswer(q) {
  const points = q.interval === 'day'
    ? [pt('2026-11-30T16:00:00Z', 40), pt('2026-12-01T16:00:00Z', 42.5, true)]
    : [pt('2026-12-02T01:00:00Z', 4), pt('2026-12-02T02:00:00Z', 6, true), pt('2026-12-02T04:00:00Z', 5)]
  return { node: q.node, node_id: Number(q.node_id), interval: q.interval, timezone: TZ, points,
    total: { import_kwh: points.reduce((a, p) => a + p.import_kwh, 0) } }
}

function serve(trends) {
  return (opts) => {
    const [path, qs] = opts.url.replace(BASE, '').split('?')
    const q = Object.fromEntries(new URLSearchParams(qs || ''))
    if (path === '/api/v1/sites') return { statusCode: 200, data: [{ id: 1, name: '甲所' }] }
    if (path === '/api/v1/sites/1/topology') return { statusCode: 200, data: TOPOLOGY }
    if (path === '/api/v1/energy/overview') {
      expect(q).toEqual({ site_id: '1', top: '5' })
      return { statusCode: 200, data: OVERVIEW }
    }
    if (path === '/api/v1/energy/trend') { trends.push(q); return { statusCode: 200, data: trendAnswer(q) } }
    return { statusCode: 404, data: { error: 'not_found' } }
  }
}

const CHART_STUB = { template: '<view class="chart-stub">{{option.series.length}}</view>',
  properties: { option: { type: Object, value: null } } }

test('能耗 page: the overview, the trend (estimated and empty slots), intervals, nodes, a consumer', async () => {
  const trends = []
  installWx({ server: serve(trends) })
  wx.setStorageSync('gw.session', { access_token: 'A1', refresh_token: 'R1', user: { id: 7 } })
  const { page } = load('pages/energy/index', { stubs: { 'energy-chart': CHART_STUB } })
  await page.instance.onLoad()
  await flush()
  expect(page.querySelector('#card-today').dom.textContent).toContain('42.5')
  expect(page.querySelector('#card-today').dom.textContent).toContain('¥ 30.60')
  expect(page.querySelector('#card-month').dom.textContent).toContain('812.3')
  expect(page.querySelector('#card-month').dom.textContent).not.toContain('¥')
  expect(page.querySelector('#card-year').dom.textContent).toContain('9,877')
  expect(page.querySelectorAll('.consumer').map((c) => c.dom.textContent.replace(/\s+/g, ''))).toEqual(
    [expect.stringContaining('1.照明干线'), expect.stringContaining('2.进线')])

  // the site's hourly trend by default; 03:00 has no row (null in both), 02:00 estimated
  expect(trends).toEqual([{ node: 'site', node_id: '1', interval: 'hour' }])
  const chart = () => page.querySelector('#chart').instance.data.option
  expect(chart().xAxis.data).toEqual(['12-02 09:00', '12-02 10:00', '12-02 11:00', '12-02 12:00'])
  expect(chart().series[0]).toMatchObject({ name: '实测', data: [4, null, null, 5] })
  expect(chart().series[1]).toMatchObject({ name: '估算', data: [null, 6, null, null] })
  expect(page.querySelector('#trend-summary').dom.textContent).toBe('合计 15.0 kWh · 估算 1 个时段 · 无数据 1 个时段')

  // 日
  await page.instance.onInterval({ currentTarget: { dataset: { interval: 'day' } } })
  expect(trends[1]).toEqual({ node: 'site', node_id: '1', interval: 'day' })
  expect(chart().xAxis.data).toEqual(['12-01', '12-02'])
  expect(chart().series[1].data).toEqual([null, 42.5])
  expect(page.querySelector('#iv-day').dom.className).toContain('on')

  // a board from the picker, then a top consumer (its circuit)
  const labels = page.instance.data.nodeLabels
  expect(labels[4]).toBe('　　AL1 照明箱')
  await page.instance.onNode({ detail: { value: '4' } })
  expect(trends[2]).toEqual({ node: 'board', node_id: '101', interval: 'day' })
  expect(page.querySelector('#node').dom.textContent).toContain('AL1 照明箱')
  await page.instance.onConsumer({ currentTarget: { dataset: { id: 2 } } })
  expect(trends[3]).toEqual({ node: 'circuit', node_id: '2', interval: 'day' })
  expect(page.querySelector('#node').dom.textContent).toContain('C2 照明干线')
})

test('能耗 page: a node with no data shows so, and no chart', async () => {
  installWx({ server: (opts) => {
    const path = opts.url.replace(BASE, '').split('?')[0]
    if (path === '/api/v1/energy/trend') return { statusCode: 200, data: { interval: 'hour', timezone: TZ, points: [], total: { import_kwh: 0 } } }
    return serve([])(opts)
  } })
  wx.setStorageSync('gw.session', { access_token: 'A1', refresh_token: 'R1', user: { id: 7 } })
  const { page } = load('pages/energy/index', { stubs: { 'energy-chart': CHART_STUB } })
  await page.instance.onLoad()
  await flush()
  expect(page.querySelector('#no-data').dom.textContent).toBe('该时段没有能耗数据')
  expect(page.querySelector('#trend-summary')).toBeFalsy()
})

test('能耗 page in English: the cards, the legend and the summary', async () => {
  installWx({ server: serve([]) })
  wx.setStorageSync('gw.session', { access_token: 'A1', refresh_token: 'R1', user: { id: 7 } })
  wx.setStorageSync('gw.lang', 'en')
  const { page } = load('pages/energy/index', { stubs: { 'energy-chart': CHART_STUB } })
  await page.instance.onLoad()
  await flush()
  expect(page.querySelector('#card-today').dom.textContent).toContain('Today')
  expect(page.instance.data.intervals.map((i) => i.text)).toEqual(['15 min', 'Hour', 'Day', 'Month'])
  expect(page.querySelector('#chart').instance.data.option.legend.data).toEqual(['Measured', 'Estimated'])
  expect(page.querySelector('#trend-summary').dom.textContent).toBe('Total 15.0 kWh · 1 estimated · 1 without data')
  expect(page.dom.textContent).toContain('Top consumers this month')
})
