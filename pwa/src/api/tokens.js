// The token pair and the user, kept in localStorage so a reload (or a second tab)
// stays logged in. Only this module touches that key.
const KEY = 'gw.auth'

export function loadSession() {
  try {
    const raw = localStorage.getItem(KEY)
    const s = raw ? JSON.parse(raw) : null
    return s && s.access && s.refresh ? s : null
  } catch {
    return null
  }
}

export function saveSession(session) {
  try { localStorage.setItem(KEY, JSON.stringify(session)) } catch { /* ignore */ }
}

export function clearSession() {
  try { localStorage.removeItem(KEY) } catch { /* ignore */ }
}

/** Expiry of a JWT in ms since the epoch (null when unreadable). No verification. */
export function tokenExpiry(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')
    const json = JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '=')))
    return typeof json.exp === 'number' ? json.exp * 1000 : null
  } catch {
    return null
  }
}

export const SESSION_KEY = KEY
