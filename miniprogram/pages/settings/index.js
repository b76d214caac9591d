// Me: who I am, how alarms reach me (the channels, in the order they are tried), the
// WeChat binding and its notifications (grants left, one more reminder), unbinding and
// logging out.
const auth = require('../../services/auth')
const notify = require('../../services/notify')
const wechat = require('../../services/wechat')
const session = require('../../utils/session')
const wxp = require('../../utils/wxp')
const i18n = require('../../utils/i18n')

const LOGIN = '/pages/login/index'

Component({
  behaviors: [i18n.behavior],
  data: { titleKey: 'settings', langs: [], user: {}, status: { bound: false, grants_left: 0 }, channels: [], saved: [],
    rows: [], dirty: false, saving: false, noChannel: false },
  methods: {
    onShow() {
      this.setData({ user: (session.get() || {}).user || {}, langs: this.langs() })
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
    langs() { return i18n.LANGS.map((l) => ({ lang: l, text: i18n.dict().languages[l], on: l === i18n.lang() })) },
    // 语言 / Language: kept in storage; this page, its channels and the tab bar change at once,
    // every other page when it is shown next
    onLanguage(e) {
      i18n.setLang(e.currentTarget.dataset.lang)
      this.i18nRefresh()
      this.setData({ langs: this.langs() })
      if (this.data.channels.length || this.data.saved.length) this.showChannels(this.data.channels)
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
        wx.showToast({ title: i18n.t('settings.saved'), icon: 'success' })
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
      const { confirm } = await wxp.showModal({ title: i18n.t('settings.unbindTitle'),
        content: i18n.t('settings.unbindText'), confirmText: i18n.t('settings.unbindConfirm') })
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
