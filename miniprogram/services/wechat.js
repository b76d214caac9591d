// The WeChat side of "me": binding status, unbinding, subscribe-message grants.
const api = require('../utils/request')
const wxp = require('../utils/wxp')

const status = (options) => api.get('/api/v1/me/wechat', options)
const unbind = () => api.del('/api/v1/me/wechat')

// Ask for one more subscribe grant ("remind me of the next one") and report the answer;
// returns the new status (grants_left). wx.requestSubscribeMessage must run in a tap.
async function askForGrant(templateId) {
  let answer
  try {
    const res = await wxp.requestSubscribeMessage([templateId])
    answer = res[templateId]
  } catch (err) {
    answer = 'reject'     // e.g. errCode 20004: the user switched subscriptions off
  }
  const result = answer === 'accept' || answer === 'ban' ? answer : 'reject'
  await api.post('/api/v1/me/subscribe-grants', { template_id: templateId, result, count: 1 })
  return status()
}

module.exports = { status, unbind, askForGrant }
