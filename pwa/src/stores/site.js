// The sites granted to the user and the one being looked at (kept across reloads).
import { defineStore } from 'pinia'
import { listSites } from '../api/facility.js'

const KEY = 'gw.site'

function saved() {
  try { return Number(localStorage.getItem(KEY)) || null } catch { return null }
}

export const useSiteStore = defineStore('site', {
  state: () => ({ sites: [], currentId: saved(), loaded: false, loadedAt: 0 }),
  getters: {
    current: (s) => s.sites.find((x) => x.id === s.currentId) || null,
    several: (s) => s.sites.length > 1,
  },
  actions: {
    async load() {
      const sites = await listSites({ page_size: 100 }, { cache: true })
      this.sites = sites
      this.loaded = true
      this.loadedAt = Date.now()
      if (!sites.some((x) => x.id === this.currentId)) this.select(sites[0]?.id ?? null)
      return sites
    },
    /** ``load`` again only when the list is older than ``maxAgeMs`` (what changes on it
     *  while a page stays up, a site box's link, changes slowly; replacing the list on
     *  every live refresh re-renders the site picker under a user's finger). */
    async refresh(maxAgeMs = 60_000) {
      if (Date.now() - this.loadedAt < maxAgeMs) return this.sites
      return this.load()
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
      this.loadedAt = 0
      this.select(null)
    },
  },
})
