// 待我审批: commands of protected circuits someone else asked for, which I may approve
// (a second person with control rights); approve (an optional comment) or reject (a
// reason is required), both through wx.showModal's text box.
const control = require('../../services/control')
const facility = require('../../services/facility')
const topo = require('../../utils/topology')
const wxp = require('../../utils/wxp')
const { shortTime } = require('../../utils/format')

Component({
  data: { rows: [], loaded: false, busy: false },
  methods: {
    onLoad() { return this.load() },
    onShow() { if (this.data.loaded) this.load() },
    async load() {
      const list = await control.awaitingMine()
      const rows = []
      for (const c of list) {
        let place = ''
        try {
          const { circuit } = topo.findCircuitOfDevice(await facility.topology(c.site_id), c.device_id)
          const device = circuit && circuit.devices.find((d) => d.id === c.device_id)
          place = [circuit && circuit.name, device && device.code].filter(Boolean).join(' ')
        } catch (err) { /* shown without the place */ }
        rows.push({ id: c.id, title: `${topo.ACTION_TEXT[c.action] || c.action} · ${place}`,
          label: `申请人 ${c.requested_by_name} · ${shortTime(c.requested_at)}`,
          expires: c.approval_expires_at ? `审批截止 ${shortTime(c.approval_expires_at)}` : '' })
      }
      this.setData({ rows, loaded: true })
    },
    async decide(id, approve) {
      const answer = await wxp.showModal({ title: approve ? '批准该指令？' : '驳回该指令？',
        editable: true, placeholderText: approve ? '审批意见（可选）' : '驳回原因（必填）',
        confirmText: approve ? '批准' : '驳回', confirmColor: approve ? '#1989fa' : '#ee0a24' })
        .catch(() => ({ confirm: false }))
      if (!answer.confirm) return
      const comment = (answer.content || '').trim()
      if (!approve && !comment) {
        wx.showToast({ title: '请填写驳回原因', icon: 'none' })
        return
      }
      this.setData({ busy: true })
      try {
        await (approve ? control.approve(id, comment) : control.reject(id, comment))
        wx.showToast({ title: approve ? '已批准' : '已驳回', icon: 'success' })
      } catch (err) {
        // the wrapper showed it (e.g. approval_expired, cannot_approve_own)
      } finally {
        this.setData({ busy: false })
        await this.load().catch(() => {})
      }
    },
    onApprove(e) { return this.decide(Number(e.currentTarget.dataset.id), true) },
    onReject(e) { return this.decide(Number(e.currentTarget.dataset.id), false) },
  },
})
