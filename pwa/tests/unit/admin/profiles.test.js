// The console's device profiles page: the list (source, version, kinds, controls), and a
// system administrator's upload whose refusal lists every error on its own line, each
// naming its field; an admin sees the list but cannot upload.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import Vant from 'vant'
import { ApiError, configureApi, setSession } from '../../../src/api/client.js'
import { setLocale, t } from '../../../src/i18n/index.js'
import { makeRouter } from '../../../src/router.js'
import { profileErrorLines } from '../../../src/admin/lib/format.js'
import { useAuthStore } from '../../../src/stores/auth.js'
import AdminProfiles from '../../../src/admin/views/AdminProfiles.vue'
import { fakeJwt, json, mockFetch } from '../helpers.js'

vi.mock('vant', async (orig) => ({ ...(await orig()), showSuccessToast: vi.fn() }))

const BUILTIN = { name: 'gw-breaker', model: 'GW-MCB-IoT', vendor: 'GridWarden', kinds: ['breaker'], source: 'builtin',
  version: null, uploaded_at: null, uploaded_by: null, controls: ['close', 'open', 'reset'], settings: 16, metrics: 27, errors: null }
const ACME = { ...BUILTIN, name: 'acme-mcb', model: 'ACME MCB-2', vendor: null, source: 'uploaded', version: 1,
  uploaded_at: '2026-12-01T10:00:00Z', uploaded_by: 'root', controls: ['close', 'open'], settings: 0, metrics: 2 }
const ERRORS = ["metrics.voltage_a.type: must be one of u16, i16, u32, i32, f32 (got 'u17')",
  'controls.open.table2: unknown field (allowed: address, confirm, description, table, value)']

let pinia
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  setLocale('zh-CN')
  configureApi({ notify: vi.fn(), onExpired: vi.fn() })
})
function mountAs(user, handler) {
  setSession({ access: fakeJwt(String(user.id)), refresh: 'r', user })
  useAuthStore().user = user
  const calls = mockFetch(handler)
  const w = mount(AdminProfiles, { global: { plugins: [pinia, makeRouter(createMemoryHistory()), Vant],
    config: { globalProperties: { $t: t } } } })
  return { w, calls }
}

describe('profile errors', () => {
  it('one line per error, each naming its field', () => {
    expect(profileErrorLines(new ApiError({ status: 422, error: 'profile_invalid', errors: { profile: ERRORS } }))).toEqual(ERRORS)
    expect(profileErrorLines(new ApiError({ status: 422, error: 'profile_invalid',
      errors: { name: ['required: lower-case letters, digits, - and _ (at most 64)'] } })))
      .toEqual(['name: required: lower-case letters, digits, - and _ (at most 64)'])
    expect(profileErrorLines(new ApiError({ status: 409, error: 'profile_builtin' }))).toEqual([])
  })
})

describe('AdminProfiles', () => {
  it('lists the profiles; a refused upload shows each error, a good one is listed', async () => {
    let listed = [BUILTIN]
    const bodies = []
    const { w } = mountAs({ id: 1, username: 'root', role: 'admin', is_superadmin: true }, (url, init) => {
      if (url === '/api/v1/device-profiles' && (init.method || 'GET') === 'GET') return json(200, listed)
      bodies.push([init.headers['Content-Type'], init.body])
      if (String(init.body).includes('u17')) {
        return json(422, { code: 422, error: 'profile_invalid', message: 'acme-mcb: 2 error(s)', errors: { profile: ERRORS } })
      }
      listed = [BUILTIN, ACME]
      return json(201, ACME)
    })
    await flushPromises()
    const row = w.get('tr[data-row=gw-breaker]')
    expect(row.text()).toContain('内置')
    expect(row.text()).toContain('智能断路器')
    expect(row.text()).toContain('合闸、分闸、复位')
    await w.get('[data-test=profile-text]').setValue('name: acme-mcb\n  voltage_a: {type: u17}\n')
    await w.get('[data-test=profile-submit]').trigger('click')
    await flushPromises()
    expect(w.get('[data-test=profile-errors]').attributes('data-error')).toBe('profile_invalid')
    expect(w.findAll('[data-test=profile-error]').map((li) => li.text())).toEqual(ERRORS)
    await w.get('[data-test=profile-text]').setValue('name: acme-mcb\n')
    expect(w.find('[data-test=profile-errors]').exists()).toBe(false) // edited: the old errors go
    await w.get('[data-test=profile-submit]').trigger('click')
    await flushPromises()
    expect(bodies.map((b) => b[0])).toEqual(['application/yaml', 'application/yaml'])
    const acme = w.get('tr[data-row=acme-mcb]')
    expect(acme.text()).toContain('上传')
    expect(w.get('[data-profile=acme-mcb]').attributes('data-version')).toBe('1')
  })

  it('an admin sees the list, not the upload', async () => {
    const { w } = mountAs({ id: 2, username: 'adm', role: 'admin' }, () => json(200, [BUILTIN]))
    await flushPromises()
    expect(w.find('tr[data-row=gw-breaker]').exists()).toBe(true)
    expect(w.find('[data-test=profile-submit]').exists()).toBe(false)
    expect(w.find('[data-test=profile-super-only]').exists()).toBe(true)
  })
})
