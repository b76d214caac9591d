// Switching one breaker, load controller or KNX group through the command lifecycle. A
// breaker: open / close / reset; a load or group: on / off and, when it accepts it, dim
// with a level (what a device accepts is its record's ``actions``). Before: the confirmation with the
// circuit, the breaker's state, its mode (a breaker not in 自动 refuses remote
// operation), its protection (a protected circuit waits for a second person's approval)
// and what it feeds (what loses power when it opens); the action and a reason (required).
// After: the command followed until it settles (待审批 -> 排队中 -> 已下发 -> 已确认, or
// how it ended), with the refusal reason in Chinese; for a site box's device (the centre
// delivers the command to the box, docs/sitelink.md) whether the box took it yet.
const facility = require('../../services/facility')
const control = require('../../services/control')
const topo = require('../../utils/topology')
const wxp = require('../../utils/wxp')
const i18n = require('../../utils/i18n')

const STEPS_PLAIN = ['queued', 'sent', 'confirmed']

// The steps a command goes through (the approval first on a protected circuit) and where
// it is; one that ended otherwise shows its end after the last step it reached.
function stepsOf(cmd, isProtected) {
  if (!cmd) return []
  const approval = isProtected || Boolean(cmd.approval_expires_at) || cmd.state === 'awaiting_approval'
  const steps = (approval ? ['awaiting_approval'] : []).concat(STEPS_PLAIN)
  const state = cmd.state === 'requested' ? steps[0] : cmd.state
  const at = steps.indexOf(state)
  const step = (s, status) => ({ state: s, text: control.STATE_TEXT[s], status })
  if (at >= 0) return steps.map((s, i) => step(s, i < at || state === 'confirmed' ? 'done' : i === at ? 'active' : 'todo'))
  const last = cmd.sent_at ? 'sent' : approval && !cmd.approved_by ? 'awaiting_approval' : 'queued'
  return steps.slice(0, steps.indexOf(last) + 1).map((s) => step(s, 'done')).concat([step(cmd.state, 'end')])
}

// what loses (open) or regains (close) power, as a line of text
function feedsText(action, n) {
  if (!n) return i18n.t('switch.noFeeds')
  return i18n.t(action === 'open' ? 'switch.feedsOpen' : 'switch.feedsClose', { n })
}

