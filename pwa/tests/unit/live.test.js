// The live store's connection: a single-use ticket before each (re)connection, never a
// token in the EventSource URL (issue 18, item 9).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { configureApi, setSession } from '../../src/api/client.js'
import { useLiveStore } from '../../src/stores/live.js'
import { useCommandsStore } from '../../src/stores/commands.js'
import { useAlarmsStore } from '../../src/stores/alarms.js'
import { fakeJwt, json, mockFetch } from './helpers.js'

class FakeEventSource {
  static all = []
  constructor(url) {
    this.url = url
    this.readyState = 0
    this.listeners = {}
    this.closed = false
    FakeEventSource.all.push(this)
  }
  addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn) }
  emit(type, data, lastEventId = '') {
    for (const fn of this.listeners[type] || []) fn({ data: JSON.stringify(data), lastEventId })
  }
  close() { this.closed = true; this.readyState = 2 }
  get query() { return new URL(this.url, 'http://gw').searchParams }
}

let tickets
let access
function serve({ ticketStatus = 201, refreshOk = true } = {}) {
  tickets = 0
  return mockFetch((url, init) => {
    if (url.endsWith('/stream/ticket')) {
      expect(init.method).toBe('POST')
      expect(init.headers.Authorization).toBe(`Bearer ${access}`)
      if (ticketStatus !== 201) return json(ticketStatus, { error: 'token_revoked' })
      tickets++
      return json(201, { ticket: `t${tickets}`, expires_in: 30 })
    }
    if (url.endsWith('/auth/refresh')) {
      return refreshOk ? json(200, { access_token: access, refresh_token: 'r2' }) : json(401, {})
    }
    return json(404, { error: 'not_found' })
  })
}

/** Let the awaited fetches of ``connect`` settle. */
async function settle() {
  for (let i = 0; i < 10; i++) await Promise.resolve()
  await new Promise((r) => setTimeout(r, 0))
}

beforeEach(() => {
  setActivePinia(createPinia())
  FakeEventSource.all = []
  globalThis.EventSource = FakeEventSource
  access = fakeJwt('1')
  setSession({ access, refresh: 'r', user: { id: 1 } })
  configureApi({ notify: vi.fn(), onExpired: vi.fn(), onFresh: null, onStale: null, onOffline: null })
})
afterEach(() => {
  useLiveStore().disconnect()
  vi.useRealTimers()
  delete globalThis.EventSource
})

describe('live stream connection', () => {
  it('opens the stream with a fresh ticket, never the token', async () => {
    const fetch = serve()
    const live = useLiveStore()
    await live.connect(7)
    expect(fetch).toHaveBeenCalledTimes(1)
    const [es] = FakeEventSource.all
    expect(es.url.startsWith('/api/v1/stream?')).toBe(true)
    expect(es.query.get('ticket')).toBe('t1')
    expect(es.query.get('site_id')).toBe('7')
    expect(es.url).not.toContain('access_token')
    expect(es.url).not.toContain(access)
    es.onopen()
    expect(live.status).toBe('open')
  })

  it('catches up on the alarms raised between the page\'s snapshot and a new stream', async () => {
    const fetch = mockFetch((url) => {
      if (url.endsWith('/stream/ticket')) return json(201, { ticket: 't1', expires_in: 30 })
      if (url.includes('/alarms/counts')) return json(200, { warning: { active: 1, acknowledged: 0 } })
      if (url.includes('/alarms?')) return json(200, [{ id: 9, level: 'warning', state: 'active' }])
      return json(404, { error: 'not_found' })
    })
    const alarms = useAlarmsStore()
    alarms.siteId = 7
    const live = useLiveStore()
    await live.connect(7)
    FakeEventSource.all[0].onopen()
    await settle()
    expect(fetch.mock.calls.some(([u]) => u.includes('/alarms/counts'))).toBe(true)
    expect(alarms.counts.warning.active).toBe(1)
    expect(alarms.open[9]).toBe(true)
  })

  it('comes back after an error with a new ticket and the last event id', async () => {
    serve()
    const live = useLiveStore()
    await live.connect(7)
    const [first] = FakeEventSource.all
    first.onopen()
    first.emit('device_status', { site_id: 7, device_id: 1, online: true }, '5-0')
    vi.useFakeTimers()
    first.onerror()
    expect(first.closed).toBe(true)       // the browser must not retry with a spent ticket
    expect(live.status).toBe('closed')
    await vi.advanceTimersByTimeAsync(live.backoff)
    vi.useRealTimers()
    await settle()
    const second = FakeEventSource.all[1]
    expect(second.query.get('ticket')).toBe('t2')
    expect(second.query.get('last_event_id')).toBe('5-0')
    expect(FakeEventSource.all).toHaveLength(2)
  })

  it('reconnects at once with a new ticket when the server ends the stream', async () => {
    serve()
    const live = useLiveStore()
    await live.connect(7)
    const [first] = FakeEventSource.all
    first.emit('end', { reason: 'token_expired' })
    await settle()
    expect(first.closed).toBe(true)
    expect(FakeEventSource.all.map((e) => e.query.get('ticket'))).toEqual(['t1', 't2'])
  })

  it('stays idle when the session is over', async () => {
    serve({ ticketStatus: 401, refreshOk: false })
    const live = useLiveStore()
    await live.connect(7)
    expect(FakeEventSource.all).toHaveLength(0)
    expect(live.status).toBe('idle')
  })

  it('retries later when the ticket cannot be had', async () => {
    mockFetch(() => { throw new TypeError('network down') })
    const live = useLiveStore()
    vi.useFakeTimers()
    await live.connect(7)
    expect(FakeEventSource.all).toHaveLength(0)
    expect(live.status).toBe('closed')
    serve()
    await vi.advanceTimersByTimeAsync(1000)
    vi.useRealTimers()
    await settle()
    expect(FakeEventSource.all.map((e) => e.query.get('ticket'))).toEqual(['t1'])
  })

  it('hands command events to the commands store', async () => {
    serve()
    await useLiveStore().connect(7)
    const commands = useCommandsStore()
    commands.siteId = 7
    const [es] = FakeEventSource.all
    es.emit('command', { id: 3, site_id: 7, device_id: 5, action: 'open', state: 'queued' }, '9-0')
    es.emit('command', { id: 3, site_id: 7, device_id: 5, action: 'open', state: 'confirmed' }, '9-1')
    expect(commands.byId[3].state).toBe('confirmed')
    expect(commands.latestOf(5).id).toBe(3)
    expect(useLiveStore().lastEventId).toBe('9-1')
  })
})
