// My alarms: the open alarms of my sites, active first (the API scopes them to my sites).
const api = require('../utils/request')
const i18n = require('../utils/i18n')

const STATE_RANK = { active: 0, acknowledged: 1, cleared: 2, closed: 3 }

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

// the texts in the current language (i18n/*.js alarms.level / alarms.state)
module.exports = { mine, detail, acknowledge, comment, take, order,
  get LEVEL_TEXT() { return i18n.dict().alarms.level },
  get STATE_TEXT() { return i18n.dict().alarms.state } }
