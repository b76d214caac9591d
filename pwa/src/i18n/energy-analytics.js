// The energy analytics API's error codes (tariffs, carbon, KPIs, reports; docs/energy.md),
// zh-CN first. Merged into src/i18n/messages.js (into ``errors``) like energy.js.
export const energyAnalyticsMessages = {
  'zh-CN': {
    errors: {
      tariff_overlap: '电价时段重叠：每个时刻只能属于一个时段',
      tariff_uncovered: '电价时段未覆盖全天：请补齐缺少的时间',
      not_quarter_hour: '时段边界须在整刻钟（:00、:15、:30、:45）',
      price_missing: '有时段未填写电价',
      tariff_exists: '该所在此生效日期已有电价版本',
      tariff_not_found: '电价版本不存在或无权访问',
      carbon_factor_exists: '该所该年份已有碳排放因子',
      carbon_factor_not_found: '碳排放因子不存在或无权访问',
      denominator_exists: '该月该指标已录入',
      denominator_not_found: '指标分母不存在或无权访问',
      report_not_found: '报表不存在或无权访问',
      report_file_missing: '报表文件已丢失，请重新生成',
    },
  },
  en: {
    errors: {
      tariff_overlap: 'Tariff periods overlap: each time of day belongs to one period',
      tariff_uncovered: 'The tariff periods do not cover the whole day',
      not_quarter_hour: 'Period boundaries must be on a quarter hour (:00, :15, :30, :45)',
      price_missing: 'A period in use has no price',
      tariff_exists: 'The site already has a tariff version valid from that day',
      tariff_not_found: 'No such tariff version (or not yours)',
      carbon_factor_exists: 'The site already has a carbon factor for that year',
      carbon_factor_not_found: 'No such carbon factor (or not yours)',
      denominator_exists: 'That KPI denominator is already entered for the month',
      denominator_not_found: 'No such KPI denominator (or not yours)',
      report_not_found: 'No such report (or not yours)',
      report_file_missing: "The report's file is gone: generate it again",
    },
  },
}
