// Inspections' strings (docs/inspections.md) and their error codes, zh-CN first.
// Merged into src/i18n/messages.js (``inspections``, and into ``errors``).
export const inspectionsMessages = {
  'zh-CN': {
    inspections: {
      title: '巡检与维保', overdue: '待巡检', none: '暂无到期的巡检', plans: '巡检计划', noPlans: '暂无巡检计划',
      dueOn: '应于 {date}', dueToday: '今日到期', overdueDays: '逾期 {n} 天', record: '填写记录',
      checklist: '检查项', pass: '合格', fail: '不合格', values: '测量值', findings: '发现问题',
      findingsHint: '如有问题请描述', photo: '现场照片', photoPick: '拍照或选择照片', photoAgain: '重新选择', submit: '提交记录', saved: '已保存巡检记录',
      switchover: '切换时间', seconds: '{n} 秒', fromReadings: '取自读数', manual: '手工填写',
      manualSeconds: '手工切换时间', manualSecondsHint: '秒，读数未显示切换时填写', nextDue: '下次应于 {date}', viewAll: '全部',
      admin: {
        newPlan: '新建巡检计划', name: '名称', kind: '类型', every: '周期', start: '首次应完成日期',
        checklist: '检查项（每行一项）', checklistHint: '柜门关闭\n无异味', measurements: '测量值（每行「名称|单位」）',
        measurementsHint: '室温|°C', normal_device_id: '常用电源断路器', standby_device_id: '备用电源断路器',
        save: '保存计划', nextDue: '下次应完成', delete: '删除', records: '巡检记录', export: '导出 Excel',
        performedAt: '执行时间', performedBy: '执行人', failed: '不合格项',
        units: { day: '天', week: '周', month: '月', year: '年' },
      },
      kinds: {
        inspection: '巡检', generator_maintenance: '发电机维保', generator_load_test: '发电机带载试验',
        switchover_test: '双电源切换试验',
      },
    },
    errors: {
      inspection_plan_not_found: '巡检计划不存在', inspection_record_not_found: '巡检记录不存在',
      inspection_photo_not_found: '照片不存在', checklist_incomplete: '还有检查项未填写',
      unknown_checklist_item: '检查项不属于该计划', unknown_measurement: '测量值不属于该计划',
      duplicate_key: '项目重复', not_a_breaker: '所选设备不是断路器', repair_order_exists: '已生成抢修工单',
    },
  },
  en: {
    inspections: {
      title: 'Inspections', overdue: 'Due inspections', none: 'Nothing due', plans: 'Plans', noPlans: 'No plans',
      dueOn: 'Due {date}', dueToday: 'Due today', overdueDays: '{n} days overdue', record: 'Record',
      checklist: 'Checklist', pass: 'OK', fail: 'Not OK', values: 'Measured values', findings: 'Findings',
      findingsHint: 'Describe any problem', photo: 'Photo', photoPick: 'Take or choose a photo', photoAgain: 'Choose another', submit: 'Submit', saved: 'Inspection recorded',
      switchover: 'Switch-over time', seconds: '{n} s', fromReadings: 'from readings', manual: 'typed by hand',
      manualSeconds: 'Time by hand', manualSecondsHint: 's, when the readings show none', nextDue: 'Next due {date}', viewAll: 'All',
      admin: {
        newPlan: 'New plan', name: 'Name', kind: 'Kind', every: 'Every', start: 'First due date',
        checklist: 'Checklist (one item a line)', checklistHint: 'Doors closed\nNo smell',
        measurements: 'Measurements ("name|unit" a line)', measurementsHint: 'Room temperature|°C',
        normal_device_id: 'Normal supply breaker', standby_device_id: 'Standby supply breaker',
        save: 'Save plan', nextDue: 'Next due', delete: 'Delete', records: 'Records', export: 'Export Excel',
        performedAt: 'Performed', performedBy: 'By', failed: 'Not OK',
        units: { day: 'day(s)', week: 'week(s)', month: 'month(s)', year: 'year(s)' },
      },
      kinds: {
        inspection: 'Inspection', generator_maintenance: 'Generator maintenance',
        generator_load_test: 'Generator load test', switchover_test: 'Dual-power switch-over test',
      },
    },
    errors: {
      inspection_plan_not_found: 'Inspection plan not found', inspection_record_not_found: 'Record not found',
      inspection_photo_not_found: 'Photo not found', checklist_incomplete: 'Some checklist items have no result',
      unknown_checklist_item: 'Not an item of the plan', unknown_measurement: 'Not a measurement of the plan',
      duplicate_key: 'Given twice', not_a_breaker: 'The device is not a breaker',
      repair_order_exists: 'A repair order exists already',
    },
  },
}
