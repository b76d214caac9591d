// Power quality's strings (docs/quality.md) and its error codes, zh-CN first.
// Merged into src/i18n/messages.js (``quality``, and into ``errors``).
export const qualityMessages = {
  'zh-CN': {
    quality: {
      title: '电能质量', compliance: '合格率', p95: '95%概率值', limit: '限值', standard: '标准',
      approximate: '近似值', events: '事件', diagnosis: '诊断', cause: '可能原因', hazard: '危害',
      remedy: '治理建议', reasoning: '推理过程', daily: '日统计',
      site: '全站', point: '监测点', sitePoints: '全站汇总', period: '近24小时', noData: '该时段无数据',
      noEvents: '无事件', noCards: '未发现问题', shortTime: '短时', approxHint: '由三相幅值计算，非标准负序法，仅供参考',
      approxFrequency: '按10分钟平均频率评定（标准为10秒测量值），仅供参考',
      worstP95: '最差95%值', failing: '不合格点数', duration: '持续', depth: '幅值', points: '个监测点',
      scope: { system: '系统级', point: '单点' }, compliant: '合格', notCompliant: '不合格', unavailable: '无数据',
      rules: '诊断规则表', rulesHint: '规则以数据维护，说明及来源见 docs/quality-rules.md', sources: '依据',
      severity: { alarm: '严重', warning: '警告', info: '提示' },
      entry: '电能质量', all: '全部', showAll: '显示全部（{n}）',
      fault: {
        title: '故障定位', none: '未定位到故障', located: '故障点', affected: '受影响', refresh: '重新定位',
        power: '供电故障', comm: '通讯故障', affectedN: '影响 {n} 个回路', steps: '推理过程',
        kinds: {
          trip: '跳闸', switched_off: '人为分闸', loss_of_voltage: '失压', phase_loss: '缺相', sag: '电压暂降',
          fault_indicator: '故障指示', gateway_offline: '网关离线', communication: '设备通讯中断', flapping: '抖动（间歇故障）',
        },
        nodes: { circuit: '回路', board: '配电箱', gateway: '网关', device: '设备' },
      },
      indices: {
        voltage_deviation: '电压偏差', voltage_unbalance: '三相电压不平衡度',
        current_unbalance: '三相电流不平衡度', frequency: '频率偏差', power_factor: '功率因数',
        thd_voltage: '电压总谐波畸变率',
      },
      kinds: {
        sag: '电压暂降', swell: '电压暂升', interruption: '供电中断', trip: '跳闸停电',
        mode_change: '模式切换', short: '短时', long: '长时间',
      },
    },
    errors: { not_a_monitoring_point: '该设备不是电能质量监测点' },
  },
  en: {
    quality: {
      title: 'Power quality', compliance: 'Compliance', p95: '95 % value', limit: 'Limit',
      standard: 'Standard', approximate: 'Approximate', events: 'Events', diagnosis: 'Diagnosis',
      cause: 'Likely cause', hazard: 'Hazard', remedy: 'Remedy', reasoning: 'Reasoning',
      daily: 'Daily results',
      site: 'Site', point: 'Monitoring point', sitePoints: 'Whole site', period: 'Last 24 hours', noData: 'No data in this period',
      noEvents: 'No events', noCards: 'No problem found', shortTime: 'short-time', approxHint: 'Computed from the three magnitudes, not the standard negative-sequence method: indicative only',
      approxFrequency: 'Judged on 10-minute mean frequencies (the standard measures 10-second values): indicative only',
      worstP95: 'Worst 95 % value', failing: 'Failing points', duration: 'Duration', depth: 'Depth', points: 'points',
      scope: { system: 'System level', point: 'Point' }, compliant: 'Compliant', notCompliant: 'Not compliant', unavailable: 'No data',
      rules: 'Diagnosis rule table', rulesHint: 'The rules are kept as data; docs/quality-rules.md explains them with their sources', sources: 'Sources',
      severity: { alarm: 'Severe', warning: 'Warning', info: 'Info' },
      entry: 'Power quality', all: 'All', showAll: 'Show all ({n})',
      fault: {
        title: 'Fault location', none: 'No fault located', located: 'Fault here', affected: 'Affected', refresh: 'Locate again',
        power: 'Power fault', comm: 'Communication fault', affectedN: '{n} circuit(s) affected', steps: 'Reasoning',
        kinds: {
          trip: 'Trip', switched_off: 'Switched off', loss_of_voltage: 'Loss of voltage', phase_loss: 'Phase loss', sag: 'Voltage sag',
          fault_indicator: 'Fault indicator', gateway_offline: 'Gateway offline', communication: 'Device communication lost', flapping: 'Flapping (intermittent)',
        },
        nodes: { circuit: 'Circuit', board: 'Board', gateway: 'Gateway', device: 'Device' },
      },
      indices: {
        voltage_deviation: 'Voltage deviation', voltage_unbalance: 'Voltage unbalance',
        current_unbalance: 'Current unbalance', frequency: 'Frequency deviation',
        power_factor: 'Power factor', thd_voltage: 'Voltage THD',
      },
      kinds: {
        sag: 'Sag', swell: 'Swell', interruption: 'Interruption', trip: 'Trip',
        mode_change: 'Mode change', short: 'short', long: 'long',
      },
    },
    errors: { not_a_monitoring_point: 'This device is not a power-quality monitoring point' },
  },
}
