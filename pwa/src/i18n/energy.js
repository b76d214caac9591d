// The energy API's error codes (backend/energy, docs/energy.md), zh-CN first.
// Merged into src/i18n/messages.js (into ``errors``); the energy tab adds its strings here.
export const energyMessages = {
  'zh-CN': {
    energy: {
      title: '能耗', overview: '概览', trend: '趋势', balance: '分项平衡',
      today: '今日', month: '本月', year: '本年', allSites: '全部站点合计',
      topConsumers: '本月用电最多', noConsumers: '暂无计量回路', node: '对象',
      nodes: { site: '站点', area: '区域', board: '配电箱', circuit: '回路', device: '设备' },
      intervals: { '15min': '15分钟', hour: '小时', day: '日', month: '月' },
      measured: '实测', estimated: '估算', estimatedHint: '橙色斜纹为估算值：通讯中断期间按前后读数均摊，或跨越表计清零估算',
      estimatedCount: '{n} 个时段为估算', total: '合计', noTrend: '该时段暂无电能数据',
      feeder: '馈线', period: '时段', periods: { '1d': '近24小时', '7d': '近7天', '30d': '近30天' },
      feederKwh: '馈线电量', childrenKwh: '下级合计', loss: '损耗/未计量', lossPct: '损耗率',
      flagged: '超过阈值 {pct}%', ok: '正常', unmetered: '未计量', unmeteredCount: '{n} 个下级回路未计量',
      includesEstimated: '含估算值', noFeeder: '该站点没有可做平衡的馈线', pickFeeder: '选择馈线',
      children: '下级回路', managersOnly: '能耗仅对管理人员开放',
    },
    errors: {
      range_too_long: '时间范围过长：请缩短范围或改用更粗的时间粒度',
      feeder_not_metered: '该馈线（或配电箱进线）没有电能计量，无法做分项平衡',
      old_final_below_last_reading: '旧表止码小于换表前最后一次读数',
      new_initial_above_first_reading: '新表起码大于换表后第一次读数',
      replacement_exists: '该设备在此时间已登记过换表',
      area_not_found: '区域不存在或无权访问', board_not_found: '配电箱不存在或无权访问',
      circuit_not_found: '回路不存在或无权访问', device_not_found: '设备不存在或无权访问',
    },
  },
  en: {
    energy: {
      title: 'Energy', overview: 'Overview', trend: 'Trend', balance: 'Balance',
      today: 'Today', month: 'This month', year: 'This year', allSites: 'All sites',
      topConsumers: 'Top consumers this month', noConsumers: 'No metered circuits yet', node: 'Node',
      nodes: { site: 'Site', area: 'Area', board: 'Board', circuit: 'Circuit', device: 'Device' },
      intervals: { '15min': '15 min', hour: 'Hour', day: 'Day', month: 'Month' },
      measured: 'Measured', estimated: 'Estimated', estimatedHint: 'Orange hatched bars are estimates: spread over a communication gap, or across a meter reset',
      estimatedCount: '{n} periods estimated', total: 'Total', noTrend: 'No energy data in this period',
      feeder: 'Feeder', period: 'Period', periods: { '1d': 'Last 24 h', '7d': 'Last 7 days', '30d': 'Last 30 days' },
      feederKwh: 'Feeder', childrenKwh: 'Children', loss: 'Loss / unmetered', lossPct: 'Loss share',
      flagged: 'Above {pct}%', ok: 'OK', unmetered: 'unmetered', unmeteredCount: '{n} children unmetered',
      includesEstimated: 'includes estimates', noFeeder: 'No feeder to balance on this site', pickFeeder: 'Pick a feeder',
      children: 'Children', managersOnly: 'Energy is for managers',
    },
    errors: {
      range_too_long: 'The range is too long: shorten it or pick a coarser interval',
      feeder_not_metered: 'The feeder (or the board\'s incomer) has no energy meter: no balance',
      old_final_below_last_reading: "The old meter's final reading is below its last reading",
      new_initial_above_first_reading: "The new meter's initial reading is above its first reading",
      replacement_exists: 'A replacement is already recorded for this device at that time',
      area_not_found: 'No such area (or not yours)', board_not_found: 'No such board (or not yours)',
      circuit_not_found: 'No such circuit (or not yours)', device_not_found: 'No such device (or not yours)',
    },
  },
}
