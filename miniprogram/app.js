// GridWarden mini-program for the duty staff (docs/miniprogram.md).
const session = require('./utils/session')
const i18n = require('./utils/i18n')

App({
  onLaunch() {
    i18n.applyTabBar()           // the tab bar in the kept language (app.json has the Chinese)
    // Without a session every page starts at the login page.
    if (!session.get()) wx.reLaunch({ url: '/pages/login/index' })
  },
})
