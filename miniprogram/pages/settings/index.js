// Me: who I am, the WeChat binding and its notifications (grants left, one more
// reminder), unbinding and logging out.
const auth = require('../../services/auth')
const wechat = require('../../services/wechat')
const session = require('../../utils/session')
const wxp = require('../../utils/wxp')

const LOGIN = '/pages/login/index'

Component({
  data: { user: {}, status: { bound: false, grants_left: 0 } },
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
