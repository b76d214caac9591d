// GridWarden mini-program for the duty staff (docs/miniprogram.md).
const session = require('./utils/session')

App({
  onLaunch() {
    // Without a session every page starts at the login page.
    if (!session.get()) wx.reLaunch({ url: '/pages/login/index' })
  },
})
