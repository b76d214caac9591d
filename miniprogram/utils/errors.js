// API errors in the UI language (Chinese first): the stable ``error`` code of the response
// -> the PWA's text.
const ZH = require('./error-texts')
const EN = require('./error-texts-en')
const i18n = require('./i18n')

const table = () => (i18n.lang() === 'en' ? EN : ZH)

class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message || code)
    this.status = status          // HTTP status; 0 for network errors and timeouts
    this.code = code              // the API's ``error`` (or network / timeout)
    this.body = body || null
    this.text = describe(code, status)
  }
}

function describe(code, status) {
  const TEXTS = table()
  if (code && TEXTS[code]) return TEXTS[code]
  if (status === 401) return TEXTS.unauthorized
  if (status === 403) return TEXTS.forbidden
  if (status === 404) return TEXTS.not_found
  return TEXTS.unknown.replace('{status}', String(status))
}

module.exports = { ApiError, describe, TEXTS: ZH, TEXTS_EN: EN }
