// Remote switching in the app: the commands store (one Idempotency-Key per intent, live
// merging, approvals), the texts of every control code, and the pure helpers.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { ApiError, configureApi, request, setSession } from '../../src/api/client.js'
import { commandReason, describeError } from '../../src/api/errors.js'
import { newIdempotencyKey } from '../../src/api/control.js'
import { setLocale, t } from '../../src/i18n/index.js'
import { messages } from '../../src/i18n/messages.js'
import { breakerActions, circuitOfDevice, downstream, findCircuit, progress } from '../../src/lib/control.js'
import { useAuthStore } from '../../src/stores/auth.js'
import { useCommandsStore } from '../../src/stores/commands.js'
import { fakeJwt, json, mockFetch } from './helpers.js'
import { topology } from './fixtures.js'

// backend/control/texts.py: refusals (4xx) and how executed commands end
const REFUSALS = ['control_not_granted', 'device_offline', 'command_in_progress', 'switched_too_recently',
  'action_not_supported', 'idempotency_key_reused', 'own_command', 'not_awaiting_approval', 'not_cancellable',
  'device_disabled', 'device_not_controllable']
const ENDINGS = ['mode_manual', 'mode_maintenance', 'no_answer', 'device_exception', 'not_confirmed',
  'readback_timeout', 'expired', 'approval_expired', 'executor_stopped', 'rejected']

beforeEach(() => {
  setActivePinia(createPinia())
  setLocale('zh-CN')
  setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1 } })
  useAuthStore().user = { id: 1, username: 'boss', role: 'manager' }
  configureApi({ notify: vi.fn(), onExpired: vi.fn(), onFresh: null, onStale: null, onOffline: null })
})

describe('control error texts', () => {
  it('has every control code in Chinese and in English', () => {
    for (const code of [...REFUSALS, ...ENDINGS]) {
      expect(messages['zh-CN'].errors[code], code).toMatch(/[\u4e00-\u9fff]/)
      expect(messages.en.errors[code], code).toBeTruthy()
    }
  })

  it('shows the server\'s Chinese reason in Chinese, our translation in English', () => {
    const err = new ApiError({ status: 409, error: 'switched_too_recently', message: 'the device was switched less than 5 s ago',
      messageZh: '距该设备上次操作不足 5 秒' })
    expect(describeError(err)).toBe('距该设备上次操作不足 5 秒')
    expect(describeError(new ApiError({ status: 403, error: 'control_not_granted', message: 'no' }))).toBe('您没有该回路的控制权限')
    setLocale('en')
    expect(describeError(err)).toBe(messages.en.errors.switched_too_recently)
  })

  it('reads message_zh from the error body', async () => {
    mockFetch(() => json(403, { code: 403, status: 'Forbidden', error: 'control_not_granted',
      message: 'you have no control right for this circuit', message_zh: '您没有该回路的控制权限' }))
    const err = await request('/devices/1/commands', { method: 'POST', body: {}, toast: false }).catch((e) => e)
    expect(err.messageZh).toBe('您没有该回路的控制权限')
  })

  it('gives a command\'s reason in the UI language', () => {
    const cmd = { error: 'mode_manual', message: 'the breaker is in manual mode: remote commands are refused',
      message_zh: '断路器处于手动模式，拒绝远程操作' }
    expect(commandReason(cmd)).toBe('断路器处于手动模式，拒绝远程操作')
    expect(commandReason({ error: 'readback_timeout' })).toBe(messages['zh-CN'].errors.readback_timeout)
    expect(commandReason({ state: 'confirmed', error: null })).toBe('')
    setLocale('en')
    expect(commandReason(cmd)).toBe(cmd.message)
    expect(t('control.states.awaiting_approval')).toBe('Awaiting approval')
  })
})

