// 能耗 (tab): my site's energy today / this month / this year (with the cost and carbon
// where the server has them), the month's top consumers (tap one: its trend), and the
// trend of the site, an area or a board at 15 分钟 / 小时 / 日 / 月 as bars, the estimated
// periods (spread over a gap or across a reset) orange and hatched, with their count.
const facility = require('../../services/facility')
const energy = require('../../services/energy')
const en = require('../../utils/energy')
const i18n = require('../../utils/i18n')

Component({
  behaviors: [i18n.behavior],
  data: { titleKey: 'energy', summaryExtra: '', site: null, sites: [], empty: false, cards: [], rank: [], nodes: [], nodeLabels: [],
    nodeIndex: 0, node: null, intervals: [],
    interval: 'hour', option: null, estimatedCount: 0, missingCount: 0, totalKwh: '—',
    points: 0, loading: false },
  methods: {
    onLoad() {
      this.setData({ intervals: en.INTERVALS.map((i) => ({ interval: i, text: i18n.dict().energy.interval[i] })) })
      return this.load()
    },
    onPullDownRefresh() { return this.load(true).finally(() => wx.stopPullDownRefresh()) },
    async load(fresh = false) {
      const { site, sites } = await facility.currentSite()
      if (!site) { this.setData({ empty: true }); return }
      const [overview, topology] = await Promise.all([energy.overview(site.id, 5),
        facility.topology(site.id, { fresh })])
      const mine = (overview.sites || []).find((s) => s.site_id === site.id) || null
      const nodes = en.energyNodes(topology)
      const keep = this.data.node && nodes.find((n) => n.key === this.data.node.key)
      const node = keep || this.data.node && this.data.node.node === 'circuit' && this.data.node || nodes[0] || null
      this.setData({ site, sites, empty: false,
        cards: en.overviewCards(mine).map((c) => ({ ...c, text: i18n.dict().energy.period[c.period] })),
        rank: en.rankRows(mine && mine.top_consumers),
        nodes, nodeLabels: nodes.map((n) => `${'　'.repeat(n.depth)}${n.label}`),
        nodeIndex: Math.max(0, nodes.indexOf(node)), node })
      if (node) await this.loadTrend()
    },
    async loadTrend() {
      const { node, interval } = this.data
      this.setData({ loading: true })
      try {
        const trend = await energy.trend(node.node, node.id, interval)
        const series = en.buildTrendSeries(trend)
        this.setData({ option: en.trendOption(series, { measured: i18n.t('energy.measured'), estimated: i18n.t('energy.estimatedName') }), estimatedCount: series.estimatedCount,
          missingCount: series.missingCount, points: series.labels.length,
          totalKwh: en.fmtKwh(trend.total && trend.total.import_kwh),
          summaryExtra: (series.estimatedCount ? i18n.t('energy.estimated', { n: series.estimatedCount }) : '')
            + (series.missingCount ? i18n.t('energy.missing', { n: series.missingCount }) : '') })
      } catch (err) {
        this.setData({ option: null, points: 0, estimatedCount: 0, missingCount: 0, totalKwh: '—' })
      } finally {
        this.setData({ loading: false })
      }
    },
    onNode(e) {
      const index = Number(e.detail.value)
      this.setData({ nodeIndex: index, node: this.data.nodes[index] })
      return this.loadTrend()
    },
    onInterval(e) {
      this.setData({ interval: e.currentTarget.dataset.interval })
      return this.loadTrend()
    },
    // a top consumer: its circuit's trend (not in the picker, which lists site/areas/boards)
    onConsumer(e) {
      const row = this.data.rank.find((r) => r.circuit_id === Number(e.currentTarget.dataset.id))
      if (!row) return undefined
      this.setData({ node: { key: `circuit:${row.circuit_id}`, node: 'circuit', id: row.circuit_id,
        label: `${row.code} ${row.name}`, depth: 0 }, nodeIndex: -1 })
      return this.loadTrend()
    },
    onSwitchSite() {
      const sites = this.data.sites
      if (sites.length < 2) return
      wx.showActionSheet({ itemList: sites.map((s) => s.name),
        success: ({ tapIndex }) => { facility.chooseSite(sites[tapIndex].id); this.setData({ node: null }); this.load() } })
    },
  },
})
