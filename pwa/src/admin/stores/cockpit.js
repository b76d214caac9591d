// The big-screen cockpit: per site, devices online/offline, open alarms and warnings
// (GET /alarms/counts) and the site's power (latest values over the topology). Read-only.
import { defineStore } from 'pinia'
import { alarmCounts } from '../../api/alarms.js'
import { siteTopology } from '../../api/facility.js'
import { deviceStatus, siteLatest } from '../../api/telemetry.js'
import { sitePower } from '../../lib/power.js'

export const REFRESH_S = 15

/** One site's tiles. */
export async function siteTiles(siteId) {
  const status = (online) => deviceStatus({ site_id: siteId, online, page_size: 1 }, { meta: true, toast: false })
    .then((r) => r.total ?? r.data.length)
  const [online, offline, counts, topology, latest] = await Promise.all([
    status(true), status(false),
    alarmCounts(siteId, { toast: false }),
    siteTopology(siteId, { toast: false }),
    siteLatest(siteId, { toast: false }),
  ])
  const map = {}
  for (const e of latest) map[e.device_id] = e
  const open = (lv) => (counts?.[lv]?.active ?? 0) + (counts?.[lv]?.acknowledged ?? 0)
  return { online, offline, alarms: open('alarm'), warnings: open('warning'), power: sitePower(topology, map) }
}

export const useCockpitStore = defineStore('adminCockpit', {
  state: () => ({ tiles: {}, at: null, error: null, timer: null }),
  actions: {
    async refresh(sites) {
      const results = await Promise.allSettled(sites.map((s) => siteTiles(s.id)))
      const tiles = {}
      results.forEach((r, i) => { tiles[sites[i].id] = r.status === 'fulfilled' ? r.value : null })
      this.tiles = tiles
      this.error = results.find((r) => r.status === 'rejected')?.reason?.message ?? null
      this.at = Date.now()
    },
    start(getSites, seconds = REFRESH_S) {
      this.stop()
      const tick = () => this.refresh(getSites()).catch(() => {})
      tick()
      this.timer = setInterval(tick, seconds * 1000)
    },
    stop() {
      if (this.timer) clearInterval(this.timer)
      this.timer = null
    },
  },
})
