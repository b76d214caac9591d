// The live stream (Server-Sent Events) of the current site. EventSource cannot send an
// Authorization header, and a token in the URL would reach logs: each (re)connection
// first asks for a single-use ticket (POST /stream/ticket, with the header) and opens
// ?ticket=; ?last_event_id= replays what was missed meanwhile. A ticket opens one
// connection only, so the browser's own reconnect is never used: on an error we close
// the EventSource and come back with a new ticket after a backoff.
import { defineStore } from 'pinia'
import { freshAccessToken } from '../api/client.js'
import { streamTicket, streamUrl } from '../api/telemetry.js'
import { useAlarmsStore } from './alarms.js'
import { useAutomationStore } from './automation.js'
import { useCommandsStore } from './commands.js'
import { useFacilityStore } from './facility.js'
import { useNetStore } from './net.js'
import { usePopupStore } from './popup.js'

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
      let ticket
      try {
        ticket = (await streamTicket()).ticket
      } catch (e) {
        if (e?.status === 401) { this.status = 'idle'; return } // the session is over
        return this.retryLater()
      }
      if (this.siteId !== siteId || source) return
      const url = streamUrl({ site_id: siteId, ticket, last_event_id: this.lastEventId })
      const es = new EventSource(url)
      source = es
      const facility = useFacilityStore()
      const net = useNetStore()
      const seen = (e) => {
        if (e.lastEventId) this.lastEventId = e.lastEventId
        this.events++
        net.fresh()
      }
      const resumed = !!this.lastEventId // the server replays what came after it
      es.onopen = () => {
        this.status = 'open'
        this.backoff = 1000
        net.fresh()
        if (!resumed) { // a new stream: what happened between the page's snapshot and now
          const alarms = useAlarmsStore()
          if (alarms.siteId === siteId) {
            alarms.loadCounts().catch(() => {})
            alarms.loadOpen().catch(() => {})
          }
        }
      }
      es.addEventListener('reading', (e) => { seen(e); facility.applyReading(JSON.parse(e.data)) })
      es.addEventListener('knx_telegram', (e) => { seen(e); facility.applyTelegram(JSON.parse(e.data)) })
      es.addEventListener('device_status', (e) => { seen(e); facility.applyStatus(JSON.parse(e.data)) })
      es.addEventListener('alarm', (e) => { seen(e); useAlarmsStore().apply(JSON.parse(e.data)) })
      es.addEventListener('command', (e) => { seen(e); useCommandsStore().apply(JSON.parse(e.data)) })
      es.addEventListener('schedule_missed', (e) => { seen(e); useAutomationStore().applyMissed(JSON.parse(e.data)) })
      es.addEventListener('popup', (e) => { seen(e); usePopupStore().push(JSON.parse(e.data)) })
      // The server ends streams (token expiry, maximum duration): come back at once.
      es.addEventListener('end', () => { this.disconnect(); this.connect(siteId) })
      es.onerror = () => {
        if (source !== es) return
        this.disconnect() // its ticket is spent: the browser's retry would be refused
        this.retryLater()
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
