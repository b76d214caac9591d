import { locale, t, tOr } from '../i18n/index.js'

/** The text a user sees for an API error: in Chinese the server's own Chinese reason when
 *  it gives one (control refusals name their details: the seconds, the mode), else our
 *  translation of its stable code when we have one, else the server's message, else the
 *  status. */
export function describeError(err) {
  if (!err) return ''
  if (locale.value === 'zh-CN' && err.messageZh) return err.messageZh
  const known = tOr(`errors.${err.error}`, null)
  if (known) return known
  if (err.message && err.message !== err.error) return err.message
  return t('errors.unknown', { status: err.status })
}

/** Why a command was refused or how it failed (``{error, message, message_zh}`` of a
 *  command or its live event), in the UI language; '' when it has no reason. */
export function commandReason(cmd) {
  if (!cmd?.error) return ''
  if (locale.value === 'zh-CN') return cmd.message_zh || tOr(`errors.${cmd.error}`, null) || cmd.message || cmd.error
  return cmd.message || tOr(`errors.${cmd.error}`, null) || cmd.error
}
