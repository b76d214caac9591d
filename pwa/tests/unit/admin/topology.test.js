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
import {
  ancestors, buildTree, descendants, flatten, supplyPath, wouldCycle,
} from '../../../src/admin/components/topology/tree.js'
import { actionsFor, initialFor, refusalText } from '../../../src/admin/components/topology/actions.js'
import { moveCircuitBody, requestFor } from '../../../src/admin/api/topology.js'
import AdminTopology from '../../../src/admin/views/AdminTopology.vue'
import { fakeJwt, json, mockFetch } from '../helpers.js'

vi.mock('vant', async (orig) => ({ ...(await orig()), showConfirmDialog: vi.fn(() => Promise.resolve()), showSuccessToast: vi.fn() }))

// AA1 (utility) ─ AA1-IN ─┬ AA1-WL1
//                         └ AA1-WL4 ─ AP-BG ─┬ AP-BG-WL1 ─ AL-BG
//                                            └ E2E-C1
function facility() {
  return {
    boards: [
      { id: 2, code: 'AP-BG', name: '办公区配电箱', level: 2, feeder_circuit_id: 11 },
      { id: 1, code: 'AA1', name: '低压总配电柜', level: 1, feeder_circuit_id: null },
      { id: 3, code: 'AL-BG', name: '办公照明箱', level: 3, feeder_circuit_id: 21 },
    ],
    circuits: [
      { id: 11, code: 'AA1-WL4', name: '办公区供电', board_id: 1, parent_id: 10, category: 'power' },
      { id: 10, code: 'AA1-IN', name: '低压总进线', board_id: 1, parent_id: null, category: 'incomer' },
      { id: 12, code: 'AA1-WL1', name: '一监区供电', board_id: 1, parent_id: 10, category: 'power' },
      { id: 22, code: 'E2E-C1', name: 'E2E 测试回路', board_id: 2, parent_id: null, category: 'lighting' },
      { id: 21, code: 'AP-BG-WL1', name: '办公照明', board_id: 2, parent_id: null, category: 'lighting' },
    ],
    devices: [
      { id: 31, code: 'QF-AA1-WL4', name: '断路器', kind: 'breaker', circuit_id: 11 },
      { id: 30, code: 'PM-AA1-IN', name: '电能表', kind: 'meter', circuit_id: 10 },
      { id: 32, code: 'ENV-1', name: '温湿度', kind: 'env_sensor', circuit_id: null },
    ],
  }
}
const keys = (nodes) => nodes.map((n) => n.key)

beforeEach(() => {
  setActivePinia(createPinia())
  setLocale('zh-CN')
})

