// The energy tab's analysis views: the comparison (YoY / MoM) of the charted node, the
// share and the ranking of the current site, the departments' cost and carbon. Every
// GET cached for offline use (api/cache.js); the queries' bounds are the site's local
// days (lib/energyAnalytics.js), so the cached answer is found again the same day. Share
// and ranking carry their time-of-use cost always (the per-period rollups, docs/energy.md).
// ``parentArea``: the department share and ranking by area are drilled into (its
// sub-areas; null: the site's top areas), the same for both cards.
import { defineStore } from 'pinia'
import { energyCompare, energyRanking, energyShare, energyTrend } from '../api/energy.js'
import { compareQuery, groupQuery, spanDays, spanTrendQuery } from '../lib/energyAnalytics.js'

export const useEnergyAnalyticsStore = defineStore('energyAnalytics', {
  state: () => ({
    mode: 'yoy', compare: null, compareKey: '',
    span: 'month',
    parentArea: null,
    shareBy: 'area', share: null,
    rankBy: 'area', ranking: null,
    departments: null, deptTrends: {},
    error: { compare: '', share: '', ranking: '', departments: '' },
    loading: { compare: false, share: false, ranking: false, departments: false },
  }),
  actions: {
    async run(part, fn, describe) {
      this.loading[part] = true
      this.error[part] = ''
      try { await fn() } catch (err) { this.error[part] = describe ? describe(err) : String(err?.error || err) } finally { this.loading[part] = false }
    },
    /** ``site``: the overview's row of the site ({site_id, today, timezone}). */
    loadCompare(nodeKey, site, describe) {
      if (!nodeKey || !site) { this.compare = null; return Promise.resolve() }
      const [node, id] = nodeKey.split(':')
      const key = `${nodeKey}:${this.mode}`
      return this.run('compare', async () => {
        const data = await energyCompare({ node, node_id: Number(id), ...compareQuery(this.mode, site.today, site.timezone) },
          { cache: true, toast: false })
        if (key === `${nodeKey}:${this.mode}`) { this.compare = data; this.compareKey = key }
      }, describe)
    },
    /** Into a department's sub-areas (``id``), or back up (null: the top areas). */
    drill(id) { this.parentArea = id ?? null },
    loadShare(site, describe) {
      const q = groupQuery(site.site_id, this.shareBy, this.parentArea, this.span, site.today)
      const key = JSON.stringify(q)
      return this.run('share', async () => {
        const data = await energyShare(q, { cache: true, toast: false })
        if (key === JSON.stringify(groupQuery(site.site_id, this.shareBy, this.parentArea, this.span, site.today))) this.share = data
      }, describe)
    },
    loadRanking(site, describe) {
      const q = groupQuery(site.site_id, this.rankBy, this.parentArea, this.span, site.today, { top: 10 })
      const key = JSON.stringify(q)
      return this.run('ranking', async () => {
        const data = await energyRanking(q, { cache: true, toast: false })
        if (key === JSON.stringify(groupQuery(site.site_id, this.rankBy, this.parentArea, this.span, site.today, { top: 10 }))) this.ranking = data
      }, describe)
    },
    /** Each top area's trend over the span: its kWh, time-of-use cost and carbon. */
    loadDepartments(site, describe) {
      const span = this.span
      return this.run('departments', async () => {
        const areas = (await energyShare({ site_id: site.site_id, by: 'area', ...spanDays(span, site.today) },
          { cache: true, toast: false })).items
        const q = spanTrendQuery(span, site.today, site.timezone)
        const trends = {}
        await Promise.all(areas.map(async (a) => {
          trends[a.area_id] = await energyTrend({ node: 'area', node_id: a.area_id, ...q }, { cache: true, toast: false })
        }))
        if (span === this.span) { this.departments = areas; this.deptTrends = trends }
      }, describe)
    },
  },
})
