import { t, tOr } from '../i18n/index.js'

/** The text a user sees for an API error: our translation of its stable code when we
 *  have one, else the server's message, else the status. */
export function describeError(err) {
  if (!err) return ''
  const known = tOr(`errors.${err.error}`, null)
  if (known) return known
  if (err.message && err.message !== err.error) return err.message
  return t('errors.unknown', { status: err.status })
}