describe('the supply tree', () => {
  it('nests boards, circuits, fed boards and devices as the topology endpoint does', () => {
    const tree = buildTree(facility())
    expect(keys(tree.roots)).toEqual(['board:1'])
    const incomer = tree.roots[0].children[0]
    expect(incomer.key).toBe('circuit:10')
    // devices first, then downstream circuits (by code), then the boards they feed
    expect(keys(incomer.children)).toEqual(['device:30', 'circuit:12', 'circuit:11'])
    expect(keys(tree.index.get('circuit:11').children)).toEqual(['device:31', 'board:2'])
    expect(keys(tree.index.get('board:2').children)).toEqual(['circuit:21', 'circuit:22'])
    expect(keys(tree.index.get('circuit:21').children)).toEqual(['board:3'])
    expect(keys(tree.unattached)).toEqual(['device:32'])
    expect(tree.index.size).toBe(11)
  })

  it('knows where a node sits: ancestors, descendants, the supply path', () => {
    const tree = buildTree(facility())
    expect(ancestors(tree, 'circuit:22')).toEqual(['board:2', 'circuit:11', 'circuit:10', 'board:1'])
    expect(supplyPath(tree, 'circuit:22').map((p) => p.code)).toEqual(['AA1', 'AA1-IN', 'AA1-WL4', 'AP-BG', 'E2E-C1'])
    expect([...descendants(tree, 'circuit:11')].sort()).toEqual(['board:2', 'board:3', 'circuit:21', 'circuit:22', 'device:31'])
    expect(ancestors(tree, 'device:32')).toEqual([])
  })

  it('tells a move that would close a loop from one that would not', () => {
    const tree = buildTree(facility())
    expect(wouldCycle(tree, 'circuit:11', 'circuit:22')).toBe(true) // under its own downstream
    expect(wouldCycle(tree, 'circuit:22', 'circuit:22')).toBe(true) // under itself
    expect(wouldCycle(tree, 'board:2', 'circuit:21')).toBe(true) // a board fed by its own circuit
    expect(wouldCycle(tree, 'circuit:22', 'circuit:21')).toBe(false)
    expect(wouldCycle(tree, 'board:3', 'circuit:12')).toBe(false)
    expect(wouldCycle(tree, 'circuit:22', null)).toBe(false)
  })

  it('flattens to indented rows and leaves folded branches out', () => {
    const tree = buildTree(facility())
    const rows = flatten(tree.roots)
    expect(rows.map((r) => `${r.depth}:${r.item.code}`)).toEqual([
      '0:AA1', '1:AA1-IN', '2:PM-AA1-IN', '2:AA1-WL1', '2:AA1-WL4', '3:QF-AA1-WL4', '3:AP-BG',
      '4:AP-BG-WL1', '5:AL-BG', '4:E2E-C1'])
    expect(rows.find((r) => r.item.code === 'E2E-C1').up.code).toBe('AP-BG')
    expect(rows[0].up).toBeNull()
    const folded = flatten(tree.roots, new Set(['circuit:11']))
    expect(folded.map((r) => r.item.code)).toEqual(['AA1', 'AA1-IN', 'PM-AA1-IN', 'AA1-WL1', 'AA1-WL4'])
    expect(folded.at(-1)).toMatchObject({ open: false, count: 2 })
  })

  it('keeps records of a loop in the data visible instead of looping forever', () => {
    const data = facility()
    data.boards.push({ id: 5, code: 'LOOP', name: '环', level: 2, feeder_circuit_id: 50 })
    data.circuits.push({ id: 50, code: 'LOOP-WL1', name: '环回路', board_id: 5, parent_id: null })
    const tree = buildTree(data)
    expect(keys(tree.roots)).toEqual(['board:1', 'board:5'])
    expect(keys(tree.index.get('board:5').children)).toEqual(['circuit:50'])
    expect(tree.index.get('circuit:50').children).toEqual([])
  })

  it('moves a circuit onto its new parent\'s board unless a board is given', () => {
    const { circuits } = facility()
    expect(moveCircuitBody(circuits, { parentId: 21 })).toEqual({ parent_id: 21, board_id: 2 })
    expect(moveCircuitBody(circuits, { parentId: 11, boardId: 2 })).toEqual({ parent_id: 11, board_id: 2 })
    expect(moveCircuitBody(circuits, { parentId: null, boardId: 1 })).toEqual({ parent_id: null, board_id: 1 })
  })
})

describe('topology actions', () => {
  const tree = buildTree(facility())
  const node = (key) => tree.index.get(key)
  const ctx = { siteId: 4, circuits: facility().circuits }

  it('offers what a node kind allows', () => {
    expect(actionsFor(node('board:2'))).toEqual(['addCircuit', 'feeder', 'unfeed', 'rename', 'delete'])
    expect(actionsFor(node('board:1'))).toEqual(['addCircuit', 'feeder', 'rename', 'delete'])
    expect(actionsFor(node('circuit:22'))).toEqual(['addCircuit', 'move', 'attach', 'rename', 'delete'])
    expect(actionsFor(node('device:31'))).toEqual(['attachTo', 'detach', 'rename', 'delete'])
    expect(actionsFor(tree.unattached[0])).toEqual(['attachTo', 'rename', 'delete'])
    expect(initialFor('move', node('circuit:22'))).toEqual({ board_id: 2, parent_id: null })
  })

  it('turns each action into one call of the CRUD endpoints', () => {
    const add = { code: ' C9 ', name: '新回路', category: 'socket' }
    expect(requestFor('addCircuit', node('board:2'), add, ctx)).toEqual({ method: 'post', path: '/circuits',
      body: { site_id: 4, code: 'C9', name: '新回路', category: 'socket', board_id: 2, parent_id: null } })
    expect(requestFor('addCircuit', node('circuit:11'), { ...initialFor('addCircuit', node('circuit:11')), ...add }, ctx).body)
      .toMatchObject({ board_id: 1, parent_id: 11 })
    expect(requestFor('move', node('circuit:22'), { parent_id: 21, board_id: 2 }, ctx))
      .toEqual({ method: 'put', path: '/circuits/22', body: { parent_id: 21, board_id: 2 } })
    expect(requestFor('move', node('circuit:22'), { parent_id: null, board_id: 1 }, ctx).body).toEqual({ parent_id: null, board_id: 1 })
    expect(requestFor('feeder', node('board:3'), { feeder_circuit_id: 12 }, ctx))
      .toEqual({ method: 'put', path: '/boards/3', body: { feeder_circuit_id: 12 } })
    expect(requestFor('unfeed', node('board:3'), {}, ctx).body).toEqual({ feeder_circuit_id: null })
    expect(requestFor('attach', node('circuit:22'), { device_id: 32 }, ctx))
      .toEqual({ method: 'put', path: '/devices/32', body: { circuit_id: 22 } })
    expect(requestFor('attachTo', node('device:31'), { circuit_id: 22 }, ctx).body).toEqual({ circuit_id: 22 })
    expect(requestFor('detach', node('device:31'), {}, ctx)).toEqual({ method: 'put', path: '/devices/31', body: { circuit_id: null } })
    expect(requestFor('rename', node('board:2'), { code: 'AP-BG', name: ' 办公 ' }, ctx).body).toEqual({ code: 'AP-BG', name: '办公' })
    expect(requestFor('delete', node('circuit:12'), {}, ctx)).toEqual({ method: 'del', path: '/circuits/12' })
  })

  it('words the API\'s refusals: a cycle (422) and a blocked delete (409)', () => {
    const cycle = { status: 422, error: 'validation_error', message: 'parent_id: would make the supply tree a cycle',
      errors: { parent_id: ['would make the supply tree a cycle'] } }
    expect(refusalText(cycle)).toBe('供电树不能形成环路（上级：会使供电关系成环）')
    const other = { ...cycle, errors: { code: ['already exists in this site'] } }
    expect(refusalText(other)).toBe('输入有误（编码：already exists in this site）')
    const blocked = { status: 409, error: 'has_dependents', message: 'circuit AA1-WL4 is still used by 1 boards fed by it' }
    expect(refusalText(blocked)).toBe('无法删除：circuit AA1-WL4 is still used by 1 boards fed by it')
  })
})

