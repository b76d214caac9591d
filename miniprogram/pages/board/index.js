// One board: its circuits (sub-circuits indented) with live values (state, current,
// power, leakage), polled while the page shows; the boards it feeds; tap a circuit with
// a breaker to switch it.
const config = require('../../config')
const facility = require('../../services/facility')
const topo = require('../../utils/topology')
const i18n = require('../../utils/i18n')

Component({
  behaviors: [i18n.behavior],
  data: { siteId: null, id: null, board: null, rows: [], fed: [], updated: '' },
  methods: {
    async onLoad(query) {
      this.setData({ siteId: Number(query.site), id: Number(query.id) })
      const topology = await facility.topology(this.data.siteId)
      const board = topo.findBoard(topology, this.data.id)
      if (!board) return
      this._board = board
      const fed = []
      for (const { circuit } of topo.boardCircuits(board)) {
        for (const b of circuit.boards || []) fed.push({ id: b.id, name: b.name, code: b.code, via: i18n.t('board.fedBy', { via: circuit.name }) })
      }
      this.setData({ board: { id: board.id, name: board.name, code: board.code }, fed })
      wx.setNavigationBarTitle && wx.setNavigationBarTitle({ title: board.name })
      await this.refresh()
    },
    async refresh() {
      if (!this._board) return
      const latest = await facility.latest(this.data.siteId, { silent: true }).catch(() => null)
      if (!latest) return
      const rows = topo.boardCircuits(this._board).map(({ circuit, depth }) => {
        const dev = topo.primaryDevice(circuit)
        const live = topo.liveLine(dev && latest[dev.id])
        return { id: circuit.id, name: circuit.name, code: circuit.code, depth,
          protected: circuit.protected, deviceId: dev ? dev.id : null,
          switchable: Boolean(dev && dev.kind === 'breaker'),
          state: live.state, stateText: topo.STATE_TEXT[live.state], values: live.text }
      })
      this.setData({ rows })
    },
    onShow() {
      clearInterval(this._timer)
      this._timer = setInterval(() => this.refresh(), config.livePollMs || 10000)
    },
    onHide() { clearInterval(this._timer) },
    onUnload() { clearInterval(this._timer) },
    onCircuit(e) {
      const { device } = e.currentTarget.dataset
      if (!device) return
      wx.navigateTo({ url: `/pages/switch/index?site=${this.data.siteId}&device=${device}` })
    },
    onFedBoard(e) {
      wx.navigateTo({ url: `/pages/board/index?site=${this.data.siteId}&id=${e.currentTarget.dataset.id}` })
    },
  },
})
