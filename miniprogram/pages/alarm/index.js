// One alarm: acknowledge it, comment on it; after acknowledging, offer to be reminded of
// the next one (one more subscribe grant, a one-time grant allows one message) with the
// grants left shown. Its repair orders: open one (taken by me), tap one to work it.
const alarms = require('../../services/alarms')
const repair = require('../../services/repair')
const wechat = require('../../services/wechat')
const { shortTime } = require('../../utils/format')
const i18n = require('../../utils/i18n')


function timelineOf(alarm) {
  const KIND_TEXT = i18n.dict().alarm.kind
  return (alarm.timeline || []).map((e) => ({
    time: shortTime(e.at),
    text: [KIND_TEXT[e.kind] || e.kind, e.user, e.data && (e.data.text || e.data.comment)]
      .filter(Boolean).join(' · '),
  }))
}

Component({
  behaviors: [i18n.behavior],
  data: { titleKey: 'alarm', id: null, alarm: null, levelText: '', stateText: '', valueText: '', raisedAt: '',
    timeline: [], comment: '', busy: false, orders: [], opening: false, mine: false, askGrant: false, grantsLeft: 0, templateId: null },
  methods: {
    onLoad(query) {
      this.setData({ id: Number(query.id) })
      return this.load()
    },
    async load() {
      const alarm = await alarms.detail(this.data.id)
      this.setData({
        alarm, timeline: timelineOf(alarm), mine: alarm.assignee_id != null && alarm.assignee_id === repair.me(),
        levelText: alarms.LEVEL_TEXT[alarm.level] || alarm.level,
        stateText: alarms.STATE_TEXT[alarm.state] || alarm.state,
        valueText: alarm.value == null ? '' : `${alarm.value} ${alarm.unit || ''}`.trim(),
        raisedAt: shortTime(alarm.raised_at),
      })
      await this.loadOrders()
    },
    async loadOrders() {
      const list = await repair.ofAlarm(this.data.id, { silent: true }).catch(() => null)
      if (!list) return
      this.setData({ orders: list.map((o) => ({ id: o.id, title: o.title,
        status: o.status, statusText: repair.STATUS_TEXT[o.status] || o.status })) })
    },
    async onOpenOrder() {
      if (this.data.opening) return
      this.setData({ opening: true })
      try {
        const order = await repair.open(this.data.id)
        await this.loadOrders()
        wx.navigateTo({ url: `/pages/repair/index?id=${order.id}` })
      } catch (err) {
        // the wrapper showed it
      } finally {
        this.setData({ opening: false })
      }
    },
    onOrderTap(e) {
      wx.navigateTo({ url: `/pages/repair/index?id=${e.currentTarget.dataset.id}` })
    },
    onShow() {
      if (this.data.id) this.loadOrders()
    },
    async onAcknowledge() {
      this.setData({ busy: true })
      try {
        await alarms.acknowledge(this.data.id)
        await this.load()
        const status = await wechat.status({ silent: true })
        this.setData({ askGrant: Boolean(status.subscribe_template_id),
          grantsLeft: status.grants_left, templateId: status.subscribe_template_id })
      } catch (err) {
        // the wrapper showed it
      } finally {
        this.setData({ busy: false })
      }
    },
    async onTake() {
      if (this.data.busy) return
      this.setData({ busy: true })
      try {
        await alarms.take(this.data.id)
        await this.load()
      } catch (err) {
        // the wrapper showed it
      } finally {
        this.setData({ busy: false })
      }
    },
    async onRemindMe() {
      try {
        const status = await wechat.askForGrant(this.data.templateId)
        this.setData({ grantsLeft: status.grants_left })
      } catch (err) {
        // the wrapper showed it
      }
    },
    onComment(e) { this.setData({ comment: e.detail }) },
    async onSendComment() {
      const text = (this.data.comment || '').trim()
      if (!text) return
      try {
        await alarms.comment(this.data.id, text)
        this.setData({ comment: '' })
        await this.load()
      } catch (err) {
        // the wrapper showed it; the text stays to try again
      }
    },
  },
})
