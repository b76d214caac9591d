// A small topology in the API's shape: AA1 (incomer metered) feeding two breakers, one
// of which feeds board AP1 with one breaker.
export const topology = {
  site: { id: 1, code: 'DC1', name: '一号看守所' },
  boards: [{
    id: 1, code: 'AA1', name: '低压总配电柜', level: 1,
    circuits: [{
      id: 10, code: 'AA1-IN', name: '总进线', devices: [{ id: 100, code: 'PM1', kind: 'meter' }],
      boards: [],
      circuits: [
        { id: 11, code: 'WL1', name: '一监区', circuits: [], devices: [
          { id: 101, code: 'QF1', kind: 'breaker', rated_current: 100, rated_power: 60 }],
        boards: [{ id: 2, code: 'AP1', name: '一监区箱', level: 2, circuits: [
          { id: 21, code: 'AP1-WL1', name: '照明', circuits: [], boards: [], devices: [
            { id: 201, code: 'QF3', kind: 'breaker', rated_current: 16 }] }] }] },
        { id: 12, code: 'WL2', name: '食堂', circuits: [], boards: [], devices: [
          { id: 102, code: 'QF2', kind: 'breaker', rated_current: 50 }] },
      ],
    }],
  }],
}

const cell = (v) => ({ v, ts: '2026-11-23T10:00:00Z', q: 0 })

export function latest(overrides = {}) {
  const base = {
    100: { device_id: 100, online: true, values: { active_power: cell(50) } },
    101: { device_id: 101, online: true, values: { active_power: cell(30), current_a: cell(45),
      current_b: cell(60), switch_state: cell('closed'), trip_cause: cell('none') } },
    102: { device_id: 102, online: true, values: { active_power: cell(20), current_a: cell(40),
      switch_state: cell('closed'), trip_cause: cell('none') } },
    201: { device_id: 201, online: false, values: { current_a: cell(2) } },
  }
  return { ...base, ...overrides }
}
export { cell }
