// The console's energy parameters: the tariff helpers (quarter hours, wrapping periods,
// validity of versions, the body), and the page: versions listed with their day bar, a
// refused version's code in Chinese under its field, a good one saved; the carbon factors'
// and denominators' resources (the month as the API's 1st).
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import Vant from 'vant'
import { configureApi, setSession } from '../../../src/api/client.js'
import { setLocale, t } from '../../../src/i18n/index.js'
import { makeRouter } from '../../../src/router.js'
import { RESOURCES, initialValues, toBody } from '../../../src/admin/api/resources.js'
import { blankTariff, dayRuns, quarterMap, quarterOf, tariffBody, tariffForm, withValidity } from '../../../src/admin/lib/tariffs.js'
import { adminEnergyMessages } from '../../../src/i18n/admin-energy.js'
import { useSiteStore } from '../../../src/stores/site.js'
import AdminEnergy from '../../../src/admin/views/AdminEnergy.vue'
import { fakeJwt, json, mockFetch } from '../helpers.js'

vi.mock('vant', async (orig) => ({ ...(await orig()), showSuccessToast: vi.fn() }))

const HALF_PAST = [{ period: 'valley', start: '23:00', end: '07:00' }, { period: 'flat', start: '07:00', end: '10:30' },
  { period: 'peak', start: '10:30', end: '23:00' }]

