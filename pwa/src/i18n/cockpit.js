// The cockpit (总览 on the phone, /admin/cockpit on the big screen): cards, the one-line
// diagram, the ranking; the preferences API's error codes. zh-CN first.
export const cockpitMessages = {
  'zh-CN': {
    cockpit: {
      cards: {
        ranking: '站点能耗排名', oneline: '单线图', energy: '今日能耗', trend: '能耗趋势', alarms: '告警',
        stats: '设备状态', live_power: '实时功率', top_circuits: '负载最高回路',
      },
      edit: '编辑卡片', done: '完成', up: '上移', down: '下移', show: '显示', hide: '隐藏',
      saved: '已保存，其他设备登录后同样生效', saveFailed: '保存失败', hiddenAll: '所有卡片都已隐藏：点“编辑卡片”选择要显示的卡片',
      byToday: '今日', byMonth: '本月', kwh: 'kWh', alarmsOpen: '未消除告警', intensity: '能耗强度',
      noSites: '暂无站点能耗数据', cost: '今日电费', yuan: '元', site: '站点',
      supply: '电源进线', zoomIn: '放大', zoomOut: '缩小', fit: '适应宽度',
      legend: '线宽表示功率，流动虚线表示正在供电；红色闪烁为告警回路', noTopology: '该站点尚未配置配电箱和回路',
      states: { closed: '合闸', open: '分闸', tripped: '跳闸', fault: '故障', offline: '离线', unknown: '未知' },
      inAlarm: '{n} 个回路告警', allNormal: '全部回路正常', total: '全站', todayTotal: '今日用电',
      month: '本月用电', mute: '静音', unmute: '取消静音', selectSite: '选择站点',
    },
    errors: {
      unknown_card: '未知的卡片：请刷新页面后重试', duplicate_card: '同一张卡片只能出现一次',
    },
  },
  en: {
    cockpit: {
      cards: {
        ranking: 'Sites by consumption', oneline: 'One-line diagram', energy: "Today's energy", trend: 'Energy trend',
        alarms: 'Alarms', stats: 'Devices', live_power: 'Live power', top_circuits: 'Most loaded circuits',
      },
      edit: 'Edit cards', done: 'Done', up: 'Up', down: 'Down', show: 'Show', hide: 'Hide',
      saved: 'Saved: your other devices show the same', saveFailed: 'Not saved', hiddenAll: 'Every card is hidden: tap "Edit cards" to choose',
      byToday: 'Today', byMonth: 'This month', kwh: 'kWh', alarmsOpen: 'Open alarms', intensity: 'Intensity',
      noSites: 'No energy data for any site yet', cost: "Today's cost", yuan: 'CNY', site: 'Site',
      supply: 'Supply', zoomIn: 'Zoom in', zoomOut: 'Zoom out', fit: 'Fit width',
      legend: 'Line width shows power, moving dashes show supply; blinking red circuits are in alarm', noTopology: 'No boards or circuits configured for this site',
      states: { closed: 'Closed', open: 'Open', tripped: 'Tripped', fault: 'Fault', offline: 'Offline', unknown: 'Unknown' },
      inAlarm: '{n} circuits in alarm', allNormal: 'All circuits normal', total: 'Site', todayTotal: 'Today',
      month: 'This month', mute: 'Mute', unmute: 'Unmute', selectSite: 'Site',
    },
    errors: {
      unknown_card: 'Unknown card: reload the page and try again', duplicate_card: 'A card may appear once only',
    },
  },
}
