// One site's topology, the latest values of its devices (kept live by the stream),
// device counts from the status API and the live site-power series.
import { defineStore } from 'pinia'
import { siteTopology } from '../api/facility.js'
import { deviceHistory, deviceStatus, siteLatest } from '../api/telemetry.js'
import { telegramCells } from '../lib/lights.js'
import { sitePower, sitePowerDevices } from '../lib/power.js'

export const SERIES_MAX = 360 // points kept in the live power chart
const SEED_MS = 30 * 60e3
let countsTimer = null

export const useFacilityStore = defineStore('facility', {
  state: () => ({
    siteId: null,
    topology: null,
    latest: {}, // device_id -> {device_id, code, name, kind, circuit_id, online, last_seen, values}
    telegrams: {}, // device_id -> its latest KNX bus telegram (a knx_telegram event)
    counts: { online: null, offline: null, total: null },
    powerSeries: [], // [ms, kW]
    loading: false,
    version: 0, // bumped on every live change
  }),
  getters: {
    sitePower: (s) => sitePower(s.topology, s.latest),
  },
  actions: {
    async load(siteId) {
      if (!siteId) return
      if (siteId !== this.siteId) {
        this.$patch({ siteId, topology: null, latest: {}, telegrams: {}, powerSeries: [],
          counts: { online: null, offline: null, total: null } })
      }
      this.loading = true
      try {
        const [topology, latest] = await Promise.all([
          siteTopology(siteId, { cache: true }),
          siteLatest(siteId, { cache: true }),
          this.loadCounts(siteId),
        ])
        if (siteId !== this.siteId) return
        this.topology = topology
        const map = {}
        for (const e of latest) map[e.device_id] = e
        this.latest = map
        this.pushPower()
        this.seedPower(siteId).catch(() => {})
      } finally {
        this.loading = false
      }
    },
    async loadCounts(siteId = this.siteId) {
      const q = (online) => deviceStatus({ site_id: siteId, online, page_size: 1 }, { cache: true, meta: true }).then((r) => r.total ?? r.data.length)
      const [online, offline, total] = await Promise.all([q(true), q(false), q(undefined)])
      if (siteId === this.siteId) this.counts = { online, offline, total }
    },
    /** A ``reading`` event: {site_id, devices: [{device_id, values}]}. */
    applyReading(data) {
      if (data.site_id !== this.siteId) return
      let power = false
      for (const d of data.devices || []) {
        const e = this.latest[d.device_id] || (this.latest[d.device_id] = { device_id: d.device_id, values: {} })
        e.values = { ...e.values, ...d.values }
        if (e.online !== true) e.online = true
        if ('active_power' in d.values) power = true
      }
      this.version++
      if (power) this.pushPower()
    },
    /** A ``knx_telegram`` event (a wall switch, an actuator's status on the KNX bus):
     *  {site_id?, knx_gateway_id, device_id, address, kind, values, at}. */
    applyTelegram(data) {
      if (data.site_id !== undefined && data.site_id !== this.siteId) return
      if (!data.device_id) return
      const e = this.latest[data.device_id] || (this.latest[data.device_id] = { device_id: data.device_id, values: {} })
      e.values = { ...e.values, ...telegramCells(data) }
      this.telegrams = { ...this.telegrams, [data.device_id]: data }
      this.version++
    },
    /** A ``device_status`` event: {site_id, device_id, online, ...}. */
    applyStatus(data) {
      if (data.site_id !== this.siteId) return
      const e = this.latest[data.device_id]
      if (e) e.online = data.online
      this.version++
      clearTimeout(countsTimer)
      countsTimer = setTimeout(() => this.loadCounts().catch(() => {}), 500)
    },
    /** Start the live chart with the last 30 minutes when one meter gives the site's power. */
    async seedPower(siteId) {
      const ids = sitePowerDevices(this.topology, this.latest)
      if (!ids || ids.length !== 1 || this.powerSeries.length > 1) return
      const now = Date.now()
      const h = await deviceHistory(ids[0], {
        metrics: 'active_power', start: new Date(now - SEED_MS).toISOString(), end: new Date(now).toISOString() }, { toast: false })
      if (siteId !== this.siteId) return
      const first = this.powerSeries[0]?.[0] ?? Infinity
      const past = (h.series?.active_power?.points || [])
        .filter((p) => typeof p.v === 'number')
        .map((p) => [Date.parse(p.ts), Math.round(p.v * 100) / 100])
        .filter(([t]) => t < first)
      this.powerSeries.unshift(...past.slice(-(SERIES_MAX - this.powerSeries.length)))
    },
    pushPower(at = Date.now()) {
      const p = this.sitePower
      if (p === null) return
      const s = this.powerSeries
      if (s.length && s[s.length - 1][1] === p && at - s[s.length - 1][0] < 5000) return
      s.push([at, Math.round(p * 100) / 100])
      if (s.length > SERIES_MAX) s.splice(0, s.length - SERIES_MAX)
    },
  },
})
