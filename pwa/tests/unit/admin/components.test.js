import { beforeEach, describe, expect, it, vi } from 'vitest'
import { reactive } from 'vue'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import Vant from 'vant'
import { configureApi, setSession } from '../../../src/api/client.js'
import { setLocale, t } from '../../../src/i18n/index.js'
import { makeRouter } from '../../../src/router.js'
import { RESOURCES, initialValues } from '../../../src/admin/api/resources.js'
import { useAuthStore } from '../../../src/stores/auth.js'
import { useSiteStore } from '../../../src/stores/site.js'
import RecordForm from '../../../src/admin/components/RecordForm.vue'
import CrudPanel from '../../../src/admin/components/CrudPanel.vue'
import ImportReport from '../../../src/admin/components/ImportReport.vue'
import { fakeJwt, json, mockFetch } from '../helpers.js'

vi.mock('vant', async (orig) => ({ ...(await orig()), showConfirmDialog: vi.fn(() => Promise.resolve()), showSuccessToast: vi.fn() }))

let pinia
let router
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  setLocale('zh-CN')
  setSession(null)
  configureApi({ notify: vi.fn(), onExpired: vi.fn() })
  router = makeRouter(createMemoryHistory())
})
const opts = () => ({ global: { plugins: [pinia, router, Vant], config: { globalProperties: { $t: t } } } })
const login = (user) => {
  setSession({ access: fakeJwt(String(user.id)), refresh: 'r', user })
  useAuthStore().user = user
}

describe('admin components', () => {
  it('RecordForm shows the fields of a scope and the API message under each field', async () => {
    const values = reactive(initialValues(RESOURCES.rules))
    const w = mount(RecordForm, { ...opts(), props: { fields: RESOURCES.rules.fields, values,
      errors: { device_id: 'is required when scope is device' }, message: '输入有误' } })
    expect(w.find('[data-field=device_id]').exists()).toBe(false) // scope site: no device field
    values.scope = 'device'
    await flushPromises()
    expect(w.get('[data-field=device_id] [data-test=field-error]').text()).toBe('is required when scope is device')
    expect(w.get('[data-test=form-error]').text()).toBe('输入有误')
    await w.get('form').trigger('submit')
    expect(w.emitted('submit')).toHaveLength(1)
  })

  it('CrudPanel lists the site\'s boards and shows why a delete is refused', async () => {
    login({ id: 1, role: 'admin' })
    useSiteStore().$patch({ sites: [{ id: 4, code: 'S', name: 'S' }] })
    useSiteStore().select(4)
    const fetch = mockFetch((url, init) => {
      if (init.method === 'DELETE') {
        return json(409, { code: 409, error: 'has_dependents', message: 'board AA1 is still used by 7 circuits' })
      }
      return json(200, [{ id: 7, site_id: 4, code: 'AA1', name: '总柜', level: 1 }], { 'X-Pagination': '{"total": 1}' })
    })
    const w = mount(CrudPanel, { ...opts(), props: { resource: 'boards' } })
    await flushPromises()
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/boards?site_id=4&page=1&page_size=20')
    expect(w.get('tr[data-row=AA1]').text()).toContain('总柜')
    expect(w.get('[data-test=total]').text()).toBe('共 1 条')
    await w.get('tr[data-row=AA1] [data-test=row-delete]').trigger('click')
    await flushPromises()
    expect(w.get('[data-test=dependency-message]').text()).toContain('board AA1 is still used by 7 circuits')
  })

  it('ImportReport shows the counts per kind', () => {
    const w = mount(ImportReport, { ...opts(), props: { report: { dry_run: true, site_code: 'DC-DEMO',
      created: { site: 1, circuits: 20 }, updated: { circuits: 0 }, unchanged: {} } } })
    expect(w.get('tr[data-kind=circuits] td.c').text()).toBe('20')
    expect(w.text()).toContain('试运行')
  })

  it('only admins may open /admin', async () => {
    login({ id: 2, role: 'staff' })
    await router.push('/admin/users')
    expect(router.currentRoute.value.name).toBe('overview')
    login({ id: 3, role: 'manager', is_superadmin: true })
    await router.push('/admin/cockpit')
    expect(router.currentRoute.value.name).toBe('admin-cockpit')
  })
})
