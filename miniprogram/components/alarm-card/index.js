// One alarm of a list: level tag, message, state and when it was raised; tap -> 'open'.
const alarms = require('../../services/alarms')
const { shortTime } = require('../../utils/format')

Component({
  properties: {
    alarm: { type: Object, value: {} },
  },
  data: { levelText: '', stateText: '', time: '' },
  observers: {
    alarm(alarm) {
      this.setData({
        levelText: alarms.LEVEL_TEXT[alarm.level] || alarm.level || '',
        stateText: alarms.STATE_TEXT[alarm.state] || alarm.state || '',
        time: shortTime(alarm.raised_at),
      })
    },
  },
  methods: {
    onTap() {
      this.triggerEvent('open', { id: this.data.alarm.id })
    },
  },
})
