import { beforeEach, describe, expect, it, vi } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { configureApi, setSession } from '../../../src/api/client.js'
import { crud, dependencyMessage, fieldErrors, importFacility, listAll, listPage } from '../../../src/admin/api/admin.js'
import { RESOURCES, initialValues, toBody } from '../../../src/admin/api/resources.js'
import { auditChanges, cellText } from '../../../src/admin/lib/format.js'
import { isAdmin, useAdminStore } from '../../../src/admin/stores/admin.js'
import { siteTiles } from '../../../src/admin/stores/cockpit.js'
import { useSiteStore } from '../../../src/stores/site.js'
import { setLocale } from '../../../src/i18n/index.js'
import { fakeJwt, json, mockFetch } from '../helpers.js'

beforeEach(() => {
  setActivePinia(createPinia())
  setLocale('zh-CN')
  setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1, role: 'admin' } })
  configureApi({ notify: vi.fn(), onExpired: vi.fn(), onFresh: null, onStale: null, onOffline: null })
})

const page = (items, total) => json(200, items, { 'X-Pagination': JSON.stringify({ total }) })

describe('admin API helpers', () => {
  it('reads a page with its X-Pagination total and walks every page', async () => {
    const fetch = mockFetch((url) => {
      const p = Number(new URL(url, 'http://x').searchParams.get('page'))
      return page(p === 1 ? [{ id: 1 }, { id: 2 }] : [{ id: 3 }], 3)
    })
    expect(await listPage('/boards', { site_id: 4 }, 1, 2)).toEqual({ items: [{ id: 1 }, { id: 2 }], total: 3 })
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/boards?site_id=4&page=1&page_size=2')
    expect((await listAll('/boards', {}, 2)).map((x) => x.id)).toEqual([1, 2, 3])
  })

  it('turns a 422 into per-field messages and a 409 into the dependency message', async () => {
    mockFetch((url, init) => (init.method === 'DELETE'
      ? json(409, { code: 409, error: 'has_dependents', message: 'board AA1 is still used by 7 circuits', errors: { dependents: { circuits: 7 } } })
      : json(422, { code: 422, error: 'validation_error', message: 'Invalid input: code', errors: { code: ['Length must be between 1 and 64.'], attributes: { x: ['bad'] } } })))
    const boards = crud('/boards')
    const e422 = await boards.create({ code: '' }).catch((e) => e)
    expect(fieldErrors(e422)).toEqual({ code: '长度须在 1 到 64 之间', attributes: 'x: bad' })   // marshmallow's, in Chinese
    const e409 = await boards.remove(9).catch((e) => e)
    expect(dependencyMessage(e409)).toBe('board AA1 is still used by 7 circuits')
    expect(fieldErrors(e409)).toEqual({})
    expect(dependencyMessage(e422)).toBeNull()
  })

  it('sends the YAML raw with the token, dry run first', async () => {
    const fetch = mockFetch(() => json(200, { dry_run: true, created: { circuits: 20 } }))
    const r = await importFacility('site: {code: X}\n', true)
    expect(r.created.circuits).toBe(20)
    const [url, init] = fetch.mock.calls[0]
    expect(url).toBe('/api/v1/facility/import?dry_run=true')
    expect(init.body).toBe('site: {code: X}\n')
    expect(init.headers['Content-Type']).toBe('application/yaml')
    expect(init.headers.Authorization).toMatch(/^Bearer /)
  })

  it('builds bodies the strict schemas accept', () => {
    const d = RESOURCES.devices
    const v = initialValues(d)
    Object.assign(v, { code: 'QF1', name: 'x', circuit_id: 5, unit_id: '3', rated_current: '' })
    const body = toBody(d, v, { siteId: 2 })
    expect(body).toMatchObject({ site_id: 2, code: 'QF1', kind: 'breaker', circuit_id: 5, unit_id: 3, rated_current: null })
    expect(Object.keys(body).every((k) => k === 'site_id' || d.fields.some((f) => f.key === k))).toBe(true)
    const u = RESOURCES.users
    const edit = toBody(u, initialValues(u, { username: 'a', role: 'staff', site_ids: [1], is_active: true }), { creating: false })
    expect(edit).not.toHaveProperty('password')
    expect(edit).not.toHaveProperty('username')
    const rule = toBody(RESOURCES.rules, { ...initialValues(RESOURCES.rules), scope: 'site', category: 'lighting', rule: 'overload' })
    expect(rule.category).toBeNull() // hidden unless scope is category
  })

  it('formats cells and audit changes', () => {
    expect(cellText({ key: 'kind', enum: 'deviceKind' }, { kind: 'breaker' }, () => '')).toBe('智能断路器')
    expect(cellText({ key: 'board_id', ref: 'boards' }, { board_id: 3 }, (k, id) => `${k}:${id}`)).toBe('boards:3')
    expect(auditChanges({ before: { name: 'a', level: 1 }, after: { name: 'b', level: 1 } })).toEqual([['name', 'a', 'b']])
  })
})

describe('admin stores', () => {
  it('lets admins and system administrators in, no one else', () => {
    expect(isAdmin({ role: 'admin' })).toBe(true)
    expect(isAdmin({ role: 'staff', is_superadmin: true })).toBe(true)
    expect(isAdmin({ role: 'manager' })).toBe(false)
    expect(isAdmin(null)).toBe(false)
  })

  it("loads the site's lookups and labels references", async () => {
    mockFetch((url) => {
      if (url.startsWith('/api/v1/boards')) return page([{ id: 7, code: 'AA1', name: '总柜' }], 1)
      if (url.startsWith('/api/v1/users')) return page([{ id: 2, username: 'li', display_name: '李' }], 1)
      return page([], 0)
    })
    useSiteStore().select(4)
    const admin = useAdminStore()
    await admin.loadLookups(4)
    expect(admin.options('boards')).toEqual([{ value: 7, text: 'AA1 总柜' }])
    expect(admin.label('boards', 7)).toBe('AA1 总柜')
    expect(admin.label('users', 2)).toBe('李 (li)')
    expect(admin.label('boards', 99)).toBe('#99')
  })

  it('cockpit tiles: online/offline totals, open alarms, site power', async () => {
    mockFetch((url) => {
      const u = new URL(url, 'http://x')
      if (u.pathname.endsWith('/device-status')) return page([{}], u.searchParams.get('online') === 'true' ? 12 : 3)
      if (u.pathname.endsWith('/alarms/counts')) return json(200, { warning: { active: 2, acknowledged: 1 }, alarm: { active: 1, acknowledged: 0 } })
      if (u.pathname.endsWith('/topology')) return json(200, { boards: [] })
      return json(200, [])
    })
    const t = await siteTiles(4)
    expect(t).toMatchObject({ online: 12, offline: 3, warnings: 3, alarms: 1 })
  })
})
