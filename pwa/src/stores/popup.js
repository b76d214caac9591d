// Linkage pop-ups (``popup`` SSE events, backend/automation/linkage_kinds.py): a rule
// fired in an area; shown one at a time, newest last, until confirmed, dismissed or put
// off. The same event may arrive again after a reconnect (replay): kept once per firing.
import { defineStore } from 'pinia'
import { confirmFault } from '../api/alarms.js'
import { useAlarmsStore } from './alarms.js'

const MAX = 20

export const usePopupStore = defineStore('popup', {
  state: () => ({ queue: [], seen: {} }),
  getters: {
    current: (s) => s.queue[0] || null,
  },
  actions: {
    push(event) {
      const key = event.firing_id ?? `${event.rule_id}:${event.at}`
      if (this.seen[key]) return
      this.seen[key] = true
      this.queue.push(event)
      if (this.queue.length > MAX) this.queue.shift()
      if (event.alarm) useAlarmsStore().apply(event.alarm) // beeps for a new one
    },
    close() { this.queue.shift() },
    /** Record the remote fault confirmation on the alarm; the pop-up closes on success. */
    async answer(verdict, comment) {
      const event = this.current
      if (!event?.alarm) return this.close()
      const alarm = await confirmFault(event.alarm.id, verdict, comment)
      useAlarmsStore().apply(alarm)
      this.close()
      return alarm
    },
    reset() { this.queue = []; this.seen = {} },
  },
})
