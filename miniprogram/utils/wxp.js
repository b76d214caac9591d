// The few callback-style wx APIs the pages await, as promises.
function call(name, options = {}) {
  return new Promise((resolve, reject) => {
    wx[name]({ ...options, success: resolve, fail: reject })
  })
}

module.exports = {
  login: () => call('login'),
  requestSubscribeMessage: (tmplIds) => call('requestSubscribeMessage', { tmplIds }),
  showModal: (options) => call('showModal', options),
}
