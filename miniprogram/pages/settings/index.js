// Me: who I am, how alarms reach me (the channels, in the order they are tried), the
// WeChat binding and its notifications (grants left, one more reminder), unbinding and
// logging out.
const auth = require('../../services/auth')
const notify = require('../../services/notify')
const wechat = require('../../services/wechat')
const session = require('../../utils/session')
const wxp = require('../../utils/wxp')

const LOGIN = '/pages/login/index'

Component({
  data: { user: {}, status: { bound: false, grants_left: 0 }, channels: [], saved: [],
    rows: [], dirty: false, saving: false, noChannel: false },
  methods: {
    onShow() {
      this.setData({ user: (session.get() || {}).user || {} })
      return this.load()
    },
    async load() {
      try {
        this.setData({ status: await wechat.status() })
      } catch (err) {
        // shown by the wrapper
      }
      try {
        const { channels } = await notify.profile({ silent: true })
        this.showChannels(channels, channels)
      } catch (err) {
        // the rest of the page still works
      }
    },
    showChannels(channels, saved = this.data.saved) {
      this.setData({ channels, saved, rows: notify.rows(channels), noChannel: !channels.length,
        dirty: channels.join() !== saved.join() })
    },
    onToggle(e) {
      const { channel } = e.currentTarget.dataset
      this.showChannels(notify.toggle(this.data.channels, channel, e.detail))
    },
    onUp(e) {
      this.showChannels(notify.moveUp(this.data.channels, e.currentTarget.dataset.channel))
    },
    async onSaveChannels() {
      if (!this.data.channels.length) return      // the page says why: no way to reach me
      this.setData({ saving: true })
      try {
        const { channels } = await notify.saveChannels(this.data.channels)
        this.showChannels(channels, channels)
        wx.showToast({ title: '已保存', icon: 'success' })
      } catch (err) {
        // shown by the wrapper; the choice stays to try again
      } finally {
        this.setData({ saving: false })
      }
    },
    async onRemindMe() {
      try {
        this.setData({ status: await wechat.askForGrant(this.data.status.subscribe_template_id) })
      } catch (err) {
        // shown by the wrapper
      }
    },
    async onUnbind() {
      const { confirm } = await wxp.showModal({ title: '解绑微信',
        content: '解绑后需用账号密码重新绑定才能用微信登录，并将不再收到小程序订阅消息。', confirmText: '解绑' })
      if (!confirm) return
      try {
        await wechat.unbind()
        await auth.logout()
        wx.reLaunch({ url: LOGIN })
      } catch (err) {
        // shown by the wrapper
      }
    },
    async onLogout() {
      await auth.logout()
      wx.reLaunch({ url: LOGIN })
    },
  },
})
