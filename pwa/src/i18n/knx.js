// KNX lighting strings (docs/knx.md): its error codes, its alarm rule and its values, zh-CN
// first. Merged into src/i18n/messages.js (``errors``, ``rules``, ``metrics``, ``values``; ``light``:
// the lights on the topology and the device page).
export const knxMessages = {
  'zh-CN': {
    errors: {
      invalid_group_address: 'KNX 组地址无效（格式 主/中/子，0-31/0-7/0-255）',
      knx_not_connected: 'KNX 网关未连接，未下发任何操作', knx_no_answer: '下发后状态地址无应答，灯光状态未知',
      knx_gateway_not_found: 'KNX 网关不存在',
    },
    rules: { knx_offline: 'KNX通讯中断' },
    metrics: { light: '灯光', brightness: '亮度' },
    values: { on: '开', off: '关' },
    light: {
      title: '灯光控制', groups: 'KNX 照明', unattached: '未接入回路', on: '开', off: '关', offline: '离线', unknown: '未知',
      level: '亮度 {n}%', confirmed: '状态回读', telegram: '总线报文', telegramAt: '{address} {kind} · {time}',
      kinds: { write: '写入', response: '应答' }, dimLevel: '调光亮度', dimTo: '调光到 {n}%', none: '尚无总线报文',
      switch: '开关灯',
    },
  },
  en: {
    errors: {
      invalid_group_address: 'Invalid KNX group address (main/middle/sub, 0-31/0-7/0-255)',
      knx_not_connected: 'The KNX gateway is not connected; nothing was written',
      knx_no_answer: 'No answer on the state address after the write; the state is unknown',
      knx_gateway_not_found: 'No such KNX gateway',
    },
    rules: { knx_offline: 'KNX communication lost' },
    metrics: { light: 'Light', brightness: 'Brightness' },
    values: { on: 'on', off: 'off' },
    light: {
      title: 'Lighting', groups: 'KNX lighting', unattached: 'On no circuit', on: 'On', off: 'Off', offline: 'Offline', unknown: 'Unknown',
      level: 'Brightness {n}%', confirmed: 'Read back', telegram: 'Bus telegram', telegramAt: '{address} {kind} · {time}',
      kinds: { write: 'write', response: 'response' }, dimLevel: 'Dim level', dimTo: 'Dim to {n}%', none: 'No bus telegram yet',
      switch: 'Switch the light',
    },
  },
}
