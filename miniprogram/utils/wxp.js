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
  // photos from the camera or the album, compressed by WeChat: [{tempFilePath, size}]
  chooseImages: (count = 3) => call('chooseMedia', { count, mediaType: ['image'],
    sourceType: ['camera', 'album'], sizeType: ['compressed'] }).then((res) => res.tempFiles || []),
}
