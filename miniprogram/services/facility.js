// The facility as the PWA reads it: my sites, a site's topology (areas, boards, circuits,
// devices) and the latest values of its devices. The topology is kept for the session of
// the pages (one request for areas -> boards -> circuits); the values are read fresh.
const api = require('../utils/request')

const SITE_KEY = 'gw.site'
const cache = {}

const sites = () => api.get('/api/v1/sites?page_size=100')

async function topology(siteId, { fresh = false } = {}) {
  if (fresh || !cache[siteId]) cache[siteId] = await api.get(`/api/v1/sites/${siteId}/topology`)
  return cache[siteId]
}

// device id -> latest entry {device_id, online, values: {metric: {v, t}}, commanded}
async function latest(siteId, options) {
  const rows = await api.get(`/api/v1/sites/${siteId}/latest?page_size=5000`, options)
  return Object.fromEntries(rows.map((r) => [r.device_id, r]))
}

const deviceLatest = (deviceId, options) => api.get(`/api/v1/devices/${deviceId}/latest`, options)

// The site last chosen (kept across launches), else the first of mine.
async function currentSite() {
  const list = await sites()
  const kept = wx.getStorageSync(SITE_KEY)
  const site = list.find((s) => s.id === kept) || list[0] || null
  return { site, sites: list }
}

function chooseSite(id) { wx.setStorageSync(SITE_KEY, id) }

module.exports = { sites, topology, latest, deviceLatest, currentSite, chooseSite,
  _forget() { for (const k of Object.keys(cache)) delete cache[k] } }

// A device's record (GET /devices/{id}): its kind and ``actions``, what it accepts.
module.exports.device = (id, options) => api.get(`/api/v1/devices/${id}`, options)

// The site's load controllers and KNX groups (they hang in areas, not always on circuits).
module.exports.loads = async (siteId, options) => {
  const lists = await Promise.all(['load', 'knx_group'].map((kind) =>
    api.get(`/api/v1/devices?site_id=${siteId}&kind=${kind}&page_size=500`, options)))
  return [].concat(...lists)
}
