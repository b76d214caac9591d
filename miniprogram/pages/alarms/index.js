// My alarms: the open alarms of my sites, active first, a badge with the active count
// (on the tab too), refreshed by polling every config.alarmPollMs while the page shows.
const config = require('../../config')
const alarms = require('../../services/alarms')
const { shortTime } = require('../../utils/format')
const i18n = require('../../utils/i18n')

Component({
  behaviors: [i18n.behavior],
  data: { titleKey: 'alarms', alarms: [], activeCount: 0, loaded: false, updatedAt: '' },
  methods: {
    onShow() {
      this.refresh()
      this.stopPolling()
      this._timer = setInterval(() => this.refresh({ silent: true }), config.alarmPollMs)
    },
    onHide() { this.stopPolling() },
    onUnload() { this.stopPolling() },
    async onPullDownRefresh() {
      await this.refresh()
      wx.stopPullDownRefresh()
    },
    stopPolling() {
      if (this._timer) clearInterval(this._timer)
      this._timer = null
    },
    async refresh(options = {}) {
      try {
        const list = await alarms.mine(options)
        const activeCount = list.filter((a) => a.state === 'active').length
        this.setData({ alarms: list, activeCount, loaded: true,
          updatedAt: shortTime(new Date().toISOString()) })
        if (activeCount) wx.setTabBarBadge({ index: 0, text: String(activeCount) })
        else wx.removeTabBarBadge({ index: 0 })
      } catch (err) {
        // shown by the request wrapper (unless silent); the list stays as it was
      }
    },
    onOpen(e) {
      wx.navigateTo({ url: `/pages/alarm/index?id=${e.detail.id}` })
    },
  },
})