describe('tariff helpers', () => {
  it('reads quarter hours and maps the day, wrapping past midnight', () => {
    expect([quarterOf('00:00'), quarterOf('10:30'), quarterOf('24:00'), quarterOf('10:20'), quarterOf('24:15'), quarterOf('x')])
      .toEqual([0, 42, 96, null, null, null])
    const m = quarterMap(HALF_PAST)
    expect([m.gaps, m.overlaps]).toEqual([0, 0])
    expect([m.owner[0], m.owner[27], m.owner[28], m.owner[41], m.owner[42], m.owner[91], m.owner[92]])
      .toEqual(['valley', 'valley', 'flat', 'flat', 'peak', 'peak', 'valley'])
    const bad = quarterMap([{ period: 'flat', start: '00:00', end: '12:00' }, { period: 'peak', start: '11:00', end: '12:15' }])
    expect([bad.gaps, bad.overlaps]).toEqual([47, 4])
    expect(dayRuns(HALF_PAST).map((r) => [r.period, r.from, r.to])).toEqual([['valley', '00:00', '07:00'],
      ['flat', '07:00', '10:30'], ['peak', '10:30', '23:00'], ['valley', '23:00', '24:00']])
    expect(dayRuns([]).map((r) => [r.period, r.from, r.to])).toEqual([[null, '00:00', '24:00']])
  })
  it('shows each version valid until the day before the next, newest first', () => {
    const v = withValidity([{ id: 2, valid_from: '2026-03-01' }, { id: 1, valid_from: '2026-01-01' }, { id: 3, valid_from: '2026-12-15' }])
    expect(v.map((r) => [r.id, r.valid_until])).toEqual([[3, null], [2, '2026-12-14'], [1, '2026-02-28']])
  })
  it('sends the prices of the periods in use, numbers parsed', () => {
    const f = blankTariff('2026-12-02')
    Object.assign(f.prices, { valley: '0.3', flat: ' 0.6 ', peak: 'abc', sharp: '1.5' })
    expect(tariffBody(f, 4)).toEqual({ site_id: 4, name: '', valid_from: '2026-12-02', currency: 'CNY',
      periods: f.periods, prices: { peak: 'abc', flat: 0.6, valley: 0.3 } })
    const back = tariffForm({ id: 9, valid_from: '2026-01-01', currency: 'CNY', periods: HALF_PAST, prices: { flat: 0.5 } })
    expect(back.prices).toEqual({ sharp: '', peak: '', flat: 0.5, valley: '' })
    expect(back.periods).not.toBe(HALF_PAST)
  })
  it('sends a denominator\'s month as its 1st and shows it as a month', () => {
    const d = RESOURCES.denominators
    const v = initialValues(d, { id: 1, month: '2026-11-01', kind: 'persons', area_id: null, value: 120 })
    expect(v.month).toBe('2026-11')
    expect(toBody(d, v, { creating: true, siteId: 3 })).toEqual({ month: '2026-11-01', kind: 'persons', area_id: null, value: 120, site_id: 3 })
    expect(toBody(RESOURCES.carbon_factors, { year: '2026', kg_per_kwh: '0.58', source: '' }, { siteId: 3 }))
      .toEqual({ year: 2026, kg_per_kwh: 0.58, source: '', site_id: 3 })
  })
  it('has every zh-CN string in English too', () => {
    const keys = (o, p = '') => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${p}${k}.`) : [`${p}${k}`]))
    expect(keys(adminEnergyMessages.en).sort()).toEqual(keys(adminEnergyMessages['zh-CN']).sort())
  })
})

describe('AdminEnergy', () => {
  let pinia
  beforeEach(() => {
    pinia = createPinia()
    setActivePinia(pinia)
    setLocale('zh-CN')
    configureApi({ notify: vi.fn(), onExpired: vi.fn() })
    setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1, role: 'admin' } })
  })
  const page = (items) => json(200, items, { 'X-Pagination': JSON.stringify({ total: items.length }) })

  it('lists the versions, shows a refusal under its field in Chinese, saves a good one', async () => {
    const site = useSiteStore()
    site.$patch({ sites: [{ id: 4, code: 'A', name: '甲所', timezone: 'Asia/Shanghai' }], currentId: 4 })
    let tariffs = [{ id: 1, site_id: 4, name: '旧', valid_from: '2026-01-01', currency: 'CNY', periods: HALF_PAST,
      prices: { valley: 0.3, flat: 0.6, peak: 1.0 } }]
    const posts = []
    mockFetch((url, init) => {
      const u = new URL(url, 'http://x')
      if (u.pathname === '/api/v1/energy-tariffs' && init.method === 'POST') {
        const body = JSON.parse(init.body)
        posts.push(body)
        if (body.periods.some((p) => p.end === '12:00')) {
          return json(422, { code: 422, error: 'tariff_uncovered', message: 'x', errors: { periods: ['not covered: 12:00-23:00'] } })
        }
        tariffs = [...tariffs, { ...body, id: 2 }]
        return json(201, { ...body, id: 2 })
      }
      if (u.pathname === '/api/v1/energy-tariffs') return page(tariffs)
      return page([])
    })
    const w = mount(AdminEnergy, { global: { plugins: [pinia, makeRouter(createMemoryHistory()), Vant],
      config: { globalProperties: { $t: t } } } })
    await flushPromises()
    const rows = w.findAll('[data-test=tariff-row]')
    expect(rows.map((r) => r.attributes('data-from'))).toEqual(['2026-01-01'])
    expect(rows[0].text()).toContain('谷 0.3 CNY')
    expect(rows[0].findAll('.bar i')).toHaveLength(4)
    await w.get('[data-test=tariff-new]').trigger('click')
    await w.get('[data-test=tariff-from]').setValue('2026-12-15')
    await w.get('[data-test=end-2]').setValue('12:00')    // peak 08:00-12:00: 12:00-23:00 uncovered
    expect(w.get('[data-test=tariff-coverage]').attributes('data-gaps')).toBe('44')
    for (const [p, v] of [['valley', '0.3'], ['flat', '0.6'], ['peak', '1.0']]) await w.get(`[data-test=price-${p}]`).setValue(v)
    await w.get('[data-test=tariff-save]').trigger('click')
    await flushPromises()
    expect(w.get('[data-test=tariff-error]').text()).toContain('电价时段未覆盖全天')
    expect(w.get('[data-field=periods]').exists()).toBe(true)
    await w.get('[data-test=end-2]').setValue('23:00')
    expect(w.get('[data-test=tariff-coverage]').attributes('data-gaps')).toBe('0')
    await w.get('[data-test=tariff-save]').trigger('click')
    await flushPromises()
    expect(posts.at(-1)).toMatchObject({ site_id: 4, valid_from: '2026-12-15', prices: { valley: 0.3, flat: 0.6, peak: 1 } })
    expect(w.find('[data-test=tariff-form]').exists()).toBe(false)
    expect(w.findAll('[data-test=tariff-row]').map((r) => r.attributes('data-from'))).toEqual(['2026-12-15', '2026-01-01'])
    expect(w.findAll('[data-test=tariff-row]')[1].text()).toContain('2026-12-14')
    expect(w.get('[data-test=admin-carbon]').text()).toContain('碳排放因子')
    expect(w.get('[data-test=admin-denominators] [data-resource=denominators]').exists()).toBe(true)
  })
})
