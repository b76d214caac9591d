// Pure helpers of the energy tab's KPI card (no Vue, no fetch): the query of a node's
// months, the KPIs with their denominators (per person, per m² of floor, per
// detainee-day), each month's row and the chart. docs/energy.md, "KPIs and intensity".
import { fmtKwh, MEASURED_COLOR } from './energy.js'
import { monthStart } from './energyAnalytics.js'

/** The KPIs: the denominator's kind (as entered in the console), the answer's field. */
export const KPIS = [
  { kind: 'persons', field: 'kwh_per_person' },
  { kind: 'floor_m2', field: 'kwh_per_m2' },
  { kind: 'detainee_days', field: 'kwh_per_detainee_day' },
]
export const KPI_SPANS = ['year', 'last12']
export const INTENSITY_COLOR = '#ff976a'

export function kpiOf(kind) {
  return KPIS.find((k) => k.kind === kind) || KPIS[0]
}

/** The months asked for on the site's ``today`` (YYYY-MM-DD, its local day): this year
 *  from January, or the last 12 months, up to this month. The API takes months as
 *  their first days. */
export function kpiQuery(nodeKey, span, today) {
  const [node, id] = String(nodeKey || '').split(':')
  const end = monthStart(today)
  const start = span === 'last12' ? monthStart(today, -11) : `${today.slice(0, 4)}-01-01`
  return { node, node_id: Number(id), start, end }
}

/** The site and its areas (departments), in the topology's order, from the energy
 *  nodes (lib/energy.js energyNodes): what the KPIs are entered for. */
export function kpiNodes(nodes) {
  return (nodes || []).filter((n) => n.key.startsWith('site:') || n.key.startsWith('area:'))
}

/** A KPI value for display: two significant decimals below 10, one below 100, else
 *  grouped integers ('—' when the month has no denominator). */
export function fmtKpi(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—'
  const digits = Math.abs(v) < 10 ? 2 : Math.abs(v) < 100 ? 1 : 0
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** One row per month: its kWh, the chosen KPI's denominator and value, the intensity
 *  (kWh per m²); and the period's totals as the API gives them. */
export function kpiRows(answer, kind) {
  const { field } = kpiOf(kind)
  const rows = (answer?.points || []).map((p) => ({
    month: String(p.month).slice(0, 7), import_kwh: p.import_kwh,
    denominator: p.denominators?.[kind] ?? null, value: p[field] ?? null,
    intensity: p.kwh_per_m2 ?? null,
  }))
  const total = answer?.total || {}
  return { rows, total: { import_kwh: total.import_kwh ?? 0, value: total[field] ?? null,
    intensity: answer?.intensity_kwh_per_m2 ?? null },
  missing: rows.filter((r) => r.denominator === null).length }
}

const tip = (v) => (v === null || v === undefined ? '—' : fmtKpi(v))

/** The chart: the chosen KPI per month as bars, the intensity (kWh/m²) as a line on its
 *  own axis when the KPI is not itself per m²; a month without a denominator is a gap.
 *  ``names``: {kpi, intensity, unit}. */
export function kpiOption(answer, kind, names) {
  const { rows } = kpiRows(answer, kind)
  const series = [{ type: 'bar', name: names.kpi, data: rows.map((r) => r.value), itemStyle: { color: MEASURED_COLOR },
    barMaxWidth: 22 }]
  const legend = [names.kpi]
  const yAxis = [{ type: 'value', name: names.unit }]
  if (kind !== 'floor_m2') {
    series.push({ type: 'line', name: names.intensity, yAxisIndex: 1, data: rows.map((r) => r.intensity),
      itemStyle: { color: INTENSITY_COLOR }, connectNulls: false, symbolSize: 6 })
    legend.push(names.intensity)
    yAxis.push({ type: 'value', name: 'kWh/m²', splitLine: { show: false } })
  }
  return {
    animation: false,
    grid: { left: 48, right: kind !== 'floor_m2' ? 48 : 12, top: 36, bottom: 28 },
    legend: { top: 0, data: legend },
    tooltip: { trigger: 'axis', valueFormatter: tip },
    xAxis: { type: 'category', data: rows.map((r) => r.month) },
    yAxis, series,
  }
}

export { fmtKwh }
