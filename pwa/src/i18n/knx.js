// KNX lighting strings (docs/knx.md): its error codes, its alarm rule and its values, zh-CN
// first. Merged into src/i18n/messages.js (``errors``, ``rules``, ``metrics``).
export const knxMessages = {
  'zh-CN': {
    errors: {
      invalid_group_address: 'KNX 组地址无效（格式 主/中/子，0-31/0-7/0-255）',
      knx_not_connected: 'KNX 网关未连接，未下发任何操作', knx_no_answer: '下发后状态地址无应答，灯光状态未知',
      knx_gateway_not_found: 'KNX 网关不存在',
    },
    rules: { knx_offline: 'KNX通讯中断' },
    metrics: { light: '灯光', brightness: '亮度' },
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
  },
}