Component({
  behaviors: [i18n.behavior],
  data: { titleKey: 'switch', feedsText: '', modeBlocksText: '', siteId: null, deviceId: null, device: null, circuit: null, board: '', state: 'unknown',
    stateText: '', mode: null, modeText: '', fed: [], actions: [], action: null, reason: '',
    isLoad: false, level: 100, levelNow: null,
    error: '', errorCode: '', busy: false, command: null, steps: [], outcome: '', deliveryText: '' },
  methods: {
    async onLoad(query) {
      this.setData({ siteId: Number(query.site), deviceId: Number(query.device) })
      const [topology, entry, record] = await Promise.all([facility.topology(this.data.siteId),
        facility.deviceLatest(this.data.deviceId),
        facility.device(this.data.deviceId, { silent: true }).catch(() => null)])
      const { circuit, board } = topo.findCircuitOfDevice(topology, this.data.deviceId)
      const device = circuit ? circuit.devices.find((d) => d.id === this.data.deviceId) : null
      const kind = (record && record.kind) || (device && device.kind) || 'breaker'
      const isLoad = topo.LOAD_KINDS.includes(kind)
      const accepted = record && Array.isArray(record.actions) ? record.actions : null
      const state = isLoad ? topo.loadState(entry) : topo.deviceState(entry)
      const mode = isLoad ? null : topo.value(entry, 'mode')
      const levelNow = isLoad ? topo.loadLevel(entry) : null
      const offered = isLoad ? topo.loadActions(accepted, state)
        : topo.breakerActions(state).filter((a) => !accepted || !accepted.length || accepted.includes(a))
      const actions = offered.map((a) => ({ action: a, text: topo.ACTION_TEXT[a] }))
      this.setData({
        device: device || { code: (record || entry).code, name: (record || entry).name },
        circuit: circuit ? { id: circuit.id, name: circuit.name, code: circuit.code,
          protected: circuit.protected } : null,
        board: board ? board.name : '', state, stateText: topo.STATE_TEXT[state],
        mode, modeText: mode ? (topo.MODE_TEXT[mode] || mode) : '—', isLoad,
        levelNow, level: levelNow === null ? 100 : levelNow,
        fed: isLoad ? [] : topo.downstream(circuit).map((c) => ({ id: c.id, name: c.name, code: c.code })),
        actions, action: actions.length ? actions[0].action : null,
      })
      this.setData({ feedsText: feedsText(this.data.action, this.data.fed.length),
        modeBlocksText: mode ? i18n.t('switch.modeBlocks', { mode: this.data.modeText }) : '' })
    },
    onUnload() { if (this._follow) this._follow.stop() },
    onAction(e) {
      const action = e.currentTarget.dataset.action
      this.setData({ action, feedsText: feedsText(action, this.data.fed.length) })
    },
    onReason(e) { this.setData({ reason: e.detail, error: '' }) },
    onLevel(e) { this.setData({ level: Math.round(Number(e.detail && e.detail.value !== undefined ? e.detail.value : e.detail)) }) },
    async onSubmit() {
      const reason = (this.data.reason || '').trim()
      if (!reason) { this.setData({ error: i18n.t('switch.reasonRequired'), errorCode: 'reason_required' }); return }
      const { action, fed, circuit, device, level } = this.data
      const what = topo.ACTION_TEXT[action]
      const place = circuit ? circuit.name : device.name || device.code
      const lines = [action === 'dim' ? i18n.t('switch.dimLine', { place, what, level }) : `${place} ${what}`]
      if (action === 'open' && fed.length) lines.push(i18n.t('switch.feedsLose', { n: fed.length }))
      if (circuit && circuit.protected) lines.push(i18n.t('switch.protectedLine'))
      const ok = await wxp.showModal({ title: i18n.t('switch.confirmTitle', { what }), content: lines.join(i18n.lang() === 'en' ? '; ' : '；'),
        confirmText: what, confirmColor: action === 'open' || action === 'off' ? '#ee0a24' : '#1989fa' })
        .then((r) => r.confirm, () => false)
      if (!ok) return
      this.setData({ busy: true, error: '' })
      try {
        const cmd = await control.send(this.data.deviceId, action, reason,
          action === 'dim' ? level : undefined)
        this.show(cmd)
        this._follow = control.follow(cmd.id, (c) => this.show(c))
        const settled = await this._follow.done
        if (settled) this.show(settled)
      } catch (err) {
        this.setData({ error: control.reasonOf(err), errorCode: err.code || '' })
      } finally {
        this.setData({ busy: false })
      }
    },
    show(cmd) {
      const protectedCircuit = Boolean(this.data.circuit && this.data.circuit.protected)
      let outcome = ''
      const what = cmd.action === 'dim' && typeof cmd.value === 'number'
        ? i18n.t('switch.dimmedTo', { level: Math.round(cmd.value) }) : topo.ACTION_TEXT[cmd.action]
      if (cmd.state === 'confirmed') outcome = i18n.t('switch.confirmed', { what })
      else if (cmd.state === 'awaiting_approval') outcome = i18n.t(cmd.delivery ? 'switch.awaitingAtSite' : 'switch.awaiting')
      else if (!control.IN_FLIGHT.includes(cmd.state)) {
        outcome = control.reasonOf(cmd) || control.STATE_TEXT[cmd.state]
      }
      // a site box's device (the centre delivers the command): whether the box took it
      const deliveryText = cmd.delivery ? i18n.t(`switch.delivery.${cmd.delivery}`) : ''
      this.setData({ command: cmd, steps: stepsOf(cmd, protectedCircuit), outcome, deliveryText })
    },
    onDone() { wx.navigateBack() },
  },
})
