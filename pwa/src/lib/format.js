import { t, tOr } from '../i18n/index.js'

export function fmtNumber(v, digits = 1) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '—'
  return v.toFixed(digits)
}

export function fmtPercent(ratio) {
  return typeof ratio === 'number' ? `${Math.round(ratio * 100)}%` : '—'
}

export function fmtTime(ms, withDate = false) {
  if (!ms) return t('net.never')
  const d = new Date(ms)
  const pad = (n) => String(n).padStart(2, '0')
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  return withDate ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}` : time
}

/** The date (YYYY-MM-DD) at ``at`` in ``timeZone``: a site's own zone (its due dates are
 *  its local dates), the browser's when none is given. */
export function localDate(timeZone, at = new Date()) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timeZone || undefined, year: 'numeric', month: '2-digit', day: '2-digit' })
    .format(at)
}

/** Whole days from the date ``a`` to the date ``b`` (both YYYY-MM-DD). */
export function daysBetween(a, b) {
  return Math.round((Date.parse(b) - Date.parse(a)) / 86_400_000)
}

/** A latest-value cell for display: numbers with their unit, states translated. */
export function fmtValue(v, unit = '') {
  if (v === null || v === undefined) return '—'
  if (Array.isArray(v)) return v.length ? v.map((x) => tOr(`values.${x}`, x)).join(', ') : tOr('values.none', 'none')
  if (typeof v === 'boolean') return tOr(`values.${v}`, String(v))
  if (typeof v === 'string') return tOr(`values.${v}`, v)
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2
  return unit ? `${v.toFixed(digits)} ${unit}` : v.toFixed(digits)
}

export const UNITS = {
  voltage_a: 'V', voltage_b: 'V', voltage_c: 'V', current_a: 'A', current_b: 'A', current_c: 'A',
  current_n: 'A', active_power: 'kW', active_power_a: 'kW', active_power_b: 'kW', active_power_c: 'kW',
  reactive_power: 'kvar', apparent_power: 'kVA', power_factor: '', frequency: 'Hz',
  energy_import: 'kWh', energy_export: 'kWh', reactive_energy: 'kvarh', temperature: '°C',
  leakage_current: 'mA', humidity: '%RH', water_level: 'cm', brightness: '%', dim_level: '%',
}

export function metricLabel(m) {
  return tOr(`metrics.${m}`, m)
}
