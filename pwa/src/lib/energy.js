// Pure helpers of the energy tab (no Vue, no fetch): kWh formatting, the slot labels in the
// site's time zone, the trend's chart series (estimated slots apart), the nodes of the
// topology one can chart, the feeders one can balance.

export const INTERVALS = ['15min', 'hour', 'day', 'month']
export const STEP_MS = { '15min': 900e3, hour: 3600e3 }
/** Devices that can carry an energy counter (the tree's node ``device``). */
export const METER_KINDS = ['meter', 'breaker']
export const ESTIMATED_COLOR = '#ff976a'
export const MEASURED_COLOR = '#1f6feb'

/** kWh for display: 2 decimals below 10, 1 below 1,000, none above; grouped thousands. */
export function fmtKwh(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—'
  const a = Math.abs(v)
  const digits = a < 10 ? 2 : a < 1000 ? 1 : 0
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** A loss share for display: one decimal and a sign ('—' when the feeder used nothing). */
export function fmtPct(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—'
  return `${v.toFixed(1)}%`
}

const FORMATTERS = new Map()
function parts(ms, timeZone) {
  const key = timeZone || ''
  if (!FORMATTERS.has(key)) {
    FORMATTERS.set(key, new Intl.DateTimeFormat('en-GB', {
      timeZone: timeZone || undefined, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }))
  }
  const out = {}
  for (const p of FORMATTERS.get(key).formatToParts(new Date(ms))) out[p.type] = p.value
  return out
}

/** The label of a period starting at ``iso`` (or ms), in ``timeZone`` (the site's):
 *  15min/hour "MM-DD HH:mm", day "MM-DD", month "YYYY-MM". */
export function slotLabel(iso, interval, timeZone) {
  const ms = typeof iso === 'number' ? iso : Date.parse(iso)
  if (!Number.isFinite(ms)) return ''
  const p = parts(ms, timeZone)
  if (interval === 'month') return `${p.year}-${p.month}`
  if (interval === 'day') return `${p.month}-${p.day}`
  return `${p.month}-${p.day} ${p.hour}:${p.minute}`
}

/**
 * The chart's series of a trend answer: one slot per category, import kWh split into
 * ``measured`` and ``estimated`` (a slot is in one of them, null in the other), and the
 * slots with no row at all in between (15min, hour) as null in both: nothing known,
 * which is not the same as an estimate. ``estimatedCount``: how many slots are estimated.
 */
export function buildTrendSeries(trend) {
  const interval = trend?.interval
  const timeZone = trend?.timezone
  const points = (trend?.points || []).map((p) => ({ ...p, ms: Date.parse(p.start) }))
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
    // a point off the grid (a zone's odd offset, a DST change) keeps its own place
    for (const p of points) if (!seen.has(p.ms)) slots.push(p)
    slots.sort((a, b) => a.ms - b.ms)
  }
  const out = { labels: [], starts: [], measured: [], estimated: [], estimatedCount: 0, missingCount: 0 }
  for (const s of slots) {
    out.labels.push(slotLabel(s.ms, interval, timeZone))
    out.starts.push(s.start)
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

function round(v) {
  return typeof v === 'number' ? Math.round(v * 1000) / 1000 : null
}

/** The ECharts option of a trend's series: stacked bars, the estimated ones orange and
 *  hatched, a legend naming both. ``names``: {measured, estimated}. */
export function trendOption(series, names) {
  return {
    animation: false,
    grid: { left: 48, right: 12, top: 36, bottom: 28 },
    legend: { top: 0, data: [names.measured, names.estimated] },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' },
      valueFormatter: (v) => (v === null || v === undefined ? '—' : `${fmtKwh(v)} kWh`) },
    xAxis: { type: 'category', data: series.labels, axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', name: 'kWh' },
    series: [
      { type: 'bar', name: names.measured, stack: 'kwh', data: series.measured,
        itemStyle: { color: MEASURED_COLOR }, barMaxWidth: 28 },
      { type: 'bar', name: names.estimated, stack: 'kwh', data: series.estimated, barMaxWidth: 28,
        itemStyle: { color: ESTIMATED_COLOR,
          decal: { symbol: 'rect', dashArrayX: [1, 0], dashArrayY: [3, 3], rotation: -Math.PI / 4, color: 'rgba(255,255,255,0.7)' } } },
    ],
  }
}

/**
 * The nodes of a site's topology one can chart, in tree order: the site, its areas (with
 * their sub-areas), its boards and circuits (downstream boards under their feeder), and
 * the devices that can meter. Each: {key: 'node:id', node, id, label, depth}.
 */
export function energyNodes(topology) {
  if (!topology?.site) return []
  const out = [{ key: `site:${topology.site.id}`, node: 'site', id: topology.site.id, label: topology.site.name, depth: 0 }]
  const add = (node, x, depth) => out.push({ key: `${node}:${x.id}`, node, id: x.id, label: `${x.code} ${x.name}`, depth })
  const walkArea = (a, depth) => { add('area', a, depth); for (const c of a.children || []) walkArea(c, depth + 1) }
  for (const a of topology.areas || []) walkArea(a, 1)
  const walkBoard = (b, depth) => { add('board', b, depth); for (const c of b.circuits || []) walkCircuit(c, depth + 1) }
  const walkCircuit = (c, depth) => {
    add('circuit', c, depth)
    for (const d of c.devices || []) if (METER_KINDS.includes(d.kind)) add('device', d, depth + 1)
    for (const child of c.circuits || []) walkCircuit(child, depth + 1)
    for (const b of c.boards || []) walkBoard(b, depth + 1)
  }
  for (const b of topology.boards || []) walkBoard(b, 1)
  return out
}

/** The feeders one can balance: every board, and every circuit with something downstream
 *  (child circuits or boards). Each: {key: 'board:id' | 'circuit:id', kind, id, label}. */
export function balanceFeeders(topology) {
  const out = []
  const walkBoard = (b) => {
    out.push({ key: `board:${b.id}`, kind: 'board', id: b.id, label: `${b.code} ${b.name}` })
    for (const c of b.circuits || []) walkCircuit(c)
  }
  const walkCircuit = (c) => {
    if ((c.circuits || []).length || (c.boards || []).length) {
      out.push({ key: `circuit:${c.id}`, kind: 'circuit', id: c.id, label: `${c.code} ${c.name}` })
    }
    for (const child of c.circuits || []) walkCircuit(child)
    for (const b of c.boards || []) walkBoard(b)
  }
  for (const b of topology?.boards || []) walkBoard(b)
  return out
}

/** The overview's rows: each site, and across them when there are several. */
export function overviewRows(overview) {
  const sites = overview?.sites || []
  return { sites, total: sites.length > 1 ? overview.total : null }
}

/** The counters a meter replacement can carry (backend COUNTERS), kWh / kvarh. */
export const REPLACEMENT_COUNTERS = ['energy_import', 'energy_export', 'reactive_energy']

/** Offset of ``timeZone`` from UTC at the instant ``ms``, in ms (Shanghai: +8 h). */
export function zoneOffsetMs(ms, timeZone) {
  const p = {}
  for (const x of new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms))) p[x.type] = x.value
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000
}

