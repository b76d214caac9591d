// How the admin console shows values: enum labels, referenced records, yes/no, times.
import { t, tOr } from '../../i18n/index.js'

export function enumText(group, value) {
  if (value === null || value === undefined || value === '') return ''
  return tOr(`admin.enums.${group}.${value}`, String(value))
}

export function fieldLabel(key) {
  return tOr(`admin.fields.${key}`, key)
}

export function fmtTime(iso) {
  if (!iso) return ''
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString('zh-CN', { hour12: false })
}

/** The text of ``row[col.key]`` in a list; ``label(refKey, id)`` names referenced records. */
export function cellText(col, row, label) {
  const v = row[col.key]
  if (col.bool) return v === null || v === undefined ? t('admin.act.inherit') : v ? t('admin.act.yes') : t('admin.act.no')
  if (col.state) return t(`admin.${col.state}.${v === true ? 'up' : v === false ? 'down' : 'unknown'}`)
  if (v === null || v === undefined) return ''
  if (col.enum) return enumText(col.enum, v)
  if (col.ref) return label(col.ref, v)
  if (col.time) return fmtTime(v)
  return String(v)
}

/** What changed between an audit entry's before and after: ``[[key, before, after]]``. */
export function auditChanges(entry) {
  const before = entry.before || {}
  const after = entry.after || {}
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b)
  return keys.filter((k) => k !== 'updated_at' && !same(before[k], after[k]))
    .map((k) => [k, before[k] ?? null, after[k] ?? null])
}

/** A refused profile upload's errors, one line each, each naming its field: the
 *  validator's ``errors.profile`` ("metrics.x.type: ...") as they are, any other key
 *  (``name``) as "key: message". */
export function profileErrorLines(err) {
  const errors = err?.errors
  if (!errors || typeof errors !== 'object') return []
  if (Array.isArray(errors)) return errors.map((e) => (typeof e === 'string' ? e : [e.path, e.message].filter(Boolean).join(': ')))
  const out = []
  for (const [key, v] of Object.entries(errors)) {
    for (const msg of Array.isArray(v) ? v : [v]) {
      const text = typeof msg === 'string' ? msg : JSON.stringify(msg)
      out.push(key === 'profile' ? text : `${key}: ${text}`)
    }
  }
  return out
}
