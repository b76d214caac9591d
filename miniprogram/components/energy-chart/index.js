// A chart drawn by ECharts through ec-canvas (components/ec-canvas). ``option`` is the
// JSON ECharts option the page built (utils/energy.js trendOption: setData carries no
// functions); the tooltip's kWh formatter is added here. Initialised lazily on the first
// option, then each new option replaces the last (setOption with notMerge).
const echarts = require('../ec-canvas/echarts')
const { fmtKwh } = require('../../utils/energy')

const withFormatter = (option) => ({ ...option, tooltip: { ...(option.tooltip || {}),
  valueFormatter: (v) => (v === null || v === undefined ? '—' : `${fmtKwh(v)} kWh`) } })

Component({
  properties: {
    option: { type: Object, value: null, observer: 'draw' },
    height: { type: String, value: '420rpx' },
  },
  data: { ec: { lazyLoad: true } },
  lifetimes: {
    ready() { this.draw() },
    detached() { if (this.chart) { this.chart.dispose(); this.chart = null } },
  },
  methods: {
    draw() {
      const option = this.data.option
      if (!option) return
      if (this.chart) { this.chart.setOption(withFormatter(option), true); return }
      const canvas = this.selectComponent('#ec')
      if (!canvas || this._initing) return
      this._initing = true
      canvas.init((c, width, height, dpr) => {
        const chart = echarts.init(c, null, { width, height, devicePixelRatio: dpr })
        c.setChart(chart)
        chart.setOption(withFormatter(this.data.option))
        this.chart = chart
        return chart
      })
    },
  },
})
