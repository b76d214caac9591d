// Group switching of a board (整箱分合闸): which breakers it covers, the confirmation
// (count, protected ones need approval, a reason), then each device's result mapped
// from the batch answer and the live command events.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import Vant from 'vant'
import { configureApi, setSession } from '../../src/api/client.js'
import { setLocale, t } from '../../src/i18n/index.js'
import { batchRows, batchSummary, boardBreakers } from '../../src/lib/control.js'
import { makeRouter } from '../../src/router.js'
import { useAuthStore } from '../../src/stores/auth.js'
import { useCommandsStore } from '../../src/stores/commands.js'
import BoardControlSheet from '../../src/components/BoardControlSheet.vue'
import { fakeJwt, json, mockFetch } from './helpers.js'
import { topology } from './fixtures.js'

let pinia
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  setLocale('zh-CN')
  setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1 } })
  useAuthStore().user = { id: 1, username: 'boss', role: 'manager' }
  configureApi({ notify: vi.fn(), onExpired: vi.fn() })
})

const board = () => {
  const topo = structuredClone(topology)
  topo.boards[0].circuits[0].circuits[0].protected = true // WL1
  return topo.boards[0]
}

describe('group helpers', () => {
  it('a board\'s breakers: its circuits and sub-circuits, not the boards it feeds', () => {
    expect(boardBreakers(board()).map((b) => [b.device.code, b.circuit.code])).toEqual([['QF1', 'WL1'], ['QF2', 'WL2']])
    expect(boardBreakers(topology.boards[0].circuits[0].circuits[0].boards[0]).map((b) => b.device.code)).toEqual(['QF3'])
    expect(boardBreakers(null)).toEqual([])
  })

  it('maps the batch and the live commands to each device\'s result', () => {
    const batch = { batch_id: 'b1', commands: [
      { id: 1, device_id: 101, state: 'awaiting_approval' }, { id: 2, device_id: 102, state: 'queued' },
      { id: 3, device_id: 103, state: 'queued' }, { id: 4, device_id: 104, state: 'queued' }],
    refused: [{ device_id: 105, error: 'device_offline', message: 'offline', message_zh: '设备离线' }] }
    const live = { 2: { id: 2, state: 'confirmed' }, 3: { id: 3, state: 'failed', error: 'mode_manual', message_zh: '手动模式' },
      4: { id: 4, state: 'sent' } }
    const rows = batchRows([101, 102, 103, 104, 105, 106], batch, live)
    expect(rows.map((r) => [r.deviceId, r.status, r.reason])).toEqual([
      [101, 'awaiting_approval', ''], [102, 'confirmed', ''], [103, 'failed', '手动模式'], [104, 'pending', ''],
      [105, 'refused', '设备离线'], [106, 'pending', '']])
    expect(rows[1].commandId).toBe(2)
    expect(batchSummary(rows)).toEqual({ confirmed: 1, awaiting: 1, pending: 2, failed: 2 })
    // a device of the batch the page did not know is listed too
    expect(batchRows([101], batch, {}).map((r) => r.deviceId)).toEqual([101, 102, 103, 104, 105])
    expect(batchRows([101], null).map((r) => r.status)).toEqual(['pending'])
  })
})

describe('BoardControlSheet', () => {
  it('confirms with the count and the protected ones, then follows each device live', async () => {
    const sent = []
    mockFetch((url, init) => {
      expect(url).toBe('/api/v1/commands/batches')
      sent.push({ body: JSON.parse(init.body), key: init.headers['Idempotency-Key'] })
      return json(202, { batch_id: 'b1',
        commands: [{ id: 7, site_id: 1, device_id: 101, action: 'open', state: 'awaiting_approval', batch_id: 'b1' }],
        refused: [{ device_id: 102, error: 'switched_too_recently', message: 'switched 2 s ago',
          message_zh: '该设备 2 秒前刚操作过' }] })
    })
    const w = mount(BoardControlSheet, { props: { show: true, board: board() },
      global: { plugins: [pinia, makeRouter(createMemoryHistory()), Vant], config: { globalProperties: { $t: t } } } })
    await flushPromises()
    const counts = w.get('[data-test=board-counts]')
    expect([counts.attributes('data-devices'), counts.attributes('data-protected')]).toEqual(['2', '1'])
    expect(counts.text()).toContain('本箱断路器 2 台')
    expect(counts.text()).toContain('其中 1 台位于受保护回路')
    expect(w.get('[data-test=board-send]').text()).toBe('确认整箱分闸（2 台）')
    await w.get('[data-test=board-send]').trigger('click')
    expect(w.get('[data-test=board-error]').attributes('data-error')).toBe('reason')
    expect(sent).toEqual([])
    await w.get('[data-action=close]').trigger('click')
    await w.get('[data-test=board-reason] textarea').setValue('食堂检修')
    await w.get('[data-test=board-send]').trigger('click')
    await flushPromises()
    expect(sent.map((s) => s.body)).toEqual([{ action: 'close', reason: '食堂检修', board_id: 1 }])
    expect(sent[0].key).toMatch(/^[0-9a-f-]{36}$/)
    const row = (id) => w.get(`[data-test=batch-row][data-device="${id}"]`)
    expect(row(101).attributes('data-status')).toBe('awaiting_approval')
    expect(row(101).text()).toContain('待审批')
    expect(row(102).attributes('data-status')).toBe('refused')
    expect(row(102).get('[data-test=batch-reason]').text()).toBe('该设备 2 秒前刚操作过')
    // approved by someone else, then confirmed: live
    useCommandsStore().apply({ id: 7, site_id: 1, device_id: 101, state: 'queued' })
    useCommandsStore().apply({ id: 7, site_id: 1, device_id: 101, state: 'confirmed' })
    await flushPromises()
    expect(row(101).attributes('data-status')).toBe('confirmed')
    expect(w.get('[data-test=board-summary]').text()).toBe('已确认 1 · 待审批 0 · 进行中 0 · 未执行 1')
  })
})
