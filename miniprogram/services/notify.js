// My notification preferences (GET/PUT /me/notify-profile): which channels alarms reach
// me through, in the order they are tried (each at most once).
const api = require('../utils/request')
const i18n = require('../utils/i18n')

const CHANNELS = ['wechat_template', 'wxa_subscribe', 'webpush', 'sms']

const profile = (options) => api.get('/api/v1/me/notify-profile', options)
const saveChannels = (channels) => api.put('/api/v1/me/notify-profile', { channels })

// The rows of the settings page: the enabled channels in their order, then the others.
function rows(channels) {
  const CHANNEL_TEXT = i18n.dict().settings.channel
  const on = channels.filter((c) => CHANNELS.includes(c))
  return on.map((c, i) => ({ channel: c, text: CHANNEL_TEXT[c], on: true, rank: i + 1 }))
    .concat(CHANNELS.filter((c) => !on.includes(c)).map((c) => ({ channel: c, text: CHANNEL_TEXT[c], on: false, rank: 0 })))
}

// One channel switched on (appended last) or off.
function toggle(channels, channel, on) {
  const rest = channels.filter((c) => c !== channel)
  return on ? rest.concat([channel]) : rest
}

// One channel tried earlier (swapped with the one before it).
function moveUp(channels, channel) {
  const i = channels.indexOf(channel)
  if (i <= 0) return channels.slice()
  const out = channels.slice()
  ;[out[i - 1], out[i]] = [out[i], out[i - 1]]
  return out
}

module.exports = { profile, saveChannels, rows, toggle, moveUp, CHANNELS,
  get CHANNEL_TEXT() { return i18n.dict().settings.channel } }
