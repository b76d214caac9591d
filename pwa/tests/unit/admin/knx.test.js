// The console's KNX: the KNX gateways' records and connection state, a KNX group's gateway
// and group addresses in the device form (kept in ``attributes``, the other attributes
// kept, a 422 under its field), and KNX groups offered to scenes and rules by ``actions``.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { reactive } from 'vue'
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import Vant from 'vant'
import { configureApi } from '../../../src/api/client.js'
import { setLocale, t } from '../../../src/i18n/index.js'
import { makeRouter } from '../../../src/router.js'
import { FACILITY_KINDS, RESOURCES, initialValues, toBody } from '../../../src/admin/api/resources.js'
import { ACTION_KINDS, commandable } from '../../../src/admin/lib/actionKinds.js'
import { cellText } from '../../../src/admin/lib/format.js'
import RecordForm from '../../../src/admin/components/RecordForm.vue'

let pinia
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  setLocale('zh-CN')
  configureApi({ notify: vi.fn(), onExpired: vi.fn() })
})
const opts = () => ({ global: { plugins: [pinia, makeRouter(createMemoryHistory()), Vant], config: { globalProperties: { $t: t } } } })
const D = RESOURCES.devices

describe('console KNX', () => {
  it('KNX gateways are a facility kind with their connection state', () => {
    expect(FACILITY_KINDS).toContain('knx_gateways')
    const g = RESOURCES.knx_gateways
    expect(g.path).toBe('/knx-gateways')
    const body = toBody(g, { ...initialValues(g), code: 'KNX1', name: '网关', host: '10.0.0.5' }, { siteId: 3 })
    expect(body).toEqual({ site_id: 3, code: 'KNX1', name: '网关', mode: 'tunneling', host: '10.0.0.5', port: 3671,
      local_ip: null, individual_address: null, enabled: true })
    const col = g.columns.find((c) => c.key === 'connected')
    expect([true, false, null].map((v) => cellText(col, { connected: v }, () => ''))).toEqual(['已连接', '未连接', '未知'])
  })

  it('a KNX group\'s addresses go into attributes, the others kept; other kinds leave attributes alone', () => {
    const record = { id: 5, code: 'L1', name: '灯', kind: 'knx_group', knx_gateway_id: 2,
      attributes: { switch: '1/2/3', switch_state: '1/2/4', role: 'light' } }
    const v = initialValues(D, record)
    expect(v['attributes.switch']).toBe('1/2/3')
    expect(v['attributes.brightness']).toBeNull()
    Object.assign(v, { 'attributes.brightness': ' 1/2/12 ', 'attributes.switch_state': '' })
    const body = toBody(D, v, { creating: false })
    expect(body.knx_gateway_id).toBe(2)
    expect(body.attributes).toEqual({ switch: '1/2/3', brightness: '1/2/12', role: 'light' })
    const breaker = toBody(D, { ...initialValues(D), code: 'QF1', name: 'x' }, { siteId: 1 })
    expect(breaker).not.toHaveProperty('attributes')
    expect(breaker.knx_gateway_id).toBeNull()
  })

  it('the form shows the address fields for a KNX group only, and the 422 under the field', () => {
    const values = reactive(initialValues(D))
    const w = mount(RecordForm, { ...opts(), props: { fields: D.fields, values, errors: {} } })
    expect(w.find('[data-field="attributes.switch"]').exists()).toBe(false)
    values.kind = 'knx_group'
    const f = mount(RecordForm, { ...opts(), props: { fields: D.fields, values,
      errors: { 'attributes.switch': "'1/2/999' is out of range (0-31/0-7/0-255)" } } })
    const row = f.get('[data-field="attributes.switch"]')
    expect(row.text()).toContain('开关组地址')
    expect(row.get('[data-test=field-error]').text()).toContain('out of range')
    expect(f.get('[data-field=knx_gateway_id]').text()).toContain('KNX 网关')
    expect(f.findAll('[data-field^="attributes."]').map((x) => x.attributes('data-field'))).toEqual(
      ['attributes.switch', 'attributes.switch_state', 'attributes.brightness', 'attributes.brightness_state'])
  })

  it('scenes and rules may command a KNX group through its KNX gateway, by its actions', () => {
    const f = ACTION_KINDS.command.fields[0]
    const can = { controls: (d) => d.actions || [] }
    expect(f.filter({ kind: 'knx_group', knx_gateway_id: 1, actions: ['on', 'off'] }, can)).toBe(true)
    expect(f.filter({ kind: 'knx_group', knx_gateway_id: null, actions: ['on', 'off'] }, can)).toBe(false)
    expect(f.filter({ kind: 'meter', gateway_id: 1, actions: [] }, can)).toBe(false)
    expect(commandable({ kind: 'breaker', gateway_id: 4 })).toBe(true)
  })
})
