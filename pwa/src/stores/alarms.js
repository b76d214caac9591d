// Alarms of the current site: the open ones (badge, overview, facility marks), the
// filtered list (paged by X-Pagination), counts; kept live by ``alarm`` SSE events
// (the alarm summary, merged in place by id). A new active alarm beeps and vibrates
// unless muted (kept in localStorage).
import { defineStore } from 'pinia'
import { acknowledgeAlarms, alarmCounts, listAlarms } from '../api/alarms.js'
import { alarmMarks, isOpen, matches } from '../lib/alarms.js'
import { alertNewAlarm } from '../lib/beep.js'

const MUTE_KEY = 'gw.alarms.muted'
export const PAGE_SIZE = 20
let countsTimer = null

function savedMute() {
  try { return localStorage.getItem(MUTE_KEY) === '1' } catch { return false }
}
const emptyCounts = () => ({ warning: { active: 0, acknowledged: 0 }, alarm: { active: 0, acknowledged: 0 } })

export const useAlarmsStore = defineStore('alarms', {
  state: () => ({
    siteId: null,
    byId: {}, // id -> alarm (summary or list row), shared by every view
    open: {}, // id -> true for the site's open (active/acknowledged) alarms
    ids: [], // the list, in order
    total: null,
    page: 0,
    finished: false,
    loading: false,
    filters: { level: [], state: ['active', 'acknowledged'], rootOnly: true },
    counts: null,
    muted: savedMute(),
    version: 0, // bumped on every live change (detail views reload)
    lastId: null, // the alarm the last live event was about
  }),
  getters: {
    list: (s) => s.ids.map((id) => s.byId[id]).filter(Boolean),
    openAlarms: (s) => Object.keys(s.open).map((id) => s.byId[id]).filter(isOpen),
    latest() {
      return this.openAlarms.filter((a) => !a.parent_id)
        .sort((a, b) => (b.raised_at || '').localeCompare(a.raised_at || '') || b.id - a.id).slice(0, 5)
    },
    marks() { return alarmMarks(Object.fromEntries(this.openAlarms.map((a) => [a.id, a]))) },
    /** Active (unacknowledged) root alarms: the tab badge. */
    badge: (s) => (s.counts ? s.counts.alarm.active + s.counts.warning.active : 0),
  },
  actions: {
    /** A site was chosen: its counts, open alarms and the first page of the list. */
    async loadSite(siteId) {
      if (siteId !== this.siteId) {
        this.$patch({ siteId, byId: {}, open: {}, ids: [], total: null, page: 0, finished: false, counts: null })
      }
      if (!siteId) return
      await Promise.all([this.loadCounts(), this.loadOpen()])
    },
    async loadCounts(siteId = this.siteId) {
      const c = await alarmCounts(siteId, { cache: true, toast: false })
      if (siteId === this.siteId) this.counts = { ...emptyCounts(), ...c }
    },
    async loadOpen(siteId = this.siteId) {
      const rows = await listAlarms({ site_id: siteId, state: 'active,acknowledged', page_size: 500 },
        { cache: true, toast: false })
      if (siteId !== this.siteId) return
      const open = {}
      for (const a of rows) { this.byId[a.id] = { ...this.byId[a.id], ...a }; open[a.id] = true }
      this.open = open
    },
    query(page) {
      const f = this.filters
      return { site_id: this.siteId, level: f.level, state: f.state, root_only: f.rootOnly || undefined,
        page, page_size: PAGE_SIZE }
    },
    /** The list from its first page (pull to refresh, a filter changed). */
    async refresh() {
      this.page = 0
      this.finished = false
      const siteId = this.siteId
      const r = await listAlarms(this.query(1), { meta: true, cache: true })
      if (siteId !== this.siteId) return
      for (const a of r.data) this.byId[a.id] = { ...this.byId[a.id], ...a }
      this.ids = r.data.map((a) => a.id)
      this.total = r.total
      this.page = 1
      this.finished = r.data.length < PAGE_SIZE || (r.total !== null && this.ids.length >= r.total)
      this.loadCounts().catch(() => {})
    },
    /** The next page (infinite scrolling). */
    async loadMore() {
      if (this.finished || this.loading) return
      if (this.page === 0) return this.refresh()
      this.loading = true
      try {
        const siteId = this.siteId
        const r = await listAlarms(this.query(this.page + 1), { meta: true })
        if (siteId !== this.siteId) return
        const known = new Set(this.ids)
        for (const a of r.data) {
          this.byId[a.id] = { ...this.byId[a.id], ...a }
          if (!known.has(a.id)) this.ids.push(a.id)
        }
        this.page += 1
        this.total = r.total
        this.finished = r.data.length < PAGE_SIZE || (r.total !== null && this.ids.length >= r.total)
      } finally {
        this.loading = false
      }
    },
    setFilters(f) {
      this.filters = { ...this.filters, ...f }
      return this.refresh()
    },
    /** An ``alarm`` event (or an action's answer, ``quiet``): merge in place by id. */
    apply(a, { quiet = false } = {}) {
      if (!a || !a.id || (this.siteId && a.site_id !== this.siteId)) return
      const before = this.byId[a.id]
      const fresh = !before && !this.open[a.id]
      this.byId[a.id] = { ...before, ...a }
      if (isOpen(a)) this.open[a.id] = true
      else delete this.open[a.id]
      if (fresh && matches(a, this.filters) && !this.ids.includes(a.id)) {
        this.ids.unshift(a.id)
        if (this.total !== null) this.total += 1
      }
      const escalated = before && before.level === 'warning' && a.level === 'alarm'
      if (!quiet && a.state === 'active' && !a.silenced && !a.parent_id && (fresh || escalated) && !this.muted) {
        alertNewAlarm(a.level)
      }
      this.lastId = a.id
      this.version++
      clearTimeout(countsTimer)
      countsTimer = setTimeout(() => this.loadCounts().catch(() => {}), 300)
    },
    /** Acknowledge alarms (and their grouped children). */
    async acknowledge(ids, comment) {
      const done = await acknowledgeAlarms(ids, comment)
      for (const a of done) this.apply(a, { quiet: true })
      await this.loadCounts().catch(() => {})
      return done
    },
    setMuted(v) {
      this.muted = !!v
      try { localStorage.setItem(MUTE_KEY, v ? '1' : '0') } catch { /* ignore */ }
    },
  },
})
