// API errors in Chinese: the stable ``error`` code of the response -> the PWA's text.
const TEXTS = require('./error-texts')

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
  if (code && TEXTS[code]) return TEXTS[code]
  if (status === 401) return TEXTS.unauthorized
  if (status === 403) return TEXTS.forbidden
  if (status === 404) return TEXTS.not_found
  return TEXTS.unknown.replace('{status}', String(status))
}

module.exports = { ApiError, describe, TEXTS }
