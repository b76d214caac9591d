// Remote switching as the app sees it: every command known (merged in place by id, kept
// live by ``command`` SSE events), each device's history, and the commands awaiting my
// approval (the Me tab's badge). ``send`` keeps one Idempotency-Key per user intent: a
// submission retried after a network error (the server may have made the command) reuses
// it, so it never becomes a second command; any answer from the server ends the intent.
import { defineStore } from 'pinia'
import {
  approveCommand, cancelCommand, changeSettings, deviceCommands, getCommand, listCommands, newIdempotencyKey,
  rejectCommand, sendBatch, sendCommand,
} from '../api/control.js'
import { IN_FLIGHT, SWITCHING, newest } from '../lib/control.js'
import { useAuthStore } from './auth.js'

export const HISTORY_SIZE = 20
// A command on screen that is still on its way (not waiting for a person) is also fetched
// at this interval: the stream normally settles it within a second, but an event lost on
// the way (a proxy that buffers, a stream cut and not resumed) must not leave it stuck.
export const FOLLOW_MS = 5000
const FOLLOWED = IN_FLIGHT.filter((s) => s !== 'awaiting_approval')
// An intent, as compared for a retry: what it does to which device(s), with what values.
const sig = (intent) => JSON.stringify(intent, (k, v) => (v && typeof v === 'object' && !Array.isArray(v)
  ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v))

export const useCommandsStore = defineStore('commands', {
  state: () => ({
    siteId: null,
    byId: {}, // id -> command (summary, list row or detail)
    history: {}, // device id -> [command id] newest first (loaded, then live)
    approvalIds: [], // awaiting my approval, newest first
    retry: null, // {sig, key}: the intent whose last send did not reach the server
    version: 0,
  }),
  getters: {
    historyOf: (s) => (deviceId) => (s.history[deviceId] || []).map((id) => s.byId[id]).filter(Boolean),
    /** The device's latest command known here (live), or null; ``actions``: only these. */
    latestOf: (s) => (deviceId, actions = null) => newest(Object.values(s.byId)
      .filter((c) => c.device_id === deviceId && (!actions || actions.includes(c.action)))),
    /** The device's latest switching command (not a settings change). */
    latestSwitchOf() { return (deviceId) => this.latestOf(deviceId, SWITCHING) },
    approvals: (s) => s.approvalIds.map((id) => s.byId[id]).filter((c) => c?.state === 'awaiting_approval'),
    approvalCount() { return this.approvals.length },
  },
  actions: {
    /** A site was chosen: what waits for my approval there. */
    async loadSite(siteId) {
      if (siteId !== this.siteId) this.$patch({ siteId, byId: {}, history: {}, approvalIds: [] })
      if (siteId) await this.loadApprovals()
    },
    /** A command (a ``command`` event, an answer, a list row): merge it in by id. */
    apply(cmd) {
      if (!cmd?.id || (this.siteId && cmd.site_id && cmd.site_id !== this.siteId)) return
      const merged = { ...this.byId[cmd.id], ...cmd }
      this.byId[cmd.id] = merged
      const h = this.history[cmd.device_id]
      if (h && !h.includes(cmd.id)) {
        h.unshift(cmd.id)
        h.sort((a, b) => b - a)
      }
      const me = useAuthStore().user?.id
      const waiting = merged.state === 'awaiting_approval' && merged.requested_by !== me
      const at = this.approvalIds.indexOf(cmd.id)
      if (waiting && at < 0) this.approvalIds.unshift(cmd.id)
      if (!waiting && at >= 0) this.approvalIds.splice(at, 1)
      this.version++
      return merged
    },
    /** One user intent sent with its Idempotency-Key: the same key when it retries a send
     *  that did not reach the server (status 0), else a fresh one. */
    async withKey(intent, call) {
      const key = this.retry?.sig === sig(intent) ? this.retry.key : newIdempotencyKey()
      try {
        const answer = await call(key)
        this.retry = null
        return answer
      } catch (err) {
        this.retry = err?.status === 0 ? { sig: sig(intent), key } : null
        throw err
      }
    },
    /** Send ``{action, value?, reason}`` to a device: the command (queued or awaiting
     *  approval). Errors are thrown (not toasted): the sheet shows them. */
    async send(deviceId, { action, value, reason }) {
      const body = { action, reason, ...(value !== undefined && value !== null ? { value } : {}) }
      const cmd = await this.withKey({ deviceId, action, value: value ?? null },
        (key) => sendCommand(deviceId, body, key, { toast: false }))
      return this.apply(cmd)
    },
    /** Change settings ``{values: {name: value}, reason}``: a command (action settings).
     *  A 422 invalid_setting is thrown with its ``errors`` (``values.<name>``). */
    async sendSettings(deviceId, { values, reason }) {
      const cmd = await this.withKey({ deviceId, action: 'settings', values },
        (key) => changeSettings(deviceId, { values, reason }, key, { toast: false }))
      return this.apply(cmd)
    },
    /** A group command ``{action, reason, board_id | device_ids | area_id}``: the batch
     *  ``{batch_id, commands, refused}``, its commands merged in. */
    async sendBatch(body) {
      const { reason, ...what } = body
      const batch = await this.withKey({ batch: what }, (key) => sendBatch(body, key, { toast: false }))
      for (const c of batch.commands || []) this.apply(c)
      return batch
    },
    /** The commands of a batch, from the server (catches up what the stream may have missed). */
    async loadBatch(batchId) {
      const rows = await listCommands({ batch_id: batchId, page_size: 500 }, { toast: false })
      for (const c of rows) this.apply(c)
      return rows
    },
    async loadHistory(deviceId) {
      const rows = await deviceCommands(deviceId, { page_size: HISTORY_SIZE }, { toast: false })
      for (const c of rows) this.apply(c)
      this.history[deviceId] = rows.map((c) => c.id)
      return rows
    },
    /** One command's detail (events, can_approve), merged in. */
    async loadDetail(id) {
      const d = await getCommand(id)
      return this.apply(d)
    },
    /** Keep fetching command ``id`` every FOLLOW_MS while it is on its way (queued, sent):
     *  a backstop to its stream events. Returns the function that stops it. */
    follow(id) {
      let timer = null
      let stopped = false
      const tick = async () => {
        const c = this.byId[id]
        if (stopped || (c && !FOLLOWED.includes(c.state))) return
        try { await this.loadDetail(id) } catch { /* the next tick retries */ }
        if (!stopped && FOLLOWED.includes(this.byId[id]?.state)) timer = setTimeout(tick, FOLLOW_MS)
      }
      timer = setTimeout(tick, FOLLOW_MS)
      return () => { stopped = true; clearTimeout(timer) }
    },
    async loadApprovals() {
      const siteId = this.siteId
      const rows = await listCommands({ site_id: siteId || undefined, awaiting_my_approval: true, page_size: 100 },
        { toast: false })
      if (siteId !== this.siteId) return
      for (const c of rows) this.apply(c)
      this.approvalIds = rows.map((c) => c.id)
    },
    async approve(id, comment) { return this.apply(await approveCommand(id, comment)) },
    async reject(id, comment) { return this.apply(await rejectCommand(id, comment)) },
    async cancel(id, comment) { return this.apply(await cancelCommand(id, comment)) },
  },
})
