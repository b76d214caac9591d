// Web Push: the server's VAPID key and this browser's subscription.
import { api } from './client.js'

export function webpushPublicKey() {
  return api.get('/webpush/public-key')
}

/** ``subscription``: PushSubscription.toJSON(). */
export function addWebpushSubscription(subscription) {
  return api.post('/me/webpush-subscriptions', subscription)
}

export function removeWebpushSubscription(endpoint) {
  return api.del('/me/webpush-subscriptions', { query: { endpoint } })
}
