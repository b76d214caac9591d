// Pure helpers for a device's settings (no Vue, no fetch): how a setting is edited, what
// changed, whether a value is within the profile's range, the server's per-field errors,
// and a settings command's result (before -> after per setting).
import { t, tOr } from '../i18n/index.js'

/** A setting's name in the UI language (the profile's description, else its name). */
export function settingLabel(desc) {
  const name = typeof desc === 'string' ? desc : desc?.name
  return tOr(`settings.names.${name}`, (typeof desc === 'object' && desc?.description) || name)
}

/** A setting's value as text: on/off, the option, the number with its unit. */
export function settingText(desc, v) {
  if (v === null || v === undefined || v === '') return '—'
  if (typeof v === 'boolean') return t(v ? 'settings.on' : 'settings.off')
  if (typeof v === 'number') {
    const n = String(Number(v.toFixed(3)))
    const unit = desc?.unit || ''
    return !unit ? n : ['In', 'Pn'].includes(unit) ? `${n} × ${unit}` : `${n} ${unit}`
  }
  return tOr(`values.${v}`, String(v))
}

/** A problem (checkSetting) as text. */
export function problemText(problem) {
  return problem ? t(`settings.problems.${problem.code}`, problem) : ''
}

/** How a setting is edited: 'bool' (a switch), 'enum' (a choice) or 'number'. */
export function settingKind(desc) {
  const opts = desc?.options
  if (Array.isArray(opts) && opts.length) {
    return opts.every((o) => typeof o === 'boolean') ? 'bool' : 'enum'
  }
  return 'number'
}

/** A form value as the value to send: numbers from their text (null when not a number). */
export function parseValue(desc, v) {
  if (settingKind(desc) !== 'number') return v
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  if (typeof v !== 'string' || !v.trim()) return null
  const n = Number(v.trim())
  return Number.isFinite(n) ? n : null
}

/** Equal as settings: numbers within rounding (a scaled register reads 27.5 as 27.500000001). */
export function sameValue(a, b) {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b))
  return a === b
}

/** What the form changed: ``{name: value}`` of the writable settings whose value differs
 *  from the one read (numbers parsed; a field left empty or not a number counts as changed,
 *  so that validation reports it). */
export function changedValues(descs, read, form) {
  const out = {}
  for (const d of descs || []) {
    if (!d.writable || !(d.name in (form || {}))) continue
    const raw = form[d.name]
    const v = parseValue(d, raw)
    if (v === null) {
      if (raw !== read?.[d.name]) out[d.name] = raw
      continue
    }
    if (!sameValue(v, read?.[d.name])) out[d.name] = v
  }
  return out
}

/** Why ``value`` is not allowed for ``desc``: ``{code, ...params}`` or null.
 *  Codes: readonly, number, min, max, option. */
export function checkSetting(desc, value) {
  if (!desc) return { code: 'unknown' }
  if (!desc.writable) return { code: 'readonly' }
  const kind = settingKind(desc)
  if (kind !== 'number') {
    return desc.options.some((o) => o === value) ? null : { code: 'option', options: desc.options }
  }
  const n = parseValue(desc, value)
  if (n === null) return { code: 'number' }
  if (desc.min !== null && desc.min !== undefined && n < desc.min) return { code: 'min', min: desc.min, max: desc.max }
  if (desc.max !== null && desc.max !== undefined && n > desc.max) return { code: 'max', min: desc.min, max: desc.max }
  return null
}

/** Every problem of ``changes`` ({name: value}): ``{name: {code, ...}}`` (empty: all fine). */
export function checkChanges(descs, changes) {
  const byName = Object.fromEntries((descs || []).map((d) => [d.name, d]))
  const out = {}
  for (const [name, v] of Object.entries(changes || {})) {
    const problem = checkSetting(byName[name], v)
    if (problem) out[name] = problem
  }
  return out
}

/** The server's 422 (invalid_setting) as ``{name: 'message'}`` (its keys are ``values.<name>``;
 *  others, e.g. ``reason``, keep their key). */
export function settingErrors(err) {
  const out = {}
  const errors = err?.errors
  if (!errors || typeof errors !== 'object' || Array.isArray(errors)) return out
  for (const [key, v] of Object.entries(errors)) {
    const name = key.startsWith('values.') ? key.slice(7) : key
    out[name] = Array.isArray(v) ? v.map(String).join('; ') : typeof v === 'object' ? JSON.stringify(v) : String(v)
  }
  return out
}

/** A settings command's result, one row per setting written: ``{name, before, wanted,
 *  after, ok}``. ``before`` is the command's (read on the bus before the write), else the
 *  value the page read; ``after`` what the read-back showed (undefined until it has);
 *  ``ok`` whether the device shows the value wanted. */
export function settingsResult(cmd, read = {}) {
  if (!cmd) return []
  const wanted = cmd.settings || cmd.target || {}
  return Object.keys(wanted).map((name) => {
    const before = cmd.before && name in cmd.before ? cmd.before[name] : read[name]
    const after = cmd.observed && name in cmd.observed ? cmd.observed[name] : undefined
    return { name, before, wanted: wanted[name], after, ok: after !== undefined && sameValue(after, wanted[name]) }
  })
}
