// The energy API's error codes (backend/energy, docs/energy.md), zh-CN first.
// Merged into src/i18n/messages.js (into ``errors``); the energy tab adds its strings here.
export const energyMessages = {
  'zh-CN': {
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
