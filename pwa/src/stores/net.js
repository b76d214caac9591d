// Is the server reachable, and when did live data last arrive? Feeds the banner.
import { defineStore } from 'pinia'

export const useNetStore = defineStore('net', {
  state: () => ({
    offline: typeof navigator !== 'undefined' ? navigator.onLine === false : false,
    stale: false, // what is on screen came from the offline cache
    lastUpdated: null, // ms: the newest data on screen
  }),
  actions: {
    fresh(at = Date.now()) {
      this.offline = false
      this.stale = false
      this.lastUpdated = Math.max(this.lastUpdated || 0, at)
    },
    wentOffline() {
      this.offline = true
    },
    fromCache(at) {
      this.offline = true
      this.stale = true
      if (!this.lastUpdated || at > this.lastUpdated) this.lastUpdated = at
    },
    watchBrowser(onBack) {
      window.addEventListener('offline', () => this.wentOffline())
      window.addEventListener('online', () => { this.offline = false; onBack?.() })
    },
  },
})
