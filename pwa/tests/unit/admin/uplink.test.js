// 上传链路 (AdminUplink.vue, docs/sitelink.md): a stopped site box shows the centre's
// refusal and resumes; at the centre a new credential's token is shown once and revoke
// sends the DELETE.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import Vant from 'vant'
import { configureApi, setSession } from '../../../src/api/client.js'
import { setLocale, t } from '../../../src/i18n/index.js'
import { makeRouter } from '../../../src/router.js'
import { useAuthStore } from '../../../src/stores/auth.js'
import { useSiteStore } from '../../../src/stores/site.js'
import AdminUplink from '../../../src/admin/views/AdminUplink.vue'
import { fakeJwt, json, mockFetch } from '../helpers.js'

vi.mock('vant', async (orig) => ({ ...(await orig()), showSuccessToast: vi.fn() }))

const STOPPED = { role: 'site', state: 'stopped', backlog: 12, oldest_unsent_seconds: 95.2, last_seq: 12, acked_seq: 3,
  last_error: "item 4: unknown device code 'PM-NEW'", error_seq: 4, last_ack_at: '2026-12-02T10:00:00Z',
  last_attempt_at: '2026-12-02T10:01:00Z', central_url: 'https://centre' }
const LINK = { site_id: 1, remote: true, state: 'up', watermark: 3, received: 3, last_batch_at: '2026-12-02T10:00:00Z',
  last_error: null, error_seq: null }
const CRED = { id: 7, site_id: 1, prefix: 'gwst_abcdefg', created_at: '2026-12-02T09:00:00Z', revoked_at: null, active: true }

let pinia
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  setLocale('zh-CN')
  configureApi({ notify: vi.fn(), onExpired: vi.fn() })
})

function mountWith(handler) {
  const user = { id: 1, username: 'root', role: 'admin', is_superadmin: true }
  setSession({ access: fakeJwt('1'), refresh: 'r', user })
  useAuthStore().user = user
  const site = useSiteStore()
  site.sites = [{ id: 1, code: 'DC-DEMO', name: '示范所' }]
  site.currentId = 1
  const calls = mockFetch(handler)
  const w = mount(AdminUplink, { global: { plugins: [pinia, makeRouter(createMemoryHistory()), Vant],
    config: { globalProperties: { $t: t } } } })
  return { w, calls }
}

