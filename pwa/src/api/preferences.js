// The caller's preferences (GET/PUT /api/v1/me/preferences): the cockpit's cards.
import { api } from './client.js'

export function getPreferences(opts = {}) {
  return api.get('/me/preferences', opts)
}

/** ``body``: {cockpit_cards: [{key, hidden}]}. */
export function putPreferences(body, opts = {}) {
  return api.put('/me/preferences', body, opts)
}
