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

// The records a message may name ("no circuit 7 in this site"), in Chinese.
const RECORD_ZH = {
  area: '区域', board: '配电箱', circuit: '回路', device: '设备', gateway: '网关', room: '配电室',
  scene: '场景', user: '用户', plan: '计划', site: '站点', rule: '规则',
}
const record = (name) => RECORD_ZH[name] || name

// A field's messages (the server's English), in Chinese: matched whole, their numbers,
// names and choices kept; anything else is shown as it comes. First marshmallow's own,
// then ours (backend `invalid_field(field, message)`: the field is shown beside it).
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
  // ours
  [/^is required$/, () => '必填'],
  [/^is required when (\w+) is given$/, (m) => `填写 ${m[1]} 时必填`],
  [/^is required when no (\w+) is given$/, (m) => `未填写 ${m[1]} 时必填`],
  [/^is required when (\w+) is (\w+)$/, (m) => `${m[1]} 为 ${m[2]} 时必填`],
  [/^is only allowed when (\w+) is (\w+)$/, (m) => `仅在 ${m[1]} 为 ${m[2]} 时可填`],
  [/^must be after (\w+)$/, (m) => `须晚于 ${m[1]}`],
  [/^on or after (\w+)$|^must not be before (\w+)$/, (m) => `不能早于 ${m[1] || m[2]}`],
  [/^must differ from (\w+)$/, (m) => `须与 ${m[1]} 不同`],
  [/^(?:is )?in the future$/, () => '不能是将来的时间'],
  [/^at most (\d+) days$/, (m) => `最长 ${m[1]} 天`],
  [/^at most (\d+) months$/, (m) => `最长 ${m[1]} 个月`],
  [/^the window may span at most a day$/, () => '时间窗最长一天'],
  [/^the month's first day \(YYYY-MM-01\)$/, () => '须为某月的第一天（YYYY-MM-01）'],
  [/^give exactly one of (\w+) and (\w+)$|^give (\w+) or (\w+) \(one of them\)$/,
    (m) => `${m[1] || m[3]} 与 ${m[2] || m[4]} 须且只能填一个`],
  [/^no (\w+) (\d+) in (?:this site|site \d+)$/, (m) => `本站点没有${record(m[1])} ${m[2]}`],
  [/^not a (\w+) of this site$/, (m) => `不是本站点的${record(m[1])}`],
  [/^user (\d+) is disabled$/, (m) => `用户 ${m[1]} 已停用`],
  [/^user (\d+) is not granted this site$|^user (\d+) is not an active user of this site$/,
    (m) => `用户 ${m[1] || m[2]} 不是本站点的有效用户`],
  [/^device (\d+) is not a breaker$/, (m) => `设备 ${m[1]} 不是断路器`],
  [/^applies to breakers only$/, () => '仅适用于断路器'],
  [/^would make the supply tree a cycle$/, () => '会使供电关系成环'],
  [/^would make the area tree a cycle$/, () => '会使区域层级成环'],
  [/^a circuit cannot feed itself$/, () => '回路不能为自己供电'],
  [/^is downstream of this circuit's board$/, () => '位于本回路所在配电箱的下游'],
  [/^is empty$/, () => '为空'],
  [/^must be a JPEG, PNG or WebP image$/, () => '须为 JPEG、PNG 或 WebP 图片'],
  [/^at least one action$/, () => '至少需要一个动作'],
  [/^at most (\d+) actions$/, (m) => `最多 ${m[1]} 个动作`],
  [/^at least one time of day \(HH:MM\)$/, () => '至少需要一个时刻（HH:MM）'],
  [/^each channel may appear once$/, () => '每个渠道只能出现一次'],
  [/^item keys must be unique$/, () => '项目标识不能重复'],
  [/^only cameras have a stream URL$/, () => '只有摄像机有视频流地址'],
  [/^unknown metric\(s\): (.+)$/, (m) => `未知测点：${m[1]}`],
  [/^no result for checklist items: (.+)$/, (m) => `以下检查项没有结果：${m[1]}`],
  [/^not items of the plan's checklist: (.+)$/, (m) => `不是本计划的检查项：${m[1]}`],
  [/^'(.+)' is given twice$|^item '(.+)' is given twice$/, (m) => `“${m[1] || m[2]}”重复`],
  [/^'(.+)' is not a measurement of the plan$/, (m) => `“${m[1]}”不是本计划的测量项`],
  [/^only a switch-over test has one$/, () => '只有双电源切换试验有此项'],
  [/^a switch-over test names its two breakers$/, () => '双电源切换试验须指定两台断路器'],
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
