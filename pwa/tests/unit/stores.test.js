import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { configureApi, getSession, setSession } from '../../src/api/client.js'
import { getCached, setCacheOwner } from '../../src/api/cache.js'
import { useAuthStore } from '../../src/stores/auth.js'
import { useSiteStore } from '../../src/stores/site.js'
import { useFacilityStore } from '../../src/stores/facility.js'
import { useNetStore } from '../../src/stores/net.js'
import { FOLLOW_MS, useCommandsStore } from '../../src/stores/commands.js'
import { fakeJwt, json, mockFetch } from './helpers.js'
import { cell, latest, topology } from './fixtures.js'

beforeEach(() => {
  setActivePinia(createPinia())
  setSession(null)
  configureApi({ notify: vi.fn(), onExpired: vi.fn(), onFresh: null, onStale: null, onOffline: null })
})

describe('auth store', () => {
  it('logs in, keeps the pair, logs out and forgets cached data', async () => {
    const user = { id: 3, username: 'boss', role: 'manager', is_superadmin: false }
    const fetch = mockFetch((url) => {
      if (url.endsWith('/auth/login')) return json(200, { access_token: fakeJwt('3'), refresh_token: 'r', user })
      if (url.endsWith('/auth/logout')) return new Response(null, { status: 204 })
      return json(200, [{ id: 1 }])
    })
    const auth = useAuthStore()
    await auth.login('boss', 'pw')
    expect(auth.loggedIn).toBe(true)
    expect(auth.roleKey).toBe('manager')
    expect(getSession().refresh).toBe('r')
    const { api } = await import('../../src/api/client.js')
    await api.get('/sites', { cache: true })
    expect(getCached('/sites')).not.toBeNull()
    await auth.logout()
    expect(fetch.mock.calls.at(-1)[0]).toBe('/api/v1/auth/logout')
    expect(auth.loggedIn).toBe(false)
    expect(getSession()).toBeNull()
    setCacheOwner(3)
    expect(getCached('/sites')).toBeNull()
  })
})

describe('site store', () => {
  it('selects the first site, keeps a valid choice across reloads', async () => {
    setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1 } })
    mockFetch(() => json(200, [{ id: 4, name: 'A' }, { id: 9, name: 'B' }]))
    const site = useSiteStore()
    await site.load()
    expect(site.currentId).toBe(4)
    expect(site.several).toBe(true)
    site.select(9)
    setActivePinia(createPinia())
    const again = useSiteStore()
    await again.load()
    expect(again.current.name).toBe('B')
  })

  it('refresh reads the list again only once it is older than asked', async () => {
    setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1 } })
    const fetch = mockFetch(() => json(200, [{ id: 4, name: 'A' }]))
    const site = useSiteStore()
    await site.load()
    const list = site.sites
    await site.refresh(60_000)
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(site.sites).toBe(list) // the same list: the picker is not re-rendered
    site.loadedAt -= 61_000
    await site.refresh(60_000)
    expect(fetch).toHaveBeenCalledTimes(2)
  })
})

describe('facility store', () => {
  function serve() {
    return mockFetch((url) => {
      if (url.includes('/topology')) return json(200, topology)
      if (url.includes('/latest')) return json(200, Object.values(latest()))
      if (url.includes('online=true')) return json(200, [{}], { 'X-Pagination': '{"total": 3}' })
      if (url.includes('online=false')) return json(200, [{}], { 'X-Pagination': '{"total": 1}' })
      return json(200, [{}], { 'X-Pagination': '{"total": 6}' })
    })
  }

  it('loads topology, latest values and counts from the status API', async () => {
    setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1 } })
    serve()
    const f = useFacilityStore()
    await f.load(1)
    expect(f.counts).toEqual({ online: 3, offline: 1, total: 6 })
    expect(f.sitePower).toBe(50)
    expect(f.powerSeries).toHaveLength(1)
  })

  it('applies live readings and status changes of its own site only', async () => {
    setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1 } })
    serve()
    const f = useFacilityStore()
    await f.load(1)
    f.applyReading({ site_id: 2, devices: [{ device_id: 100, values: { active_power: cell(999) } }] })
    expect(f.sitePower).toBe(50)
    f.applyReading({ site_id: 1, devices: [{ device_id: 100, values: { active_power: cell(61.5) } }] })
    expect(f.sitePower).toBe(61.5)
    expect(f.powerSeries.at(-1)[1]).toBe(61.5)
    expect(f.latest[100].values.active_power.v).toBe(61.5)
    f.applyStatus({ site_id: 1, device_id: 101, online: false })
    expect(f.latest[101].online).toBe(false)
  })
})

