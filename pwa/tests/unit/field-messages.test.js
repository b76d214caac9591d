import { describe, expect, it, beforeEach } from 'vitest'
import { locale } from '../../src/i18n/index.js'
import { fieldMessage } from '../../src/api/errors.js'

// Our own field messages (backend `invalid_field(field, message)`), as the server sends them.
describe('fieldMessage: our own messages in Chinese', () => {
  beforeEach(() => { locale.value = 'zh-CN' })

  it.each([
    ['is required', '必填'],
    ['is required when unit_id is given', '填写 unit_id 时必填'],
    ['is required when no alarm_id is given', '未填写 alarm_id 时必填'],
    ['is required when scope is device', 'scope 为 device 时必填'],
    ['is only allowed when scope is category', '仅在 scope 为 category 时可填'],
    ['must be after start', '须晚于 start'],
    ['on or after start', '不能早于 start'],
    ['must not be before from', '不能早于 from'],
    ['at most 31 days', '最长 31 天'],
    ['is in the future', '不能是将来的时间'],
    ['no circuit 12 in this site', '本站点没有回路 12'],
    ['no area 3 in site 1', '本站点没有区域 3'],
    ['not a device of this site', '不是本站点的设备'],
    ['user 5 is not granted this site', '用户 5 不是本站点的有效用户'],
    ['give exactly one of board_id and circuit_id', 'board_id 与 circuit_id 须且只能填一个'],
    ['give circuit_id or board_id (one of them)', 'circuit_id 与 board_id 须且只能填一个'],
    ['would make the supply tree a cycle', '会使供电关系成环'],
    ['must be a JPEG, PNG or WebP image', '须为 JPEG、PNG 或 WebP 图片'],
    ["no result for checklist items: fan, door", '以下检查项没有结果：fan, door'],
    ["'voltage' is given twice", '“voltage”重复'],
    ['unknown metric(s): foo, bar', '未知测点：foo, bar'],
  ])('%s', (en, zh) => {
    expect(fieldMessage(en)).toBe(zh)
  })

  it('leaves an unknown message and English alone', () => {
    expect(fieldMessage('something new')).toBe('something new')
    locale.value = 'en'
    expect(fieldMessage('must be after start')).toBe('must be after start')
  })
})
