// The last good answer of each cached GET, per user, in localStorage: what the app shows
// when the network is gone (with a "last updated" banner). The service worker caches the
// app shell only: API answers are per user and must not outlive a logout.
const PREFIX = 'gw.cache.'
const MAX_BYTES = 1_500_000 // one entry; bigger answers are simply not kept

let owner = 'anon'

export function setCacheOwner(userId) {
  owner = userId == null ? 'anon' : String(userId)
}

function key(path) {
  return `${PREFIX}${owner}:${path}`
}

export function putCached(path, entry) {
  try {
    const text = JSON.stringify({ ...entry, at: entry.at ?? Date.now() })
    if (text.length > MAX_BYTES) return
    localStorage.setItem(key(path), text)
  } catch { /* quota: keep going without it */ }
}

export function getCached(path) {
  try {
    const raw = localStorage.getItem(key(path))
    return raw ? JSON.parse(raw) : null
  } catch {
    return null
  }
}

/** Forget every cached answer (all users): on logout. */
export function clearCache() {
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i)
      if (k && k.startsWith(PREFIX)) localStorage.removeItem(k)
    }
  } catch { /* ignore */ }
}
