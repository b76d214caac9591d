// 配电 (tab): my site's areas, the boards of the chosen area (its sub-areas included),
// tap a board for its circuits with live values. The commands awaiting my approval are
// announced at the top.
const facility = require('../../services/facility')
const control = require('../../services/control')
const topo = require('../../utils/topology')
const i18n = require('../../utils/i18n')

const NO_AREA = 0      // the boards without an area

Component({
  behaviors: [i18n.behavior],
  data: { titleKey: 'circuits', site: null, sites: [], areas: [], areaId: null, boards: [], approvals: 0, empty: false },
  methods: {
    onLoad() { return this.load() },
    onShow() { return this.loadApprovals() },
    async load(fresh = false) {
      const { site, sites } = await facility.currentSite()
      if (!site) { this.setData({ empty: true }); return }
      const topology = await facility.topology(site.id, { fresh })
      const areas = topo.flattenAreas(topology.areas)
        .map((a) => ({ ...a, count: topo.boardsOfArea(topology, a.id).length }))
      const loose = topo.boardsOfArea(topology, null).length
      if (loose) areas.push({ id: NO_AREA, code: '', name: i18n.t('circuits.noArea'), depth: 0, count: loose })
      const keep = areas.find((a) => a.id === this.data.areaId)
      this.setData({ site, sites, areas, empty: false })
      this.showArea(keep ? keep.id : (areas.find((a) => a.count) || areas[0] || {}).id, topology)
    },
    showArea(areaId, topology) {
      if (areaId === undefined) { this.setData({ areaId: null, boards: [] }); return }
      const t = topology || this._topology
      this._topology = t
      const boards = topo.boardsOfArea(t, areaId === NO_AREA ? null : areaId).map((b) => ({
        id: b.id, code: b.code, name: b.name, level: b.level,
        circuits: topo.boardCircuits(b).length }))
      this.setData({ areaId, boards })
    },
    onArea(e) { this.showArea(Number(e.currentTarget.dataset.id)) },
    onBoard(e) {
      wx.navigateTo({ url: `/pages/board/index?site=${this.data.site.id}&id=${e.currentTarget.dataset.id}` })
    },
    async loadApprovals() {
      const list = await control.awaitingMine({ silent: true }).catch(() => [])
      this.setData({ approvals: list.length })
    },
    onApprovals() { wx.navigateTo({ url: '/pages/approvals/index' }) },
    onLoads() { wx.navigateTo({ url: `/pages/loads/index?site=${this.data.site.id}` }) },
    onSwitchSite() {
      const sites = this.data.sites
      if (sites.length < 2) return
      wx.showActionSheet({ itemList: sites.map((s) => s.name),
        success: ({ tapIndex }) => { facility.chooseSite(sites[tapIndex].id); this.load() } })
    },
    async onPullDownRefresh() {
      try { await this.load(true) } finally { wx.stopPullDownRefresh() }
    },
  },
})
