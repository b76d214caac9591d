// Which metrics a device page shows, in which order, and how history groups them.
export const LIVE_ORDER = [
  'switch_state', 'trip_cause', 'mode', 'fault_indicators', 'active_power', 'reactive_power',
  'apparent_power', 'power_factor', 'voltage_a', 'voltage_b', 'voltage_c', 'current_a', 'current_b',
  'current_c', 'current_n', 'frequency', 'leakage_current', 'temperature', 'temperature_a',
  'temperature_b', 'temperature_c', 'temperature_n', 'humidity', 'water_leak', 'water_level', 'high_water',
  'energy_import',
  'energy_export', 'reactive_energy',
]

export const GROUPS = {
  power: ['active_power', 'reactive_power'],
  current: ['current_a', 'current_b', 'current_c', 'current_n'],
  voltage: ['voltage_a', 'voltage_b', 'voltage_c'],
  temperature: ['temperature', 'temperature_a', 'temperature_b', 'temperature_c', 'temperature_n'],
  leakage: ['leakage_current'],
  env: ['humidity'],
  water: ['water_level'],
  light: ['brightness', 'dim_level'],
  energy: ['energy_import'],
}

export const RANGES = { '1h': 3600e3, '6h': 6 * 3600e3, '24h': 24 * 3600e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 }

/** The metrics of ``values`` in display order (unknown ones last, alphabetically). */
export function orderedMetrics(values) {
  const names = Object.keys(values || {})
  const known = LIVE_ORDER.filter((m) => names.includes(m))
  return known.concat(names.filter((m) => !LIVE_ORDER.includes(m)).sort())
}

/** The history groups a device has data for, each with the metrics it reports. */
export function availableGroups(values) {
  const names = new Set(Object.keys(values || {}))
  return Object.entries(GROUPS)
    .map(([key, metrics]) => ({ key, metrics: metrics.filter((m) => names.has(m)) }))
    .filter((g) => g.metrics.length)
}

/** Query of a history request for a range ending now: the API picks the bucket. */
export function historyQuery(metrics, range, now = Date.now()) {
  return { metrics: metrics.join(','), start: new Date(now - RANGES[range]).toISOString(),
    end: new Date(now).toISOString() }
}
