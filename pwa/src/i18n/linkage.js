// Strings of the linkage pop-up (PWA and console) and the linkage error codes, zh-CN first.
// Merged into src/i18n/messages.js (``popup``, and into ``errors``).
export const linkageMessages = {
  'zh-CN': {
    popup: {
      title: '联动告警', area: '区域', device: '触发设备', rule: '联动规则', value: '测量值',
      camera: '现场视频', openStream: '打开视频流（{kind}）', noCamera: '该区域没有摄像机',
      confirm: '确认故障', dismiss: '误报', later: '稍后处理', comment: '备注（可选）',
      confirmed: '已记录：确认故障', dismissed: '已记录：误报', noAlarm: '无关联报警，无需确认',
      more: '还有 {n} 条弹窗',
    },
    errors: {
      rule_loop: '联动规则会相互触发形成循环', metric_unknown: '该设备没有这个测量值',
      value_not_comparable: '大小比较需要数值', condition_device_not_found: '本站点没有该设备',
      action_device_not_found: '动作中的设备不属于本站点', action_needs_approval: '受保护回路：命令需审批',
      unknown_action_kind: '未知的动作类型', linkage_only: '该动作只能由联动规则执行',
      invalid_setting: '参数名或取值无效', value_required: '调光需要给出亮度',
      too_many_actions: '动作过多', linkage_rule_not_found: '联动规则不存在',
    },
  },
  en: {
    popup: {
      title: 'Linkage alarm', area: 'Area', device: 'Device', rule: 'Rule', value: 'Value',
      camera: 'Live video', openStream: 'Open the stream ({kind})', noCamera: 'No camera in this area',
      confirm: 'Confirm fault', dismiss: 'False alarm', later: 'Later', comment: 'Comment (optional)',
      confirmed: 'Recorded: fault confirmed', dismissed: 'Recorded: false alarm', noAlarm: 'No alarm to confirm',
      more: '{n} more pop-ups',
    },
    errors: {
      rule_loop: 'These rules would trigger each other in a loop', metric_unknown: 'The device has no such value',
      value_not_comparable: 'Comparing sizes needs a number', condition_device_not_found: 'No such device in this site',
      action_device_not_found: "An action's device is not of this site", action_needs_approval: 'Protected circuit: the command waits for approval',
      unknown_action_kind: 'Unknown action kind', linkage_only: 'Only a linkage rule runs this action',
      invalid_setting: 'Unknown setting or value', value_required: 'Dimming needs a level',
      too_many_actions: 'Too many actions', linkage_rule_not_found: 'No such linkage rule',
    },
  },
}
