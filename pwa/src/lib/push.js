// Web Push opt-in: permission, PushManager subscription with the server's VAPID key
// (GET /webpush/public-key), saved with POST /me/webpush-subscriptions; and the way out.
import { addWebpushSubscription, removeWebpushSubscription, webpushPublicKey } from '../api/notify.js'

export function pushSupported() {
  return typeof window !== 'undefined' && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window
}

export function keyBytes(b64url) {
  const pad = '='.repeat((4 - (b64url.length % 4)) % 4)
  const raw = atob((b64url + pad).replace(/-/g, '+').replace(/_/g, '/'))
  return Uint8Array.from(raw, (c) => c.charCodeAt(0))
}

function sameKey(a, b) {
  if (!a) return false
  const x = new Uint8Array(a)
  return x.length === b.length && x.every((v, i) => v === b[i])
}

async function registration() {
  return navigator.serviceWorker.ready
}

/** This browser's subscription, or null. */
export async function currentSubscription() {
  if (!pushSupported()) return null
  const reg = await navigator.serviceWorker.getRegistration()
  return reg ? reg.pushManager.getSubscription() : null
}

export class PushError extends Error {
  constructor(code, message = code) { super(message); this.code = code }
}

/** Ask permission, subscribe and tell the server. Resolves the subscription. */
export async function enablePush() {
  if (!pushSupported()) throw new PushError('unsupported')
  const permission = await Notification.requestPermission()
  if (permission !== 'granted') throw new PushError('denied')
  const { public_key: publicKey } = await webpushPublicKey()
  if (!publicKey) throw new PushError('unavailable')
  const key = keyBytes(publicKey)
  const reg = await registration()
  let sub = await reg.pushManager.getSubscription()
  if (sub && !sameKey(sub.options?.applicationServerKey, key)) { await sub.unsubscribe(); sub = null }
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key })
  await addWebpushSubscription(sub.toJSON())
  return sub
}

/** Forget this browser's subscription, on the server and in the browser. */
export async function disablePush() {
  const sub = await currentSubscription()
  if (!sub) return
  await removeWebpushSubscription(sub.endpoint)
  await sub.unsubscribe()
}
