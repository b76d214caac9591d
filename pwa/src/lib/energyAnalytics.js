// Pure helpers of the energy tab's analysis views (no Vue, no fetch): the site-zone
// boundaries of the comparison, share and ranking queries, and their ECharts options;
// the departments' cost and carbon rows. docs/energy.md, "Comparison", "Share and ranking".
import { fmtKwh, MEASURED_COLOR, slotLabel, zonedInstant } from './energy.js'

export { zonedInstant }

export const COMPARE_MODES = ['yoy', 'mom']
export const SPANS = ['month', 'year']
export const SHARE_BY = ['area', 'category']
export const RANK_BY = ['area', 'circuit']
export const PREVIOUS_COLOR = '#c8c9cc'
const PALETTE = ['#1f6feb', '#07c160', '#ff976a', '#7232dd', '#ee0a24', '#1989fa', '#ffd21e', '#00b8a9', '#8e6c8a', '#646566']

const pad = (n) => String(n).padStart(2, '0')
const ymd = (y, m, d) => `${y}-${pad(m)}-${pad(d)}`
function split(day) {
  const [y, m, d] = day.split('-').map(Number)
  return { y, m, d }
}

/** ``day`` (YYYY-MM-DD) plus ``n`` days. */
export function addDays(day, n) {
  const { y, m, d } = split(day)
  const t = new Date(Date.UTC(y, m - 1, d + n))
  return ymd(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate())
}

/** The 1st of ``day``'s month, ``months`` later (negative: earlier). */
export function monthStart(day, months = 0) {
  const { y, m } = split(day)
  const t = new Date(Date.UTC(y, m - 1 + months, 1))
  return ymd(t.getUTCFullYear(), t.getUTCMonth() + 1, 1)
}

/** The comparison's query on the site's ``today`` (its local day, the overview's):
 *  yoy this year's months so far against last year's, mom this month's days so far
 *  against last month's. */
export function compareQuery(mode, today, timeZone) {
  const start = mode === 'yoy' ? `${today.slice(0, 4)}-01-01` : monthStart(today)
  const end = mode === 'yoy' ? monthStart(today, 1) : addDays(today, 1)
  return { compare: mode, interval: mode === 'yoy' ? 'month' : 'day',
    start: zonedInstant(start, timeZone), end: zonedInstant(end, timeZone) }
}

/** Share's and ranking's local days: this month or this year, up to ``today``. */
export function spanDays(span, today) {
  return { start: span === 'year' ? `${today.slice(0, 4)}-01-01` : monthStart(today), end: today }
}

/** The departments' trend query (month by month over the span, the totals used). */
export function spanTrendQuery(span, today, timeZone) {
  const { start } = spanDays(span, today)
  return { interval: 'month', start: zonedInstant(start, timeZone), end: zonedInstant(monthStart(today, 1), timeZone) }
}

/** Money for display: two decimals, grouped, the currency's code after ('—' for none). */
export function fmtMoney(v, currency) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—'
  const s = v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })
  return currency ? `${s} ${currency}` : s
}

/** A signed change in percent ('—' when the previous period had nothing). */
export function fmtChange(pct) {
  if (typeof pct !== 'number' || !Number.isFinite(pct)) return '—'
  return `${pct > 0 ? '+' : ''}${pct.toFixed(1)}%`
}

/** An item's display name: an area's or circuit's "name", a category translated. */
export function itemName(item, categoryName = (c) => c) {
  if (item.category && !item.code) return categoryName(item.category)
  return item.name || item.code || '—'
}

const kwhTip = (v) => (v === null || v === undefined ? '—' : `${fmtKwh(v)} kWh`)

/** The comparison's chart: this span's bars beside the previous span's, labelled in the
 *  site's zone. ``names``: {current, previous}. */
export function compareOption(answer, names) {
  const points = answer?.points || []
  return {
    animation: false,
    grid: { left: 48, right: 12, top: 36, bottom: 28 },
    legend: { top: 0, data: [names.current, names.previous] },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: kwhTip },
    xAxis: { type: 'category', data: points.map((p) => slotLabel(p.start, answer.interval, answer.timezone)) },
    yAxis: { type: 'value', name: 'kWh' },
    series: [
      { type: 'bar', name: names.current, data: points.map((p) => p.import_kwh), itemStyle: { color: MEASURED_COLOR }, barMaxWidth: 22 },
      { type: 'bar', name: names.previous, data: points.map((p) => p.previous_kwh), itemStyle: { color: PREVIOUS_COLOR }, barMaxWidth: 22 },
    ],
  }
}

