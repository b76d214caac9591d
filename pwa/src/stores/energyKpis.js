// The energy tab's KPI card: a node's (the site's or a department's) KPIs per month with
// the chosen denominator, and its energy intensity. The GET is cached for offline use
// (api/cache.js); the months are the site's own (its ``today``), so the cached answer is
// found again the same day.
import { defineStore } from 'pinia'
import { energyKpis } from '../api/energy.js'
import { kpiQuery } from '../lib/energyKpis.js'

export const useEnergyKpisStore = defineStore('energyKpis', {
  state: () => ({ nodeKey: null, kind: 'persons', span: 'year', kpis: null, error: '', loading: false }),
  actions: {
    /** ``site``: the overview's row of the site ({site_id, today}). */
    async load(site, describe) {
      if (!site || !this.nodeKey) { this.kpis = null; return }
      const q = kpiQuery(this.nodeKey, this.span, site.today)
      const key = `${this.nodeKey}:${this.span}`
      this.loading = true
      this.error = ''
      try {
        const data = await energyKpis(q, { cache: true, toast: false })
        if (key === `${this.nodeKey}:${this.span}`) this.kpis = data
      } catch (err) {
        this.error = describe ? describe(err) : String(err?.error || err)
      } finally {
        this.loading = false
      }
    },
  },
})
