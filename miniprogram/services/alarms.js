// My alarms: the open alarms of my sites, active first (the API scopes them to my sites).
const api = require('../utils/request')

const STATE_RANK = { active: 0, acknowledged: 1, cleared: 2, closed: 3 }
const LEVEL_TEXT = { alarm: '报警', warning: '预警' }
const STATE_TEXT = { active: '未处理', acknowledged: '已确认', cleared: '已恢复', closed: '已关闭' }

function order(alarms) {
  return alarms.slice().sort((a, b) =>
    (STATE_RANK[a.state] - STATE_RANK[b.state])
    || ((b.level === 'alarm') - (a.level === 'alarm'))
    || (b.raised_at > a.raised_at ? 1 : b.raised_at < a.raised_at ? -1 : 0))
}

async function mine(options = {}) {
  const list = await api.get('/api/v1/alarms?state=active,acknowledged&root_only=true&page_size=100',
    options)
  return order(list)
}

const detail = (id) => api.get(`/api/v1/alarms/${id}`)
const acknowledge = (id, comment) =>
  api.post(`/api/v1/alarms/${id}/acknowledge`, comment ? { comment } : {})
const comment = (id, text) => api.post(`/api/v1/alarms/${id}/comments`, { text })
// "I take it": the alarm assigned to me (duty staff taking a job)
const take = (id) => api.post(`/api/v1/alarms/${id}/take`)

module.exports = { mine, detail, acknowledge, comment, take, order, LEVEL_TEXT, STATE_TEXT }
