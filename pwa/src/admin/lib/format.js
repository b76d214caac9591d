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
