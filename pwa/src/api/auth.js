// Logging in and out, and who is logged in (POST /auth/login, /auth/logout, GET /auth/me).
// The token pair itself is kept by the client (client.js); the refresh is the client's too.
import { api } from './client.js'

/** ``{access_token, refresh_token, user}``; sent without a token. */
export function login(username, password) {
  return api.post('/auth/login', { username, password }, { auth: false })
}

export function logout(opts) {
  return api.post('/auth/logout', undefined, opts)
}

export function me(opts) {
  return api.get('/auth/me', opts)
}
