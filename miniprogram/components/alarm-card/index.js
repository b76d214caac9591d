// One alarm of a list: level tag, message, state and when it was raised; tap -> 'open'.
const { LEVEL_TEXT, STATE_TEXT } = require('../../services/alarms')
const { shortTime } = require('../../utils/format')

Component({
  properties: {
    alarm: { type: Object, value: {} },
  },
  data: { levelText: '', stateText: '', time: '' },
  observers: {
    alarm(alarm) {
      this.setData({
        levelText: LEVEL_TEXT[alarm.level] || alarm.level || '',
        stateText: STATE_TEXT[alarm.state] || alarm.state || '',
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
