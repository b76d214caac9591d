// Log in with WeChat; when this WeChat is not bound yet, bind it to an existing account
// with its username and password (once). Built with Component() like every page here,
// so that miniprogram-simulate can test it.
const auth = require('../../services/auth')
const session = require('../../utils/session')
const i18n = require('../../utils/i18n')

const HOME = '/pages/alarms/index'

Component({
  behaviors: [i18n.behavior],
  data: { titleKey: 'login', step: 'wechat', ticket: '', username: '', password: '', busy: false, error: '' },
  methods: {
    onLoad() {
      if (session.get()) wx.switchTab({ url: HOME })
    },
    async onWeChatLogin() {
      this.setData({ busy: true, error: '' })
      try {
        const out = await auth.wechatLogin()
        if (out.bound) {
          wx.switchTab({ url: HOME })
        } else {
          this.setData({ step: 'bind', ticket: out.ticket })
        }
      } catch (err) {
        this.setData({ error: err.text || i18n.t('login.wechatFailed') })
      } finally {
        this.setData({ busy: false })
      }
    },
    onUsername(e) { this.setData({ username: e.detail }) },
    onPassword(e) { this.setData({ password: e.detail }) },
    async onBind() {
      const { ticket, username, password } = this.data
      if (!username || !password) return
      this.setData({ busy: true, error: '' })
      try {
        await auth.bind(ticket, username.trim(), password)
        this.setData({ password: '' })
        wx.switchTab({ url: HOME })
      } catch (err) {
        this.setData({ error: err.text, password: '' })
        if (err.code === 'wechat_ticket_invalid') this.setData({ step: 'wechat', ticket: '' })
      } finally {
        this.setData({ busy: false })
      }
    },
    restart() {
      this.setData({ step: 'wechat', ticket: '', password: '', error: '' })
    },
  },
})
