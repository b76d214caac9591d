// The energy tab: the overview across the user's sites, the trend of one node of the
// current site, one feeder's balance. Every GET kept for offline use (api/cache.js): the
// queries leave the range to the server's default (or round it to the hour) so that the
// cached answer is found again.
import { defineStore } from 'pinia'
import { energyBalance, energyOverview, energyTrend } from '../api/energy.js'

export const BALANCE_PERIODS = { '1d': 1, '7d': 7, '30d': 30 }
const HOUR = 3600e3

/** The balance query of a feeder key ('board:3', 'circuit:7') and a period. */
export function balanceQuery(feederKey, period, now = Date.now()) {
  const [kind, id] = feederKey.split(':')
  const q = { [`${kind}_id`]: Number(id) }
  if (period !== '1d') {
    const end = Math.ceil(now / HOUR) * HOUR
    q.end = new Date(end).toISOString()
    q.start = new Date(end - BALANCE_PERIODS[period] * 24 * HOUR).toISOString()
  }
  return q
}

export const useEnergyStore = defineStore('energy', {
  state: () => ({
    overview: null,
    trend: null,
    nodeKey: null, // 'site:1', 'circuit:7'...
    interval: 'hour',
    balance: null,
    balanceError: '',
    feederKey: null,
    period: '1d',
    loading: { overview: false, trend: false, balance: false },
  }),
  actions: {
    async loadOverview() {
      this.loading.overview = true
      try { this.overview = await energyOverview({ top: 5 }, { cache: true }) } finally { this.loading.overview = false }
    },
    async loadTrend() {
      if (!this.nodeKey) { this.trend = null; return }
      const [node, id] = this.nodeKey.split(':')
      const key = this.nodeKey
      const interval = this.interval
      this.loading.trend = true
      try {
        const data = await energyTrend({ node, node_id: Number(id), interval }, { cache: true })
        if (key === this.nodeKey && interval === this.interval) this.trend = data
      } finally { this.loading.trend = false }
    },
    async loadBalance(describe = (e) => e.error) {
      if (!this.feederKey) { this.balance = null; return }
      const key = this.feederKey
      this.loading.balance = true
      this.balanceError = ''
      try {
        const data = await energyBalance(balanceQuery(key, this.period), { cache: true, toast: false })
        if (key === this.feederKey) this.balance = data
      } catch (err) {
        if (key === this.feederKey) { this.balance = null; this.balanceError = describe(err) }
      } finally { this.loading.balance = false }
    },
  },
})
