// Who is logged in. Tokens live in the API client (src/api/client.js).
import { defineStore } from 'pinia'
import { getSession, setSession } from '../api/client.js'
import * as authApi from '../api/auth.js'
import { clearCache, setCacheOwner } from '../api/cache.js'

export const useAuthStore = defineStore('auth', {
  state: () => ({ user: getSession()?.user ?? null }),
  getters: {
    loggedIn: (s) => s.user !== null,
    roleKey: (s) => (s.user?.is_superadmin ? 'superadmin' : s.user?.role || 'staff'),
  },
  actions: {
    init() {
      setCacheOwner(this.user?.id)
    },
    async login(username, password) {
      const body = await authApi.login(username, password)
      setSession({ access: body.access_token, refresh: body.refresh_token, user: body.user })
      setCacheOwner(body.user.id)
      this.user = body.user
      return body.user
    },
    async refreshMe() {
      const user = await authApi.me({ cache: true, toast: false })
      const s = getSession()
      if (s) setSession({ ...s, user })
      this.user = user
      return user
    },
    async logout() {
      if (getSession()) {
        try { await authApi.logout({ toast: false }) } catch { /* gone anyway */ }
      }
      this.forget()
      clearCache()
    },
    /** The session ended (logout, refused refresh, another tab logged out). */
    forget() {
      setSession(null)
      setCacheOwner(null)
      this.user = null
    },
  },
})
