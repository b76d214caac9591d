// 待我审批: commands of protected circuits someone else asked for, which I may approve
// (a second person with control rights); approve (an optional comment) or reject (a
// reason is required), both through wx.showModal's text box.
const control = require('../../services/control')
const facility = require('../../services/facility')
const topo = require('../../utils/topology')
const wxp = require('../../utils/wxp')
const { shortTime } = require('../../utils/format')
const i18n = require('../../utils/i18n')

Component({
  behaviors: [i18n.behavior],
  data: { titleKey: 'approvals', rows: [], loaded: false, busy: false },
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
          label: i18n.t('approvals.requestedBy', { name: c.requested_by_name, time: shortTime(c.requested_at) }),
          expires: c.approval_expires_at ? i18n.t('approvals.expires', { time: shortTime(c.approval_expires_at) }) : '' })
      }
      this.setData({ rows, loaded: true })
    },
    async decide(id, approve) {
      const answer = await wxp.showModal({ title: i18n.t(approve ? 'approvals.approveTitle' : 'approvals.rejectTitle'),
        editable: true, placeholderText: i18n.t(approve ? 'approvals.commentPh' : 'approvals.reasonPh'),
        confirmText: i18n.t(approve ? 'approvals.approve' : 'approvals.reject'), confirmColor: approve ? '#1989fa' : '#ee0a24' })
        .catch(() => ({ confirm: false }))
      if (!answer.confirm) return
      const comment = (answer.content || '').trim()
      if (!approve && !comment) {
        wx.showToast({ title: i18n.t('approvals.reasonRequired'), icon: 'none' })
        return
      }
      this.setData({ busy: true })
      try {
        await (approve ? control.approve(id, comment) : control.reject(id, comment))
        wx.showToast({ title: i18n.t(approve ? 'approvals.approved' : 'approvals.rejected'), icon: 'success' })
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