/** The instant (UTC ISO) a wall-clock time ``day`` ``hh:mm`` of ``timeZone`` is; a time
 *  skipped by a DST change resolves to the offset before it. */
export function zonedInstant(day, timeZone, hh = 0, mm = 0) {
  const [y, m, d] = day.split('-').map(Number)
  const wall = Date.UTC(y, m - 1, d, hh, mm)
  let ms = wall - zoneOffsetMs(wall, timeZone)
  ms = wall - zoneOffsetMs(ms, timeZone)
  return new Date(ms).toISOString()
}

/** A datetime-local value ("YYYY-MM-DDTHH:mm") read as the wall clock of ``timeZone``:
 *  the UTC instant (ISO), or null when it is not such a value. */
export function zonedInputInstant(value, timeZone) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})$/.exec(value || '')
  return m ? zonedInstant(m[1], timeZone, Number(m[2]), Number(m[3])) : null
}

/** An instant (ISO) as the datetime-local value of ``timeZone``'s wall clock, and
 *  "YYYY-MM-DD HH:mm" for a list with ``sep`` ' '. */
export function zonedInput(iso, timeZone, sep = 'T') {
  const ms = Date.parse(iso)
  if (!Number.isFinite(ms)) return ''
  const p = parts(ms, timeZone)
  return `${p.year}-${p.month}-${p.day}${sep}${p.hour}:${p.minute}`
}

/** The meter-replacement form as the API's body: the time typed as the wall clock of
 *  ``timeZone`` (the site's; the browser's own zone when none is given) sent as a UTC
 *  instant, only the counters with a value typed, numbers parsed (anything else sent as
 *  typed, for the server to name the field). */
export function replacementBody(form, timeZone) {
  const num = (s) => {
    const x = String(s ?? '').trim()
    return x !== '' && Number.isFinite(Number(x)) ? Number(x) : x
  }
  const readings = {}
  for (const c of REPLACEMENT_COUNTERS) {
    const r = form.readings?.[c] || {}
    if (String(r.old_final ?? '').trim() === '' && String(r.new_initial ?? '').trim() === '') continue
    readings[c] = { old_final: num(r.old_final), new_initial: num(r.new_initial) }
  }
  const at = timeZone ? null : (form.at ? new Date(form.at) : null)
  const zoned = timeZone ? zonedInputInstant(form.at, timeZone) : null
  return {
    device_id: form.device_id ?? null,
    at: zoned || (at && !Number.isNaN(at.getTime()) ? at.toISOString() : (form.at || null)),
    readings, note: form.note || '',
  }
}

/** A replacement's readings for a list: "正向有功电能 5020 → 3; ...". ``label(counter)``. */
export function readingsText(readings, label) {
  return Object.entries(readings || {}).map(([c, r]) => `${label(c)} ${r.old_final} → ${r.new_initial}`).join('；')
}
