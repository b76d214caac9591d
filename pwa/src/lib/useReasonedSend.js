// What every control sheet shares (one device, a whole board, a scene): a required reason,
// the last try's error with its code (shown on ``data-error``), busy while sending; all
// reset when the sheet opens, and a "reason required" error gone as soon as one is typed.
import { ref, watch } from 'vue'
import { describeError } from '../api/errors.js'
import { t } from '../i18n/index.js'

/** ``opened``: a getter whose value's first item is whether the sheet is open (watched
 *  with the rest, e.g. ``() => [props.show, props.deviceId]``); ``onOpen``: resets the
 *  sheet's own state. ``submit(send)`` calls ``send(reason)`` once the reason is there. */
export function useReasonedSend(opened, onOpen = () => {}) {
  const reason = ref('')
  const error = ref('')
  const errorCode = ref('')
  const busy = ref(false)

  watch(opened, ([open]) => {
    if (!open) return
    reason.value = ''
    error.value = ''
    errorCode.value = ''
    onOpen()
  }, { immediate: true })
  watch(reason, () => { if (errorCode.value === 'reason') { error.value = ''; errorCode.value = '' } })

  async function submit(send) {
    error.value = ''
    errorCode.value = ''
    const why = reason.value.trim()
    if (!why) { error.value = t('control.reasonRequired'); errorCode.value = 'reason'; return }
    busy.value = true
    try {
      await send(why)
    } catch (err) {
      error.value = describeError(err)
      errorCode.value = err?.error || 'unknown'
    } finally {
      busy.value = false
    }
  }
  return { reason, error, errorCode, busy, submit }
}