describe('commands store', () => {
  const queued = (over = {}) => ({ id: 7, site_id: 1, device_id: 101, action: 'open', state: 'queued',
    requested_by: 1, requested_at: '2026-12-01T10:00:00Z', ...over })

  it('sends with an Idempotency-Key, reused only when a retry follows a network error', async () => {
    const keys = []
    let fail = 'network'
    mockFetch((url, init) => {
      keys.push(init.headers['Idempotency-Key'])
      expect(url).toBe('/api/v1/devices/101/commands')
      expect(JSON.parse(init.body)).toEqual({ action: 'open', reason: '检修' })
      if (fail === 'network') { fail = null; throw new TypeError('offline') }
      if (fail === 'conflict') return json(409, { error: 'command_in_progress', message: 'busy' })
      return json(202, queued())
    })
    const commands = useCommandsStore()
    await expect(commands.send(101, { action: 'open', reason: '检修' })).rejects.toMatchObject({ status: 0 })
    const cmd = await commands.send(101, { action: 'open', reason: '检修' })
    expect(cmd.state).toBe('queued')
    expect(keys[1]).toBe(keys[0]) // the same intent: never a second command
    await commands.send(101, { action: 'open', reason: '检修' })
    expect(keys[2]).not.toBe(keys[1]) // a new intent after an answer
    fail = 'conflict'
    await expect(commands.send(101, { action: 'open', reason: '检修' })).rejects.toMatchObject({ error: 'command_in_progress' })
    fail = null
    await commands.send(101, { action: 'open', reason: '检修' })
    expect(new Set(keys).size).toBe(4)
    expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('does not toast a refusal (the sheet shows it)', async () => {
    const notify = vi.fn()
    configureApi({ notify })
    mockFetch(() => json(403, { error: 'control_not_granted', message: 'no', message_zh: '您没有该回路的控制权限' }))
    await expect(useCommandsStore().send(101, { action: 'open', reason: 'x' })).rejects.toBeInstanceOf(ApiError)
    expect(notify).not.toHaveBeenCalled()
  })

  it('merges live events in place and keeps the device history newest first', async () => {
    mockFetch(() => json(200, [queued({ id: 5, state: 'confirmed' }), queued({ id: 4, state: 'failed' })]))
    const commands = useCommandsStore()
    commands.siteId = 1
    await commands.loadHistory(101)
    commands.apply(queued({ id: 8 }))
    commands.apply({ id: 8, site_id: 1, device_id: 101, state: 'sent' })
    commands.apply(queued({ id: 9, site_id: 2 })) // another site's: ignored
    expect(commands.historyOf(101).map((c) => [c.id, c.state])).toEqual([[8, 'sent'], [5, 'confirmed'], [4, 'failed']])
    expect(commands.byId[8].action).toBe('open') // merged, not replaced
    expect(commands.latestOf(101).id).toBe(8)
  })

  it('lists what awaits my approval, live: not my own, gone once decided', async () => {
    mockFetch((url) => {
      expect(url).toContain('awaiting_my_approval=true')
      return json(200, [queued({ id: 3, state: 'awaiting_approval', requested_by: 2 })])
    })
    const commands = useCommandsStore()
    await commands.loadSite(1)
    expect(commands.approvalCount).toBe(1)
    commands.apply(queued({ id: 4, state: 'awaiting_approval', requested_by: 2 }))
    commands.apply(queued({ id: 6, state: 'awaiting_approval', requested_by: 1 })) // mine
    expect(commands.approvals.map((c) => c.id)).toEqual([4, 3])
    commands.apply({ id: 3, site_id: 1, device_id: 101, state: 'queued' })
    expect(commands.approvals.map((c) => c.id)).toEqual([4])
  })

  it('approves and rejects with the comment', async () => {
    const calls = []
    mockFetch((url, init) => {
      calls.push([url, JSON.parse(init.body)])
      return json(200, queued({ id: 3, requested_by: 2, state: url.endsWith('/reject') ? 'rejected' : 'queued' }))
    })
    const commands = useCommandsStore()
    await commands.approve(3)
    await commands.reject(3, '不同意')
    expect(calls).toEqual([['/api/v1/commands/3/approve', {}], ['/api/v1/commands/3/reject', { comment: '不同意' }]])
    expect(commands.byId[3].state).toBe('rejected')
  })
})

describe('control helpers', () => {
  it('makes a UUID without crypto.randomUUID (plain http)', () => {
    const saved = globalThis.crypto.randomUUID
    Object.defineProperty(globalThis.crypto, 'randomUUID', { value: undefined, configurable: true })
    try {
      expect(newIdempotencyKey()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    } finally {
      Object.defineProperty(globalThis.crypto, 'randomUUID', { value: saved, configurable: true })
    }
  })

  it('finds the circuit and what it feeds', () => {
    expect(findCircuit(topology, 21).code).toBe('AP1-WL1')
    expect(circuitOfDevice(topology, 201).code).toBe('AP1-WL1')
    expect(downstream(findCircuit(topology, 10)).map((d) => d.circuit.code)).toEqual(['WL1', 'AP1-WL1', 'WL2'])
    expect(downstream(findCircuit(topology, 11)).map((d) => [d.circuit.code, d.board.code])).toEqual([['AP1-WL1', 'AP1']])
    expect(downstream(findCircuit(topology, 12))).toEqual([])
  })

  it('offers the opposite of the state first, reset when tripped', () => {
    expect(breakerActions('closed')[0]).toBe('open')
    expect(breakerActions('open')[0]).toBe('close')
    expect(breakerActions('tripped')).toContain('reset')
    expect(breakerActions('closed')).not.toContain('reset')
  })

  it('shows where a command is, and where it ended', () => {
    expect(progress({ state: 'sent', sent_at: 'x' })).toEqual({ steps: ['queued', 'sent', 'confirmed'], active: 1, end: null })
    expect(progress({ state: 'confirmed' }).end).toBe('confirmed')
    expect(progress({ state: 'awaiting_approval' }, true)).toMatchObject({ steps: ['awaiting_approval', 'queued', 'sent', 'confirmed'], active: 0 })
    expect(progress({ state: 'failed', sent_at: 'x' })).toEqual({ steps: ['queued', 'sent', 'failed'], active: 2, end: 'failed' })
    expect(progress({ state: 'refused' }).steps).toEqual(['queued', 'refused'])
    expect(progress({ state: 'rejected' }, true).steps).toEqual(['awaiting_approval', 'rejected'])
  })
})
