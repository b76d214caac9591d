// The sites granted to the user and the one being looked at (kept across reloads).
import { defineStore } from 'pinia'
import { listSites } from '../api/facility.js'

const KEY = 'gw.site'

function saved() {
  try { return Number(localStorage.getItem(KEY)) || null } catch { return null }
}

export const useSiteStore = defineStore('site', {
  state: () => ({ sites: [], currentId: saved(), loaded: false }),
  getters: {
    current: (s) => s.sites.find((x) => x.id === s.currentId) || null,
    several: (s) => s.sites.length > 1,
  },
  actions: {
    async load() {
      const sites = await listSites({ page_size: 100 }, { cache: true })
      this.sites = sites
      this.loaded = true
      if (!sites.some((x) => x.id === this.currentId)) this.select(sites[0]?.id ?? null)
      return sites
    },
    select(id) {
      this.currentId = id
      try {
        if (id) localStorage.setItem(KEY, String(id))
        else localStorage.removeItem(KEY)
      } catch { /* ignore */ }
    },
    reset() {
      this.sites = []
      this.loaded = false
      this.select(null)
    },
  },
})
