// Power quality's strings (docs/quality.md) and its error codes, zh-CN first.
// Merged into src/i18n/messages.js (``quality``, and into ``errors``).
export const qualityMessages = {
  'zh-CN': {
    quality: {
      title: '电能质量', compliance: '合格率', p95: '95%概率值', limit: '限值', standard: '标准',
      approximate: '近似值', events: '事件', diagnosis: '诊断', cause: '可能原因', hazard: '危害',
      remedy: '治理建议', reasoning: '推理过程', daily: '日统计',
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
