// The switching sheet: what it shows before sending (circuit, what it feeds, mode,
// protection), a refusal in Chinese, then the command's progress following live events.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { createMemoryHistory } from 'vue-router'
import Vant from 'vant'
import { configureApi, setSession } from '../../src/api/client.js'
import { setLocale, t } from '../../src/i18n/index.js'
import { makeRouter } from '../../src/router.js'
import { useCommandsStore } from '../../src/stores/commands.js'
import { useFacilityStore } from '../../src/stores/facility.js'
import ControlSheet from '../../src/components/ControlSheet.vue'
import { fakeJwt, json, mockFetch } from './helpers.js'
import { cell, latest, topology } from './fixtures.js'

let pinia
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  setLocale('zh-CN')
  setSession({ access: fakeJwt('1'), refresh: 'r', user: { id: 1 } })
  configureApi({ notify: vi.fn(), onExpired: vi.fn() })
})

function mountSheet() {
  const facility = useFacilityStore()
  const topo = structuredClone(topology)
  topo.boards[0].circuits[0].circuits[0].protected = true // WL1, feeding board AP1
  facility.$patch({ siteId: 1, topology: topo,
    latest: latest({ 101: { ...latest()[101], circuit_id: 11, values: { ...latest()[101].values, mode: cell('auto') } } }) })
  return mount(ControlSheet, {
    props: { show: true, deviceId: 101 },
    global: { plugins: [pinia, makeRouter(createMemoryHistory()), Vant], config: { globalProperties: { $t: t } } },
  })
}

describe('ControlSheet', () => {
  it('shows the circuit, what loses power, the mode and the protection', async () => {
    const w = mountSheet()
    await flushPromises()
    expect(w.get('[data-test=control-circuit]').text()).toContain('一监区')
    expect(w.get('[data-test=control-protection]').text()).toContain('需双人审批')
    expect(w.get('[data-test=control-mode]').text()).toContain('自动')
    const feeds = w.get('[data-test=control-feeds]')
    expect(feeds.attributes('data-count')).toBe('1')
    expect(feeds.text()).toContain('分闸后将失电的下游回路（1）')
    expect(feeds.text()).toContain('AP1-WL1')
    expect(w.findAll('[data-test=control-action]').map((b) => b.attributes('data-action'))).toEqual(['open', 'close'])
  })

  it('needs a reason, shows a refusal in Chinese, then the progress live', async () => {
    let answer = json(403, { error: 'control_not_granted', message: 'no', message_zh: '您没有该回路的控制权限' })
    const fetch = mockFetch(() => answer)
    const w = mountSheet()
    await flushPromises()
    await w.get('[data-test=control-send]').trigger('click')
    expect(w.get('[data-test=control-error]').text()).toBe('请填写操作原因')
    expect(fetch).not.toHaveBeenCalled()
    await w.get('[data-test=control-reason] textarea').setValue('检修')
    await w.get('[data-test=control-send]').trigger('click')
    await flushPromises()
    expect(w.get('[data-test=control-error]').text()).toBe('您没有该回路的控制权限')
    answer = json(202, { id: 9, site_id: 1, device_id: 101, action: 'open', state: 'awaiting_approval', requested_by: 1 })
    await w.get('[data-test=control-send]').trigger('click')
    await flushPromises()
    expect(w.get('[data-test=command-progress]').attributes('data-state')).toBe('awaiting_approval')
    expect(w.get('[data-test=command-state]').text()).toBe('待审批')
    useCommandsStore().apply({ id: 9, site_id: 1, device_id: 101, state: 'refused', error: 'mode_manual',
      message_zh: '断路器处于手动模式，拒绝远程操作' })
    await flushPromises()
    expect(w.get('[data-test=command-state]').text()).toBe('被拒绝')
    expect(w.get('[data-test=command-reason]').text()).toBe('断路器处于手动模式，拒绝远程操作')
  })
})
