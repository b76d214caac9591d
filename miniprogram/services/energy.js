// Energy (docs/energy.md): the overview of my site (today, month, year, the month's top
// consumers) and the trend of a node at 15min / hour / day / month (the server's default
// range for each interval).
const api = require('../utils/request')

const overview = (siteId, top = 5, options) =>
  api.get(`/api/v1/energy/overview?site_id=${siteId}&top=${top}`, options)

const trend = (node, nodeId, interval, options) =>
  api.get(`/api/v1/energy/trend?node=${node}&node_id=${nodeId}&interval=${interval}`, options)

module.exports = { overview, trend }
