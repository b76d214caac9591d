// The live stream (Server-Sent Events) of the current site. EventSource cannot send an
// Authorization header: the access token goes in ?access_token=, and a fresh one is
// taken at every (re)connection; ?last_event_id= replays what was missed meanwhile.
import { defineStore } from 'pinia'
import { freshAccessToken } from '../api/client.js'
import { streamUrl } from '../api/telemetry.js'
import { useAlarmsStore } from './alarms.js'
import { useFacilityStore } from './facility.js'
import { useNetStore } from './net.js'

let source = null
let timer = null
const MAX_BACKOFF = 30_000

export const useLiveStore = defineStore('live', {
  state: () => ({ status: 'idle', siteId: null, lastEventId: null, events: 0, backoff: 1000 }),
  actions: {
    async connect(siteId) {
      this.disconnect()
      if (siteId !== this.siteId) this.lastEventId = null
      this.siteId = siteId
      if (!siteId || typeof EventSource === 'undefined') return
      this.status = 'connecting'
      let token
      try {
        token = await freshAccessToken()
      } catch {
        return this.retryLater()
      }
      if (this.siteId !== siteId || source) return
      if (!token) { this.status = 'idle'; return }
      const url = streamUrl({ site_id: siteId, access_token: token, last_event_id: this.lastEventId })
      const es = new EventSource(url)
      source = es
      const facility = useFacilityStore()
      const net = useNetStore()
      const seen = (e) => {
        if (e.lastEventId) this.lastEventId = e.lastEventId
        this.events++
        net.fresh()
      }
      es.onopen = () => { this.status = 'open'; this.backoff = 1000; net.fresh() }
      es.addEventListener('reading', (e) => { seen(e); facility.applyReading(JSON.parse(e.data)) })
      es.addEventListener('device_status', (e) => { seen(e); facility.applyStatus(JSON.parse(e.data)) })
      es.addEventListener('alarm', (e) => { seen(e); useAlarmsStore().apply(JSON.parse(e.data)) })
      // The server ends streams (token expiry, maximum duration): come back at once.
      es.addEventListener('end', () => { this.disconnect(); this.connect(siteId) })
      es.onerror = () => {
        if (es.readyState === 2) { // CLOSED: the browser gave up (e.g. 401): we retry
          this.disconnect()
          this.retryLater()
        } else {
          this.status = 'connecting'
        }
      }
    },
    retryLater() {
      const siteId = this.siteId
      this.status = 'closed'
      clearTimeout(timer)
      timer = setTimeout(() => this.connect(siteId), this.backoff)
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF)
    },
    disconnect() {
      clearTimeout(timer)
      if (source) { source.close(); source = null }
      this.status = 'idle'
    },
  },
})
