// The console's energy parameters (tariffs, carbon factors, KPI denominators), zh-CN first.
// Merged into the admin console's strings (src/admin/i18n.js) key by key. Their error
// codes are in energy-analytics.js (tariff_overlap, not_quarter_hour...).
export const adminEnergyMessages = {
  'zh-CN': {
    menu: { energy: '能源参数' },
    res: { carbon_factors: '碳排放因子', denominators: 'KPI 分母' },
    fields: { year: '年份', kg_per_kwh: 'kgCO₂/kWh', month: '月份', value: '数值', valid_from: '生效日期', currency: '币种',
      periods: '时段', prices: '电价' },
    enums: { kpiKind: { persons: '人数', floor_m2: '建筑面积 m²', detainee_days: '在押人日' },
      period: { sharp: '尖峰', peak: '峰', flat: '平', valley: '谷' } },
    energy: {
      tariffs: '分时电价版本', tariffsHint: '每个版本自生效日期起适用，直到下一个版本生效；时段以刻钟（15 分钟）为单位，须覆盖全天且不重叠，可跨午夜',
      carbonHint: '每年一个因子：某年未设置时沿用此前最近一年的', denominatorsHint: '按月录入；不选区域即为全站',
      newVersion: '新建版本', validUntil: '有效至', current: '现行', start: '开始', end: '结束', addPeriod: '添加时段',
      removePeriod: '删除', price: '电价（每 kWh）', none: '尚未设置电价：能耗费用为 0', gaps: '{n} 个刻钟未覆盖',
      overlaps: '{n} 个刻钟重叠', covered: '全天已覆盖', cancel: '取消', save: '保存', edit: '编辑', delete: '删除',
    },
  },
  en: {
    menu: { energy: 'Energy parameters' },
    res: { carbon_factors: 'Carbon factors', denominators: 'KPI denominators' },
    fields: { year: 'Year', kg_per_kwh: 'kgCO₂/kWh', month: 'Month', value: 'Value', valid_from: 'Valid from', currency: 'Currency',
      periods: 'Periods', prices: 'Prices' },
    enums: { kpiKind: { persons: 'Persons', floor_m2: 'Floor m²', detainee_days: 'Detainee-days' },
      period: { sharp: 'Sharp peak', peak: 'Peak', flat: 'Flat', valley: 'Valley' } },
    energy: {
      tariffs: 'Time-of-use tariff versions', tariffsHint: 'Each version applies from its day until the next one; periods are in quarter hours, cover the whole day without overlap and may wrap past midnight',
      carbonHint: 'One factor a year: a year without one takes the latest earlier year\'s', denominatorsHint: 'Entered per month; no area means the whole site',
      newVersion: 'New version', validUntil: 'Valid until', current: 'current', start: 'Start', end: 'End', addPeriod: 'Add a period',
      removePeriod: 'Remove', price: 'Price (per kWh)', none: 'No tariff yet: energy costs 0', gaps: '{n} quarter hours uncovered',
      overlaps: '{n} quarter hours overlap', covered: 'The whole day is covered', cancel: 'Cancel', save: 'Save', edit: 'Edit', delete: 'Delete',
    },
  },
}
