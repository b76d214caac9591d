import { locale, t, tOr } from '../i18n/index.js'

/** The text a user sees for an API error: in Chinese the server's own Chinese reason when
 *  it gives one (control refusals name their details: the seconds, the mode), else our
 *  translation of its stable code when we have one, else the server's message, else the
 *  status. */
export function describeError(err) {
  if (!err) return ''
  if (locale.value === 'zh-CN' && err.messageZh) return err.messageZh
  const known = tOr(`errors.${err.error}`, null)
  if (known) return known
  if (err.message && err.message !== err.error) return err.message
  return t('errors.unknown', { status: err.status })
}

/** Why a command was refused or how it failed (``{error, message, message_zh}`` of a
 *  command or its live event), in the UI language; '' when it has no reason. */
export function commandReason(cmd) {
  if (!cmd?.error) return ''
  if (locale.value === 'zh-CN') return cmd.message_zh || tOr(`errors.${cmd.error}`, null) || cmd.message || cmd.error
  return cmd.message || tOr(`errors.${cmd.error}`, null) || cmd.error
}

// marshmallow's messages for a field (the server's English), in Chinese: matched whole,
// their numbers and choices kept; anything else (our own messages) is shown as it comes.
const FIELD_ZH = [
  [/^Missing data for required field\.$/, () => '必填'],
  [/^Field may not be null\.$/, () => '不能为空'],
  [/^Unknown field\.$/, () => '未知字段'],
  [/^Not a valid integer\.$/, () => '请输入整数'],
  [/^Not a valid number\.$/, () => '请输入数字'],
  [/^Not a valid boolean\.$/, () => '请选择是或否'],
  [/^Not a valid string\.$/, () => '请输入文字'],
  [/^Not a valid (date|datetime|time)\.$/, (m) => ({ date: '日期格式不对', datetime: '时间格式不对', time: '时刻格式不对' })[m[1]]],
  [/^Not a valid list\.$/, () => '应为列表'],
  [/^Invalid input type\.$|^Invalid type\.$/, () => '类型不对'],
  [/^Must be one of: (.*)\.$/, (m) => `须为以下之一：${m[1]}`],
  [/^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$/, (m) => `须在 ${m[1]} 到 ${m[2]} 之间`],
  [/^Must be greater than or equal to (\S+)\.$/, (m) => `须不小于 ${m[1]}`],
  [/^Must be less than or equal to (\S+)\.$/, (m) => `须不大于 ${m[1]}`],
  [/^Must be greater than (\S+)\.$/, (m) => `须大于 ${m[1]}`],
  [/^Length must be between (\d+) and (\d+)\.$/, (m) => `长度须在 ${m[1]} 到 ${m[2]} 之间`],
  [/^Shorter than minimum length (\d+)\.$/, (m) => `长度不能少于 ${m[1]}`],
  [/^Longer than maximum length (\d+)\.$/, (m) => `长度不能超过 ${m[1]}`],
  [/^String does not match expected pattern\.$/, () => '格式不对'],
]

/** A field's error message from the server in the UI language (see FIELD_ZH). */
export function fieldMessage(text) {
  const s = String(text)
  if (locale.value !== 'zh-CN') return s
  for (const [re, zh] of FIELD_ZH) {
    const m = re.exec(s)
    if (m) return zh(m)
  }
  return s
}
