// Pure helpers of the power-quality view and of fault location on the topology (no Vue,
// no fetch): the index rows with their limits and clauses, texts in the current language,
// events for display, and the marks of a fault-location result on the supply tree.

export const INDEX_ORDER = ['voltage_deviation', 'voltage_unbalance', 'current_unbalance', 'frequency',
  'power_factor', 'thd_voltage']

function num(v, digits = 2) {
  return typeof v === 'number' && Number.isFinite(v) ? Number(v.toFixed(digits)).toString() : '—'
}

/** A limit as text: ``+7 % / −7 %``, ``2 % (short-time 4 %)``, ``±0.2 Hz``, ``≥ 0.9``. */
export function limitText(key, limits = {}, tr = (k) => k) {
  switch (key) {
    case 'voltage_deviation':
      return `+${num(limits.upper_pct)} % / ${num(limits.lower_pct)} %`
    case 'voltage_unbalance':
      return `${num(limits.normal_pct)} % (${tr('quality.shortTime')} ${num(limits.short_time_pct)} %)`
    case 'frequency':
      return `±${num(limits.max_deviation_hz)} Hz`
    case 'power_factor':
      return `≥ ${num(limits.target)}`
    default:
      return limits.max_pct != null ? `≤ ${num(limits.max_pct)} %` : '—'
  }
}

/** The indices of a point's (or site's pooled) answer as rows, in a fixed order; unknown
 *  keys come last. A row is ``{key, available, compliance, p95, p95Low, unit, limit,
 *  standard, approximate, method, note, compliant}``. */
export function indexRows(indices = {}, tr = (k) => k) {
  const keys = [...INDEX_ORDER.filter((k) => k in indices), ...Object.keys(indices).filter((k) => !INDEX_ORDER.includes(k))]
  return keys.map((key) => {
    const ix = indices[key] || {}
    const pooled = 'points' in ix        // the site's pooled index (its points' limit when they share one)
    return {
      key,
      available: pooled ? ix.intervals > 0 : ix.available !== false,
      compliance: typeof ix.compliance_pct === 'number' ? ix.compliance_pct : null,
      p95: pooled ? ix.worst_p95 ?? null : ix.p95 ?? null,
      p95Low: ix.p95_low ?? null,
      unit: ix.unit ?? '',
      limit: ix.limits ? limitText(key, ix.limits, tr) : '',
      standard: ix.standard || '',
      approximate: !!ix.approximate,
      method: ix.method || '',
      note: ix.note || '',
      compliant: ix.compliant ?? (pooled ? (ix.failing_points ?? 0) === 0 && ix.intervals > 0 : null),
    }
  })
}

/** A ``{zh, en}`` text in the current language (zh-CN first). */
export function pick(text, locale = 'zh-CN') {
  if (text == null) return ''
  if (typeof text === 'string') return text
  return (locale === 'en' ? text.en || text.zh : text.zh || text.en) || ''
}

export function fmtPctValue(v, unit = '%') {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—'
  return unit === '%' ? `${v.toFixed(2)} %` : unit ? `${v.toFixed(3)} ${unit}` : v.toFixed(3)
}

/** Events for display, newest first: ``{kind, start, duration, depth, cause, code}``; the
 *  depth is the residual voltage of a sag or the peak of a swell, % of the nominal. */
export function eventRows(events = []) {
  return [...events].sort((a, b) => String(b.start).localeCompare(String(a.start))).map((e) => ({
    kind: e.kind,
    start: e.start,
    duration: typeof e.duration_s === 'number' ? e.duration_s : null,
    depth: e.kind === 'swell' ? e.peak_pct ?? null : e.residual_pct ?? null,
    cause: e.cause || null,
    cls: e.class || null,
    code: e.code || null,
    deviceId: e.device_id ?? null,
  }))
}

/** Diagnosis cards, system level first then the most severe. */
export function sortCards(cards = []) {
  const sev = { alarm: 0, warning: 1, info: 2 }
  return [...cards].sort((a, b) => (a.scope === 'system' ? 0 : 1) - (b.scope === 'system' ? 0 : 1)
    || (sev[a.severity] ?? 3) - (sev[b.severity] ?? 3))
}

/** The monitoring points of a topology (breakers and meters), for the point picker. */
export function monitoringPoints(topology) {
  const out = []
  const walkBoard = (b) => b.circuits.forEach(walkCircuit)
  const walkCircuit = (c) => {
    for (const d of c.devices || []) {
      if (d.kind === 'breaker' || d.kind === 'meter') out.push({ id: d.id, code: d.code, name: d.name, circuit: c.code })
    }
    ;(c.circuits || []).forEach(walkCircuit)
    ;(c.boards || []).forEach(walkBoard)
  }
  ;(topology?.boards || []).forEach(walkBoard)
  return out
}

/** Where a fault-location result marks the topology: ``located`` circuits and boards (the
 *  faulty node of a power fault), ``affected`` circuits (shaded), ``gateways`` and
 *  ``devices`` at fault (communication), each mapped to the index of its fault. */
export function faultMarks(result) {
  const marks = { circuits: {}, boards: {}, affected: {}, devices: {}, gateways: {} }
  ;(result?.faults || []).forEach((f, i) => {
    const n = f.node || {}
    if (n.type === 'circuit') marks.circuits[n.id] ??= i
    else if (n.type === 'board') marks.boards[n.id] ??= i
    else if (n.type === 'gateway') marks.gateways[n.id] ??= i
    else if (n.type === 'device') marks.devices[n.id] ??= i
    if (f.power) for (const c of f.affected_circuits || []) marks.affected[c] ??= i
  })
  return marks
}

/** A fault's one-line summary: ``{kind, where}``, where is ``code`` (and ``name`` when
 *  it differs). */
export function faultTitle(fault) {
  const n = fault?.node || {}
  const where = n.name && n.name !== n.code ? `${n.name} ${n.code}` : (n.code || '')
  return { kind: fault?.kind || '', type: n.type || '', where }
}
