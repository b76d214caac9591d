// 负载与照明: the site's load controllers and KNX groups with their state (开 / 关, the
// level when dimmable), polled while shown; tap one to switch it (pages/switch: on, off,
// dim through the same command lifecycle as a breaker).
const config = require('../../config')
const facility = require('../../services/facility')
const topo = require('../../utils/topology')
const i18n = require('../../utils/i18n')

Component({
  behaviors: [i18n.behavior],
  data: { titleKey: 'loads', siteId: null, rows: [], empty: false },
  methods: {
    async onLoad(query) {
      this.setData({ siteId: Number(query.site) })
      this._devices = await facility.loads(this.data.siteId)
      this.setData({ empty: !this._devices.length })
      await this.refresh()
    },
    async refresh() {
      if (!this._devices) return
      const latest = await facility.latest(this.data.siteId, { silent: true }).catch(() => ({}))
      const rows = this._devices.map((d) => {
        const state = topo.loadState(latest[d.id])
        const level = topo.loadLevel(latest[d.id])
        const dimmable = (d.actions || []).includes('dim')
        return { id: d.id, code: d.code, name: d.name, kindText: i18n.dict().loads.kind[d.kind] || d.kind,
          state, stateText: topo.STATE_TEXT[state],
          level: dimmable && level !== null ? `${level}%` : '',
          switchable: (d.actions || []).length > 0 && d.enabled !== false }
      })
      this.setData({ rows })
    },
    onShow() {
      clearInterval(this._timer)
      this._timer = setInterval(() => this.refresh(), config.livePollMs || 10000)
    },
    onHide() { clearInterval(this._timer) },
    onUnload() { clearInterval(this._timer) },
    onDevice(e) {
      const row = this.data.rows.find((r) => r.id === Number(e.currentTarget.dataset.id))
      if (!row || !row.switchable) return
      wx.navigateTo({ url: `/pages/switch/index?site=${this.data.siteId}&device=${row.id}` })
    },
  },
})
