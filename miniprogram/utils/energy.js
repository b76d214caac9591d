// Pure helpers of the energy pages (no wx, no requests), as the PWA's src/lib/energy.js:
// kWh formatting, the period labels in the site's time zone, a trend's chart series with
// the estimated periods apart, the ECharts option (JSON only: it goes through setData),
// the nodes one can chart (site, areas, boards), the overview's cards (cost and carbon
// when the API sends them).

const INTERVALS = ['15min', 'hour', 'day', 'month']
const STEP_MS = { '15min': 900e3, hour: 3600e3 }
const MEASURED_COLOR = '#1989fa'
const ESTIMATED_COLOR = '#ff976a'

function group(s) { return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',') }

// kWh for display: 2 decimals below 10, 1 below 1,000, none above; grouped thousands.
function fmtKwh(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—'
  const a = Math.abs(v)
  const digits = a < 10 ? 2 : a < 1000 ? 1 : 0
  const [int, frac] = a.toFixed(digits).split('.')
  return `${v < 0 ? '-' : ''}${group(int)}${frac ? `.${frac}` : ''}`
}

function pad(n) { return String(n).padStart(2, '0') }

// The wall-clock parts of ``ms`` in ``timeZone``: Intl where the JS engine has zones (iOS,
// DevTools, node); else China time, the zone of our sites (UTC+8, no DST).
const FORMATTERS = {}
function parts(ms, timeZone) {
  try {
    const key = timeZone || ''
    if (!FORMATTERS[key]) {
      FORMATTERS[key] = new Intl.DateTimeFormat('en-GB', { timeZone: timeZone || undefined,
        year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
    }
    const out = {}
    for (const p of FORMATTERS[key].formatToParts(new Date(ms))) out[p.type] = p.value
    if (out.year && out.minute) return out
  } catch (e) {
    // no Intl time zones here
  }
  const d = new Date(ms + 8 * 3600e3)
  return { year: String(d.getUTCFullYear()), month: pad(d.getUTCMonth() + 1), day: pad(d.getUTCDate()),
    hour: pad(d.getUTCHours()), minute: pad(d.getUTCMinutes()) }
}

// The label of a period starting at ``iso`` (or ms) in the site's zone: 15min/hour
// "MM-DD HH:mm", day "MM-DD", month "YYYY-MM".
function slotLabel(iso, interval, timeZone) {
  const ms = typeof iso === 'number' ? iso : Date.parse(iso)
  if (!Number.isFinite(ms)) return ''
  const p = parts(ms, timeZone)
  if (interval === 'month') return `${p.year}-${p.month}`
  if (interval === 'day') return `${p.month}-${p.day}`
  return `${p.month}-${p.day} ${p.hour}:${p.minute}`
}

function round(v) { return typeof v === 'number' ? Math.round(v * 1000) / 1000 : null }

// A trend answer -> one category per period, import kWh in ``measured`` or ``estimated``
// (a period in one of them, null in the other); a 15-minute or hour slot with no row at
// all is null in both (nothing known is not an estimate). Counts of each.
function buildTrendSeries(trend) {
  const interval = trend && trend.interval
  const timeZone = trend && trend.timezone
  const points = ((trend && trend.points) || []).map((p) => ({ ...p, ms: Date.parse(p.start) }))
    .filter((p) => Number.isFinite(p.ms)).sort((a, b) => a.ms - b.ms)
  const step = STEP_MS[interval]
  let slots = points
  if (step && points.length > 1) {
    const byMs = new Map(points.map((p) => [p.ms, p]))
    const seen = new Set()
    slots = []
    for (let ms = points[0].ms; ms <= points[points.length - 1].ms; ms += step) {
      slots.push(byMs.get(ms) || { ms, start: new Date(ms).toISOString(), missing: true })
      seen.add(ms)
    }
    for (const p of points) if (!seen.has(p.ms)) slots.push(p)   // off the grid: its own place
    slots.sort((a, b) => a.ms - b.ms)
  }
  const out = { labels: [], measured: [], estimated: [], estimatedCount: 0, missingCount: 0 }
  for (const s of slots) {
    out.labels.push(slotLabel(s.ms, interval, timeZone))
    if (s.missing) {
      out.measured.push(null); out.estimated.push(null); out.missingCount++
    } else if (s.estimated) {
      out.measured.push(null); out.estimated.push(round(s.import_kwh)); out.estimatedCount++
    } else {
      out.measured.push(round(s.import_kwh)); out.estimated.push(null)
    }
  }
  return out
}

// The ECharts option of a series: stacked bars, the estimated ones orange and hatched, a
// legend naming both (``names``: {measured, estimated}). Only JSON: the tooltip's
// formatter is added by components/energy-chart.
function trendOption(series, names) {
  return {
    animation: false,
    grid: { left: 44, right: 8, top: 32, bottom: 24 },
    legend: { top: 0, data: [names.measured, names.estimated] },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'category', data: series.labels, axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', name: 'kWh' },
    series: [
      { type: 'bar', name: names.measured, stack: 'kwh', data: series.measured,
        itemStyle: { color: MEASURED_COLOR }, barMaxWidth: 24 },
      { type: 'bar', name: names.estimated, stack: 'kwh', data: series.estimated, barMaxWidth: 24,
        itemStyle: { color: ESTIMATED_COLOR, decal: { symbol: 'rect', dashArrayX: [1, 0],
          dashArrayY: [3, 3], rotation: -Math.PI / 4, color: 'rgba(255,255,255,0.7)' } } },
    ],
  }
}

// What one can chart on the phone: the site, its areas (sub-areas indented) and every
// board (downstream boards under their feeder's board). Each {key, node, id, label, depth}.
function energyNodes(topology) {
  if (!topology || !topology.site) return []
  const out = [{ key: `site:${topology.site.id}`, node: 'site', id: topology.site.id,
    label: topology.site.name, depth: 0 }]
  const add = (node, x, depth) => out.push({ key: `${node}:${x.id}`, node, id: x.id,
    label: `${x.code} ${x.name}`, depth })
  const walkArea = (a, depth) => { add('area', a, depth); (a.children || []).forEach((c) => walkArea(c, depth + 1)) }
  ;(topology.areas || []).forEach((a) => walkArea(a, 1))
  const walkBoard = (b, depth) => { add('board', b, depth); (b.circuits || []).forEach((c) => walkCircuit(c, depth + 1)) }
  const walkCircuit = (c, depth) => {
    ;(c.circuits || []).forEach((x) => walkCircuit(x, depth))
    ;(c.boards || []).forEach((b) => walkBoard(b, depth))
  }
  ;(topology.boards || []).forEach((b) => walkBoard(b, 1))
  return out
}

function fmtMoney(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return null
  const [int, frac] = Math.abs(v).toFixed(2).split('.')
  return `${v < 0 ? '-' : ''}${group(int)}.${frac}`
}
function fmtKg(v) { return typeof v === 'number' && Number.isFinite(v) ? fmtKwh(v) : null }

// A site's overview -> the cards today / this month / this year: kWh, and the cost (元)
// and carbon (kg CO2) where the API has them (feature-detected: older servers send kWh only).
function overviewCards(site) {
  if (!site) return []
  return ['today', 'month', 'year'].map((p) => ({
    period: p,
    kwh: fmtKwh(site[`${p}_kwh`]),
    cost: fmtMoney(site[`${p}_cost`]),
    carbon: fmtKg(site[`${p}_carbon_kg`]),
  }))
}

// The month's top consumers with their share of the largest (the bar's width, %).
function rankRows(consumers) {
  const list = consumers || []
  const top = Math.max(0, ...list.map((c) => c.month_kwh || 0))
  return list.map((c, i) => ({ rank: i + 1, circuit_id: c.circuit_id, code: c.code, name: c.name,
    kwh: fmtKwh(c.month_kwh), width: top > 0 ? Math.round(((c.month_kwh || 0) / top) * 100) : 0 }))
}

module.exports = { INTERVALS, STEP_MS, MEASURED_COLOR, ESTIMATED_COLOR, fmtKwh, slotLabel,
  buildTrendSeries, trendOption, energyNodes, overviewCards, rankRows }
