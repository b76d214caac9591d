import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { configureApi, setSession } from '../../src/api/client.js'
import { disablePush, enablePush, keyBytes } from '../../src/lib/push.js'
import { fakeJwt, json, mockFetch } from './helpers.js'

const KEY = 'BAECAwQ' // base64url of [4, 1, 2, 3, 4]
let sub
let pushManager
const saved = {}

beforeEach(() => {
  setSession({ access: fakeJwt('3'), refresh: 'r', user: { id: 3 } })
  configureApi({ notify: vi.fn(), onExpired: vi.fn() })
  sub = {
    endpoint: 'https://push.example/abc', options: { applicationServerKey: keyBytes(KEY).buffer },
    toJSON: () => ({ endpoint: 'https://push.example/abc', expirationTime: null, keys: { p256dh: 'p', auth: 'a' } }),
    unsubscribe: vi.fn(async () => true),
  }
  pushManager = { getSubscription: vi.fn(async () => null), subscribe: vi.fn(async () => sub) }
  const reg = { pushManager }
  saved.sw = Object.getOwnPropertyDescriptor(navigator, 'serviceWorker')
  Object.defineProperty(navigator, 'serviceWorker', { configurable: true,
    value: { ready: Promise.resolve(reg), getRegistration: async () => reg } })
  globalThis.PushManager = window.PushManager = class {}
  globalThis.Notification = window.Notification = { permission: 'default', requestPermission: vi.fn(async () => 'granted') }
})
afterEach(() => {
  if (saved.sw) Object.defineProperty(navigator, 'serviceWorker', saved.sw)
  else delete navigator.serviceWorker
  delete window.PushManager
  delete window.Notification
})

describe('web push opt-in', () => {
  it('asks permission, subscribes with the VAPID key and saves the subscription', async () => {
    const fetch = mockFetch((url) => (url.endsWith('/webpush/public-key') ? json(200, { public_key: KEY }) : json(201, { id: 1 })))
    await enablePush()
    expect(Notification.requestPermission).toHaveBeenCalled()
    const opts = pushManager.subscribe.mock.calls[0][0]
    expect(opts.userVisibleOnly).toBe(true)
    expect(Array.from(opts.applicationServerKey)).toEqual([4, 1, 2, 3, 4])
    const [url, init] = fetch.mock.calls.at(-1)
    expect(url).toBe('/api/v1/me/webpush-subscriptions')
    expect(JSON.parse(init.body)).toEqual(sub.toJSON())
  })

  it('refuses without permission or without a server key', async () => {
    mockFetch(() => json(200, { public_key: null }))
    await expect(enablePush()).rejects.toMatchObject({ code: 'unavailable' })
    Notification.requestPermission = vi.fn(async () => 'denied')
    await expect(enablePush()).rejects.toMatchObject({ code: 'denied' })
    expect(pushManager.subscribe).not.toHaveBeenCalled()
  })

  it('unsubscribes: the server forgets the endpoint, the browser the subscription', async () => {
    pushManager.getSubscription = vi.fn(async () => sub)
    const fetch = mockFetch(() => new Response(null, { status: 204 }))
    await disablePush()
    const [url, init] = fetch.mock.calls[0]
    expect(init.method).toBe('DELETE')
    expect(url).toBe('/api/v1/me/webpush-subscriptions?endpoint=https%3A%2F%2Fpush.example%2Fabc')
    expect(sub.unsubscribe).toHaveBeenCalled()
  })
})