/** The share's pie (items with energy only; each slice's name and share in its label). */
export function shareOption(answer, categoryName) {
  const data = (answer?.items || []).filter((i) => i.import_kwh > 0)
    .map((i, k) => ({ name: itemName(i, categoryName), value: i.import_kwh, itemStyle: { color: PALETTE[k % PALETTE.length] } }))
  return {
    animation: false,
    tooltip: { trigger: 'item', valueFormatter: kwhTip },
    series: [{ type: 'pie', radius: ['35%', '65%'], data, label: { formatter: '{b}\n{d}%' } }],
  }
}

/** The ranking's horizontal bars, the first at the top. ``field``: import_kwh or cost. */
export function rankingOption(answer, categoryName, field = 'import_kwh') {
  const items = [...(answer?.items || [])].reverse()
  return {
    animation: false,
    grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: field === 'cost' ? (v) => fmtMoney(v, answer?.currency) : kwhTip },
    xAxis: { type: 'value' },
    yAxis: { type: 'category', data: items.map((i) => itemName(i, categoryName)), axisLabel: { width: 90, overflow: 'truncate' } },
    series: [{ type: 'bar', data: items.map((i) => i[field]), itemStyle: { color: MEASURED_COLOR }, barMaxWidth: 18,
      label: { show: true, position: 'right', formatter: (p) => (field === 'cost' ? fmtMoney(p.value) : fmtKwh(p.value)) } }],
  }
}

/**
 * The departments' cost and carbon: one row per area from its trend's total (kWh,
 * time-of-use cost, kWh before the first tariff, carbon: null when no factor is set),
 * the largest cost first, and their sum (carbon null when no row has one).
 */
export function departmentRows(areas, trends) {
  const rows = (areas || []).map((a) => {
    const total = trends[a.area_id]?.total || {}
    return { area_id: a.area_id, code: a.code, name: a.name, import_kwh: total.import_kwh ?? 0,
      cost: total.cost ?? 0, unpriced_kwh: total.unpriced_kwh ?? 0, carbon_kg: total.carbon_kg ?? null,
      currency: total.currency ?? null }
  }).sort((x, y) => y.cost - x.cost || y.import_kwh - x.import_kwh || x.area_id - y.area_id)
  const carbons = rows.filter((r) => r.carbon_kg !== null)
  const sum = (k) => rows.reduce((s, r) => s + r[k], 0)
  return { rows, total: { import_kwh: sum('import_kwh'), cost: sum('cost'), unpriced_kwh: sum('unpriced_kwh'),
    carbon_kg: carbons.length ? carbons.reduce((s, r) => s + r.carbon_kg, 0) : null,
    currency: rows.find((r) => r.currency)?.currency ?? null } }
}

/**
 * The site's areas by id, from the topology's nested areas (``children``): each
 * {id, code, name, parent_id, children: [ids]} (the departments' drill-down).
 */
export function areaIndex(topology) {
  const index = new Map()
  const walk = (a, parent) => {
    index.set(a.id, { id: a.id, code: a.code, name: a.name, parent_id: parent, children: (a.children || []).map((c) => c.id) })
    for (const c of a.children || []) walk(c, a.id)
  }
  for (const a of topology?.areas || []) walk(a, null)
  return index
}

/** The breadcrumb down to area ``id``: its ancestors from the top area, then it
 *  ([] for none, or an area the index does not hold: the site's top areas). */
export function areaPath(index, id) {
  const out = []
  const seen = new Set()
  for (let a = index.get(id); a && !seen.has(a.id); a = index.get(a.parent_id)) {
    seen.add(a.id)
    out.unshift({ id: a.id, code: a.code, name: a.name })
  }
  return out
}

/** How many sub-areas area ``id`` has (0: a leaf, nothing to drill into). */
export function subAreaCount(index, id) {
  return index.get(id)?.children.length ?? 0
}

/** The share's or ranking's query args: ``by`` area under the parent (null: the site's
 *  top areas); the parent is not sent for other groupings. */
export function groupQuery(siteId, by, parent, span, today, extra = {}) {
  return { site_id: siteId, by, ...(by === 'area' && parent ? { parent_area_id: parent } : {}), ...extra,
    ...spanDays(span, today) }
}