describe('AdminTopology', () => {
  it('moves a circuit under another one and shows the API refusing a loop', async () => {
    const pinia = createPinia()
    setActivePinia(pinia)
    const user = { id: 1, role: 'admin' }
    setSession({ access: fakeJwt('1'), refresh: 'r', user })
    configureApi({ notify: vi.fn(), onExpired: vi.fn() })
    useAuthStore().user = user
    useSiteStore().$patch({ sites: [{ id: 4, code: 'S', name: 'S' }] })
    useSiteStore().select(4)
    const data = facility()
    const fetch = mockFetch((url, init) => {
      const path = new URL(url, 'http://x').pathname.replace('/api/v1', '')
      if (init.method === 'PUT') {
        const body = JSON.parse(init.body)
        if (path === '/circuits/21' && body.parent_id === 22) {
          return json(422, { code: 422, error: 'validation_error', message: 'parent_id: would make the supply tree a cycle',
            errors: { parent_id: ['would make the supply tree a cycle'] } })
        }
        const c = data.circuits.find((x) => `/circuits/${x.id}` === path)
        Object.assign(c, body)
        return json(200, c)
      }
      const list = { '/boards': data.boards, '/circuits': data.circuits, '/devices': data.devices }[path] || []
      return json(200, path.endsWith('/topology') ? { boards: [] } : list, { 'X-Pagination': JSON.stringify({ total: list.length }) })
    })
    const router = makeRouter(createMemoryHistory())
    const w = mount(AdminTopology, { global: { plugins: [pinia, router, Vant], config: { globalProperties: { $t: t } } } })
    await flushPromises()
    const row = (code) => w.get(`[data-test=topo-tree] [data-code="${code}"]`)
    expect(row('E2E-C1').attributes('data-up')).toBe('AP-BG')

    await row('E2E-C1').trigger('click')
    expect(w.get('[data-test=topo-path]').text()).toContain('AA1-WL4')
    await w.get('[data-action=move]').trigger('click')
    await w.get('[data-test=topo-form] select[name=parent_id]').setValue('21')
    expect(w.get('[data-test=topo-form] select[name=board_id]').element.value).toBe('2')
    await w.get('[data-test=topo-form]').trigger('submit')
    await flushPromises()
    const put = fetch.mock.calls.find(([, init]) => init.method === 'PUT')
    expect(put[0]).toBe('/api/v1/circuits/22')
    expect(JSON.parse(put[1].body)).toEqual({ parent_id: 21, board_id: 2 })
    expect(row('E2E-C1').attributes('data-up')).toBe('AP-BG-WL1')
    expect(row('E2E-C1').attributes('data-depth')).toBe('5')

    await row('AP-BG-WL1').trigger('click')
    await w.get('[data-action=move]').trigger('click')
    await w.get('[data-test=topo-form] select[name=parent_id]').setValue('22')
    expect(w.find('[data-test=topo-loop]').exists()).toBe(true)
    await w.get('[data-test=topo-form]').trigger('submit')
    await flushPromises()
    expect(w.get('[data-test=topo-error]').text()).toContain('供电树不能形成环路（上级：会使供电关系成环）')
    expect(row('AP-BG-WL1').attributes('data-up')).toBe('AP-BG')
  })
})