describe('AdminUplink', () => {
  it('a stopped site box shows why, in Chinese first, and resumes', async () => {
    let status = STOPPED
    const seen = []
    const { w } = mountWith((url, init) => {
      seen.push(`${init?.method || 'GET'} ${url}`)
      if (url.endsWith('/uplink/resume')) { status = { ...STOPPED, state: 'down' }; return json(200, status) }
      if (url.endsWith('/uplink/status')) return json(200, status)
      if (url.endsWith('/uplink')) return json(200, LINK)
      return json(200, [])
    })
    await flushPromises()
    expect(w.find('[data-test=uplink-state]').text()).toBe('已停止')
    expect(w.find('[data-test=uplink-backlog]').text()).toBe('12')
    expect(w.find('[data-test=uplink-error]').text()).toContain("unknown device code 'PM-NEW'")
    await w.find('[data-test=uplink-resume]').trigger('click')
    await flushPromises()
    expect(seen).toContain('POST /api/v1/uplink/resume')
    expect(w.find('[data-test=uplink-state]').text()).toBe('中断')
    expect(w.find('[data-test=uplink-resume]').exists()).toBe(false)
  })

  it('at the centre: the token shown once, revoke sends the DELETE', async () => {
    let creds = []
    const seen = []
    const { w } = mountWith((url, init) => {
      const method = init?.method || 'GET'
      seen.push(`${method} ${url}`)
      if (url.endsWith('/uplink/status')) return json(200, { ...STOPPED, role: 'central', state: 'idle' })
      if (url.endsWith('/sites/1/uplink')) return json(200, LINK)
      if (url.endsWith('/credentials') && method === 'POST') { creds = [CRED]; return json(201, { ...CRED, token: 'gwst_abcdefg-secret' }) }
      if (url.endsWith('/credentials/7') && method === 'DELETE') { creds = [{ ...CRED, active: false, revoked_at: '2026-12-02T11:00:00Z' }]; return json(200, creds) }
      return json(200, creds)
    })
    await flushPromises()
    expect(w.find('[data-test=uplink-box]').text()).toContain('GW_ROLE=central')
    await w.find('[data-test=uplink-create]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test=uplink-token]').text()).toContain('gwst_abcdefg-secret')
    await w.find('[data-test=uplink-credential] .van-button').trigger('click')
    await flushPromises()
    expect(seen).toContain('DELETE /api/v1/sites/1/credentials/7')
    expect(w.find('[data-test=uplink-credential]').text()).toContain('已吊销')
  })

  it('a site box shows a local change against the centre\'s and resolves it', async () => {
    const conflict = { username: 'bob', conflict: true, central_version: 4,
      fields: { role: { local: 'manager', central: 'admin' }, display_name: { local: 'bob', central: 'Bob B.' } } }
    let config = { version: 4, applied_at: '2026-12-03T08:00:00Z', checked_at: '2026-12-03T08:01:00Z', last_error: null,
      conflicts: 1, local_changes: [conflict] }
    const seen = []
    const { w } = mountWith((url, init) => {
      const method = init?.method || 'GET'
      seen.push(`${method} ${url} ${init?.body || ''}`)
      if (url.endsWith('/uplink/config/resolve')) { config = { ...config, conflicts: 0, local_changes: [] }; return json(200, { username: 'bob', keep: 'central', central_version: 4 }) }
      if (url.endsWith('/uplink/status')) return json(200, { ...STOPPED, state: 'up', config })
      if (url.endsWith('/sites/1/uplink')) return json(200, { ...LINK, config_version: 4, site_config_version: 3, site_config_conflicts: 1 })
      return json(200, [])
    })
    await flushPromises()
    expect(w.find('[data-test=config-version]').text()).toBe('4')
    const rows = w.findAll('[data-test=config-change]')
    expect(rows).toHaveLength(2)
    expect(rows[0].text()).toContain('冲突')
    expect(rows[0].text()).toContain('manager')
    expect(rows[0].text()).toContain('admin')
    expect(w.find('[data-test=link-config]').text()).toContain('3')
    expect(w.find('[data-test=link-config]').text()).toContain('站点有 1 个冲突待处理')
    await w.find('[data-test=config-keep-central]').trigger('click')
    await flushPromises()
    expect(seen).toContain('POST /api/v1/uplink/config/resolve {"username":"bob","keep":"central"}')
    expect(w.findAll('[data-test=config-change]')).toHaveLength(0)
    expect(w.find('[data-test=uplink-config]').text()).toContain('无本地修改')
  })

  it('at the centre: every site\'s link, the troubled ones first', async () => {
    const sites = [
      { id: 1, code: 'DC-DEMO', name: '示范所', link: { ...LINK, state: 'up', last_batch_age_seconds: 4.2 } },
      { id: 2, code: 'KS-2', name: '二所', link: { ...LINK, state: 'down', watermark: 40, last_batch_age_seconds: 900, last_error: 'connection refused' } },
      { id: 3, code: 'KS-3', name: '三所', link: { remote: false, state: 'local', watermark: 0, last_batch_age_seconds: null } },
    ]
    const { w } = mountWith((url) => {
      if (url.endsWith('/uplink/status')) return json(200, { ...STOPPED, role: 'central', state: 'idle' })
      if (url.endsWith('/sites/1/uplink')) return json(200, LINK)
      if (url.includes('/sites?')) return json(200, sites)
      return json(200, [])
    })
    await flushPromises()
    const rows = w.findAll('[data-test=uplink-site]')
    expect(rows.map((r) => r.attributes('data-site'))).toEqual(['2', '1', '3'])
    expect(rows[0].text()).toContain('中断')
    expect(rows[0].text()).toContain('900 秒')
    expect(rows[0].text()).toContain('connection refused')
    expect(rows[1].text()).toContain('正常')
    expect(rows[2].text()).toContain('本地采集')
  })

  it('a rule changed at the box is listed by kind and key and resolved by them', async () => {
    const rule = { kind: 'alarm_rules', key: 'device|QF-AA1-WL1|over_temperature|alarm', conflict: true,
      central_version: 6, fields: { threshold: { local: 80, central: 90 } } }
    let config = { version: 6, applied_at: null, checked_at: null, last_error: null, conflicts: 1, local_changes: [rule] }
    const seen = []
    const { w } = mountWith((url, init) => {
      const method = init?.method || 'GET'
      seen.push(`${method} ${url} ${init?.body || ''}`)
      if (url.endsWith('/uplink/config/resolve')) { config = { ...config, conflicts: 0, local_changes: [] }; return json(200, { kind: 'alarm_rules', key: rule.key, keep: 'local', central_version: 6 }) }
      if (url.endsWith('/uplink/status')) return json(200, { ...STOPPED, state: 'up', config })
      return json(200, [])
    })
    await flushPromises()
    const rows = w.findAll('[data-test=config-change]')
    expect(rows).toHaveLength(1)
    expect(rows[0].text()).toContain('告警规则')
    expect(rows[0].text()).toContain('QF-AA1-WL1')
    expect(rows[0].text()).toContain('80')
    expect(rows[0].text()).toContain('90')
    await w.find('[data-test=config-keep-local]').trigger('click')
    await flushPromises()
    expect(seen).toContain(`POST /api/v1/uplink/config/resolve {"kind":"alarm_rules","key":"${rule.key}","keep":"local"}`)
    expect(w.findAll('[data-test=config-change]')).toHaveLength(0)
  })

  it('at the centre: every site\'s conflicts and the boxes\' local changes, Chinese first', async () => {
    const changes = [
      { site_id: 1, site_code: 'DC-DEMO', site_name: '示范所', kind: 'facility', key: 'devices:QF-AA1-WL2',
        conflict: false, since: '2026-12-03T09:00:00Z', reported_at: '2026-12-03T10:00:00Z',
        fields: { name: { local: '二监区（站点）', central: '二监区供电断路器' } } },
      { site_id: 1, site_code: 'DC-DEMO', site_name: '示范所', kind: 'facility', key: 'devices:QF-AA1-WL1',
        conflict: true, since: '2026-12-03T09:30:00Z', reported_at: '2026-12-03T10:00:00Z',
        fields: { name: { local: '一监区（站点）', central: '一监区（中心）' }, enabled: { local: false, central: true } } },
    ]
    const seen = []
    const { w } = mountWith((url) => {
      seen.push(url)
      if (url.endsWith('/uplink/status')) return json(200, { ...STOPPED, role: 'central', state: 'idle' })
      if (url.includes('/uplink/config/changes')) return json(200, changes)
      if (url.endsWith('/sites/1/uplink')) return json(200, { ...LINK, site_config_conflicts: 1, site_config_changes: changes })
      if (url.includes('/sites?')) return json(200, [{ id: 1, code: 'DC-DEMO', name: '示范所', link: { ...LINK, site_config_conflicts: 1 } }])
      return json(200, [])
    })
    await flushPromises()
    expect(seen.some((u) => u.includes('/api/v1/uplink/config/changes'))).toBe(true)
    expect(w.find('[data-test=uplink-sites]').text()).toContain('配置冲突')
    expect(w.find('[data-test=uplink-site-conflicts]').text()).toBe('1')
    const rows = w.findAll('[data-test=uplink-site-change]')
    expect(rows).toHaveLength(3)
    expect(rows[0].text()).toContain('冲突')                 // the conflict first
    expect(rows[0].text()).toContain('一监区（站点）')
    expect(rows[0].text()).toContain('一监区（中心）')
    expect(rows[0].text()).toContain('设施')
    expect(rows[2].text()).toContain('仅本地')
    expect(w.find('[data-test=uplink-site-changes]').text()).toContain('冲突在站点设备上处理')
    expect(w.find('[data-test=uplink-site-changes] .van-button').exists()).toBe(false)   // resolved at the box
  })
})
