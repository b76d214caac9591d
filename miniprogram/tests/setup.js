// Every test starts with a fresh mocked `wx` (tests/fake-wx.js) and no session.
const { installWx } = require('./fake-wx')

installWx()
