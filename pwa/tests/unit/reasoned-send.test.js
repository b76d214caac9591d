// The control sheets' shared send: a reason is required, the error of a refusal keeps its
// code, and opening the sheet again starts clean.
import { describe, expect, it } from 'vitest'
import { nextTick, ref } from 'vue'
import { ApiError } from '../../src/api/client.js'
import { setLocale } from '../../src/i18n/index.js'
import { useReasonedSend } from '../../src/lib/useReasonedSend.js'

describe('useReasonedSend', () => {
  it('asks for a reason, sends it trimmed, keeps a refusal and resets on open', async () => {
    setLocale('zh-CN')
    const show = ref(true)
    let opened = 0
    const s = useReasonedSend(() => [show.value], () => { opened += 1 })
    expect(opened).toBe(1)
    const sent = []
    await s.submit(async (why) => { sent.push(why) })
    expect(sent).toEqual([])                                   // nothing without a reason
    expect(s.errorCode.value).toBe('reason')
    expect(s.error.value).toContain('原因')
    s.reason.value = '  检修  '
    await nextTick()
    expect(s.errorCode.value).toBe('')                          // gone once one is typed
    await s.submit(async (why) => { sent.push(why) })
    expect(sent).toEqual(['检修'])
    expect(s.busy.value).toBe(false)
    await s.submit(async () => {
      throw new ApiError({ status: 409, error: 'command_in_progress', message: 'busy', messageZh: '该设备有命令正在执行' })
    })
    expect(s.errorCode.value).toBe('command_in_progress')
    expect(s.error.value).toBeTruthy()
    show.value = false
    await nextTick()
    show.value = true
    await nextTick()
    expect([s.reason.value, s.error.value, s.errorCode.value, opened]).toEqual(['', '', '', 2])
  })
})
