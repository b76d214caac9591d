// A site's site box link (docs/sitelink.md): the badge beside its name, the console's
// table order.
import { describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import Vant from 'vant'
import { setLocale, t } from '../../src/i18n/index.js'
import { actsHere, changeRows, deliveryNote, linkBadge, linkRows } from '../../src/lib/sitelink.js'
import LinkBadge from '../../src/components/LinkBadge.vue'

const link = (state, remote = true) => ({ remote, state, watermark: 9, last_batch_at: null,
  last_batch_age_seconds: null, last_error: null, error_seq: null })

describe('linkBadge', () => {
  it('shows a remote site\'s state, nothing for a site the centre polls', () => {
    expect(linkBadge(link('up'))).toEqual({ state: 'up', type: 'success', key: 'uplink.badge.up' })
    expect(linkBadge(link('down')).type).toBe('danger')
    expect(linkBadge(link('stopped')).type).toBe('danger')
    expect(linkBadge(link('local', false))).toBeNull()
    expect(linkBadge(null)).toBeNull()
    expect(linkBadge(undefined)).toBeNull()
  })

  it('orders the console\'s rows: stopped, down, up, local, then by name', () => {
    const rows = linkRows([
      { id: 1, code: 'A', name: '甲', link: link('local', false) },
      { id: 2, code: 'B', name: 'b', link: link('up') },
      { id: 3, code: 'C', name: 'a', link: link('up') },
      { id: 4, code: 'D', name: 'd', link: link('down') },
      { id: 5, code: 'E', name: 'e', link: link('stopped') },
      { id: 6, code: 'F', name: 'f' },
    ])
    expect(rows.map((r) => r.id)).toEqual([5, 4, 3, 2, 1, 6])
  })
})

describe('LinkBadge', () => {
  it('says the link in Chinese first, and in English', () => {
    setLocale('zh-CN')
    const w = mount(LinkBadge, { props: { link: link('down') }, global: { plugins: [Vant] } })
    expect(w.find('[data-test=link-badge]').text()).toBe('站点链路中断')
    expect(w.find('[data-test=link-badge]').attributes('data-state')).toBe('down')
    setLocale('en')
    const e = mount(LinkBadge, { props: { link: link('up') }, global: { plugins: [Vant] } })
    expect(e.text()).toBe('Site box link up')
    setLocale('zh-CN')
    const none = mount(LinkBadge, { props: { link: link('local', false) }, global: { plugins: [Vant] } })
    expect(none.find('[data-test=link-badge]').exists()).toBe(false)
  })
})

describe('the site picker and the cockpit ranking', () => {
  it('show each remote site\'s link beside its name, read again on each refresh', async () => {
    const { flushPromises } = await import('@vue/test-utils')
    const { createPinia, setActivePinia } = await import('pinia')
    const { configureApi, setSession } = await import('../../src/api/client.js')
    const { useSiteStore } = await import('../../src/stores/site.js')
    const { fakeJwt, json, mockFetch } = await import('./helpers.js')
    const SiteRanking = (await import('../../src/components/cockpit/SiteRanking.vue')).default
    const SiteSwitcher = (await import('../../src/components/SiteSwitcher.vue')).default
    const pinia = createPinia()
    setActivePinia(pinia)
    setLocale('zh-CN')
    configureApi({ notify: () => {}, onExpired: () => {} })
    setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1, username: 'u', role: 'manager' } })
    const site = useSiteStore()
    site.sites = [{ id: 1, code: 'A', name: '一所', link: link('up') },
      { id: 2, code: 'B', name: '二所', link: link('local', false) }]
    const now = [{ id: 1, code: 'A', name: '一所', link: link('down') },      // the link went down
      { id: 2, code: 'B', name: '二所', link: link('local', false) }]
    mockFetch((url) => url.includes('/energy/overview')
      ? json(200, { sites: [{ site_id: 1, name: '一所', today_kwh: 10 }, { site_id: 2, name: '二所', today_kwh: 5 }] })
      : url.includes('/sites') ? json(200, now) : json(200, { alarm: { active: 0 } }))
    const w = mount(SiteRanking, { global: { plugins: [pinia, Vant] } })
    await flushPromises()
    const rows = w.findAll('[data-test=rank-row]')
    expect(rows[0].find('[data-test=link-badge]').text()).toBe('站点链路中断')
    expect(rows[1].find('[data-test=link-badge]').exists()).toBe(false)
    const picker = mount(SiteSwitcher, { global: { plugins: [pinia, Vant] } })
    await picker.find('[data-test=site-switch]').trigger('click')
    await flushPromises()
    const columns = picker.findComponent({ name: 'van-picker' }).props('columns')
    expect(columns.map((c) => c.text)).toEqual(['一所（站点链路中断）', '二所'])
  })
})

describe('a command delivered to a site box', () => {
  it('carries a note and leaves approving and cancelling to the box', () => {
    expect(deliveryNote({ id: 1, delivery: 'pending' })).toBe('uplink.delivery.pending')
    expect(deliveryNote({ id: 1, delivery: 'delivered' })).toBe('uplink.delivery.delivered')
    expect(deliveryNote({ id: 1, delivery: null })).toBeNull()
    expect(actsHere({ delivery: 'pending' })).toBe(false)
    expect(actsHere({ delivery: null })).toBe(true)
    // the box's own command, mirrored up: read here, approved and cancelled at the box
    expect(deliveryNote({ id: 2, delivery: null, site_origin_id: 7 })).toBe('uplink.delivery.site')
    expect(actsHere({ delivery: null, site_origin_id: 7 })).toBe(false)
    expect(actsHere({ delivery: null, site_origin_id: null })).toBe(true)
    for (const lang of ['zh-CN', 'en']) {
      setLocale(lang)
      for (const k of ['pending', 'delivered', 'site']) expect(t(`uplink.delivery.${k}`)).not.toBe(`uplink.delivery.${k}`)
    }
    setLocale('zh-CN')
    expect(t('errors.site_user_unknown')).toContain('站点设备中没有该用户')
  })
})

describe('the site boxes\' reported changes at the centre', () => {
  it('one row per field, conflicts first, then the oldest; a change\'s rows together', () => {
    const rows = changeRows([
      { site_id: 2, site_code: 'B', kind: 'users', key: 'bob', conflict: false, since: '2026-12-01T00:00:00Z',
        fields: { role: { local: 'manager', central: 'staff' } } },
      { site_id: 1, site_code: 'A', kind: 'scenes', key: '熄灯', conflict: true, since: '2026-12-03T00:00:00Z',
        fields: { description: { local: 'x', central: '' }, enabled: { local: false, central: true } } },
      { site_id: 1, site_code: 'A', kind: 'facility', key: 'devices:Q1', conflict: true, since: '2026-12-02T00:00:00Z',
        fields: { name: { local: 'a', central: 'b' } } },
    ])
    expect(rows.map((r) => [r.change.key, r.field, r.first, r.span])).toEqual([
      ['devices:Q1', 'name', true, 1], ['熄灯', 'description', true, 2], ['熄灯', 'enabled', false, 2],
      ['bob', 'role', true, 1]])
    expect(rows[0].local).toBe('a')
    expect(rows[0].central).toBe('b')
    expect(changeRows(null)).toEqual([])
  })
})
