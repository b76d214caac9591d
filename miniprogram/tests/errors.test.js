// The mini-program's Chinese error texts are the PWA's (generated from pwa/src/i18n).
const { execFileSync } = require('node:child_process')
const path = require('node:path')

test('utils/error-texts.js matches the PWA table (run `npm run errors` after changing it)', () => {
  const script = path.join(__dirname, '../scripts/sync-errors.mjs')
  const fresh = execFileSync(process.execPath, [script, '--print'], { encoding: 'utf8' })
  const committed = require('fs').readFileSync(path.join(__dirname, '../utils/error-texts.js'), 'utf8')
  expect(committed).toBe(fresh)
  const texts = require('../utils/error-texts')
  for (const code of ['wechat_code_invalid', 'wechat_ticket_invalid', 'timeout', 'network',
    'invalid_credentials', 'login_delayed', 'token_expired']) {
    expect(texts[code]).toMatch(/[\u4e00-\u9fff]/)
  }
})