describe('net store', () => {
  it('remembers when the data on screen is from', () => {
    const net = useNetStore()
    net.fresh(1000)
    net.fromCache(500)
    expect(net).toMatchObject({ offline: true, stale: true, lastUpdated: 1000 })
    net.fresh(2000)
    expect(net).toMatchObject({ offline: false, stale: false, lastUpdated: 2000 })
  })
})

describe('live chart seed', () => {
  it('starts the power series with the site meter history', async () => {
    setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1 } })
    const t0 = Date.now() - 600e3
    mockFetch((url) => {
      if (url.includes('/history')) {
        expect(url).toContain('/devices/100/history?metrics=active_power')
        return json(200, { bucket: '1m', series: { active_power: { unit: 'kW', points: [
          { ts: new Date(t0).toISOString(), v: 40, n: 3 }, { ts: new Date(t0 + 60e3).toISOString(), v: 44.444, n: 3 }] } } })
      }
      if (url.includes('/topology')) return json(200, topology)
      if (url.includes('/latest')) return json(200, Object.values(latest()))
      return json(200, [], { 'X-Pagination': '{"total": 0}' })
    })
    const f = useFacilityStore()
    await f.load(1)
    await vi.waitFor(() => expect(f.powerSeries).toHaveLength(3))
    expect(f.powerSeries.map((p) => p[1])).toEqual([40, 44.44, 50])
  })
})

describe('commands store follow', () => {
  beforeEach(() => setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1 } }))

  it('fetches a command on its way until it settles, then stops', async () => {
    vi.useFakeTimers()
    try {
      const states = ['sent', 'confirmed']
      const fetch = mockFetch((url) => (url.endsWith('/commands/7')
        ? json(200, { id: 7, site_id: 1, device_id: 3, action: 'on', state: states.shift() || 'confirmed' })
        : json(404, {})))
      const commands = useCommandsStore()
      commands.apply({ id: 7, site_id: 1, device_id: 3, action: 'on', state: 'queued' })
      const stop = commands.follow(7)
      expect(fetch).not.toHaveBeenCalled() // the stream has the first FOLLOW_MS to itself
      await vi.advanceTimersByTimeAsync(FOLLOW_MS)
      expect(commands.byId[7].state).toBe('sent')
      await vi.advanceTimersByTimeAsync(FOLLOW_MS)
      expect(commands.byId[7].state).toBe('confirmed')
      await vi.advanceTimersByTimeAsync(FOLLOW_MS * 3)
      expect(fetch).toHaveBeenCalledTimes(2) // settled: no more fetches
      stop()
    } finally {
      vi.useRealTimers()
    }
  })

  it('does not poll a command that waits for an approver, and stops when told', async () => {
    vi.useFakeTimers()
    try {
      const fetch = mockFetch(() => json(200, { id: 8, site_id: 1, device_id: 3, state: 'sent' }))
      const commands = useCommandsStore()
      commands.apply({ id: 9, site_id: 1, device_id: 3, state: 'awaiting_approval' })
      commands.follow(9)
      commands.apply({ id: 8, site_id: 1, device_id: 3, state: 'sent' })
      const stop = commands.follow(8)
      stop()
      await vi.advanceTimersByTimeAsync(FOLLOW_MS * 3)
      expect(fetch).not.toHaveBeenCalled()
    } finally {
      vi.useRealTimers()
    }
  })
})
