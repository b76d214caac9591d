// The admin console: who may use it, and the current site's records that forms offer as
// choices (areas, rooms, boards, circuits, gateways, KNX gateways, devices, users) plus the rule catalogue.
import { defineStore } from 'pinia'
import { resourceApi, ruleCatalogue } from '../api/admin.js'
import { useAuthStore } from '../../stores/auth.js'
import { useSiteStore } from '../../stores/site.js'
import { useFacilityStore } from '../../stores/facility.js'

export const LOOKUPS = ['areas', 'rooms', 'boards', 'circuits', 'gateways', 'knx_gateways', 'devices']

/** Admins and system administrators use the console. */
export function isAdmin(user) {
  return !!user && (user.is_superadmin || user.role === 'admin')
}

export const useAdminStore = defineStore('admin', {
  state: () => ({
    lookupSite: null,
    lookups: { areas: [], rooms: [], boards: [], circuits: [], gateways: [], knx_gateways: [], devices: [], users: [] },
    catalogue: [],
  }),
  getters: {
    allowed: () => isAdmin(useAuthStore().user),
    superadmin: () => !!useAuthStore().user?.is_superadmin,
    siteId: () => useSiteStore().currentId,
    /** ``{value, text}`` choices of a lookup (or of the sites / the rule catalogue). */
    options: (s) => (key) => {
      if (key === 'sites') return useSiteStore().sites.map((x) => ({ value: x.id, text: `${x.name} (${x.code})` }))
      if (key === 'rules') return s.catalogue.map((r) => ({ value: r.key, text: `${r.zh} / ${r.en}` }))
      if (key === 'users') return s.lookups.users.map((u) => ({ value: u.id, text: u.display_name ? `${u.display_name} (${u.username})` : u.username }))
      return (s.lookups[key] || []).map((x) => ({ value: x.id, text: `${x.code} ${x.name}` }))
    },
    /** The text shown for ``id`` of a lookup. */
    label() {
      return (key, id) => {
        if (id === null || id === undefined) return ''
        if (Array.isArray(id)) return id.map((x) => this.label(key, x)).join('、')
        return this.options(key).find((o) => o.value === id)?.text ?? `#${id}`
      }
    },
  },
  actions: {
    async loadLookups(siteId = this.siteId, force = false) {
      if (!siteId || (!force && siteId === this.lookupSite)) return
      const q = { site_id: siteId }
      const lists = await Promise.all([...LOOKUPS.map((k) => resourceApi(k).all(q)), resourceApi('users').all(q)])
      if (siteId !== this.siteId) return
      LOOKUPS.forEach((k, i) => { this.lookups[k] = lists[i] })
      this.lookups.users = lists[LOOKUPS.length]
      this.lookupSite = siteId
    },
    async loadCatalogue() {
      if (!this.catalogue.length) this.catalogue = await ruleCatalogue()
      return this.catalogue
    },
    /** After a write: fresh choices, and the topology the facility page draws. */
    async changed(resource) {
      const siteId = this.siteId
      if (resource === 'sites') await useSiteStore().load()
      await this.loadLookups(siteId, true)
      if (siteId) useFacilityStore().load(siteId).catch(() => {})
    },
    reset() {
      this.lookupSite = null
      for (const k of Object.keys(this.lookups)) this.lookups[k] = []
    },
  },
})
