import { vi } from 'vitest'

/** A JWT-shaped token (unsigned) expiring ``inSeconds`` from now. */
export function fakeJwt(sub, inSeconds = 900) {
  const b64 = (o) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
  return `${b64({ alg: 'HS256' })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + inSeconds })}.sig`
}

export function json(status, body, headers = {}) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status, headers: { 'Content-Type': 'application/json', ...headers },
  })
}

/** fetch replaced by ``handler(url, init)`` returning a Response (or throwing). */
export function mockFetch(handler) {
  const fn = vi.fn(async (url, init = {}) => handler(String(url), init))
  globalThis.fetch = fn
  return fn
}
