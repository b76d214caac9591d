// End-to-end run of the built PWA against a real backend, the simulator and live polling
// (started by tests/test_pwa_e2e.py, which passes everything in the environment).
// Prints one JSON line of results; exits non-zero on the first failed step.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DESKTOP, PHONE, login, openBrowser, until } from './browser.mjs'

const env = (k) => { if (!process.env[k]) throw new Error(`${k} not set`); return process.env[k] }
const BASE = env('GW_BASE_URL')
const SIM = env('GW_SIM_URL')
const OUT = env('GW_ARTIFACTS')
const PASSWORD = env('GW_PASSWORD')
const DEVICE = Number(env('GW_DEVICE_ID')) // QF-AA1-WL1
const MANAGER = env('GW_MANAGER')
const OTHER = env('GW_OTHER')
mkdirSync(OUT, { recursive: true })
for (const f of readdirSync(OUT)) if (f.startsWith('failed-')) rmSync(join(OUT, f))

const results = {}
const foreign = []
let current = null
const shot = (page, name) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true })
async function step(name, page, fn) {
  current = { name, page }
  const t0 = Date.now()
  await fn()
  results[name] = { ms: Date.now() - t0, ...(results[name] || {}) }
  console.error(`e2e: ${name} ok (${Date.now() - t0} ms)`)
}
const text = (page, sel) => page.locator(sel).first().innerText()
async function sim(path, body) {
  const r = await fetch(SIM + path, { method: 'POST', body: JSON.stringify(body) })
  if (!r.ok) throw new Error(`simulator ${path}: ${r.status}`)
}

const profiles = mkdtempSync(join(tmpdir(), 'gw-e2e-'))
const open = []
const browser = async (name, device) => {
  const ctx = await openBrowser(join(profiles, name), BASE, device, foreign)
  open.push(ctx)
  return ctx
}
try {
  const phone = await browser('phone', PHONE)
  const page = phone.pages()[0] || await phone.newPage()

  await step('installable', page, async () => {
    await page.goto('/')
    await page.waitForURL(/\/login/)
    await page.evaluate(() => navigator.serviceWorker.ready)
    const cdp = await phone.newCDPSession(page)
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors')
    results.installable = { errors: installabilityErrors }
    if (installabilityErrors.length) throw new Error(`not installable: ${JSON.stringify(installabilityErrors)}`)
    const manifest = await cdp.send('Page.getAppManifest')
    if (manifest.errors?.length) throw new Error(`manifest errors: ${JSON.stringify(manifest.errors)}`)
    await shot(page, 'phone-login')
  })

  await step('login', page, async () => {
    await login(page, MANAGER, PASSWORD)
    await page.waitForURL((u) => u.pathname === '/')
    await until(page, () => Number(document.querySelector('[data-test=count-online]')?.textContent) > 0)
    await until(page, () => /\d/.test(document.querySelector('[data-test=site-power]')?.textContent || ''))
  })

  await step('live power', page, async () => {
    const first = await text(page, '[data-test=site-power]')
    await page.waitForTimeout(1000) // the chart's seed from history has landed
    const n0 = Number(await text(page, '[data-test=live-power-points]'))
    await until(page, (n) => Number(document.querySelector('[data-test=live-power-points]')?.textContent) >= n + 2, n0)
    await until(page, () => document.querySelectorAll('[data-test=top-circuits] a').length > 0)
    results['live power'] = { first, later: await text(page, '[data-test=site-power]') }
    await shot(page, 'phone-overview')
  })

  await step('facility trip blinks', page, async () => {
    await page.locator('.van-tabbar-item').nth(1).click()
    const row = page.locator('[data-circuit=AA1-WL1]')
    await row.waitFor()
    await until(page, () => document.querySelector('[data-circuit=AA1-WL1]')?.dataset.state === 'closed')
    await sim('/api/devices/QF-AA1-WL1', { set: { voltage: 280 } })
    await until(page, () => document.querySelector('[data-circuit=AA1-WL1]')?.dataset.state === 'tripped')
    const anim = await row.locator('.dot').evaluate((el) => getComputedStyle(el).animationName)
    if (anim !== 'gw-blink') throw new Error(`tripped mark does not blink: ${anim}`)
    await shot(page, 'phone-facility-tripped')
    await sim('/api/devices/QF-AA1-WL1', { clear: ['voltage'] })
  })

  await step('device live values', page, async () => {
    await page.locator('[data-circuit=AA1-WL1]').click()
    await page.waitForURL(new RegExp(`/devices/${DEVICE}$`))
    const cell = '[data-test=device-live] [data-metric=voltage_a] .v'
    await page.locator(cell).waitFor()
    const before = await text(page, cell)
    await until(page, ([sel, b]) => document.querySelector(sel)?.textContent !== b, [cell, before])
    results['device live values'] = { before, after: await text(page, cell) }
    await until(page, () => document.querySelector('[data-test=history] canvas'))
    const bucket1h = await text(page, '[data-test=history-bucket]')
    await page.locator('[data-test=history] .van-tab').nth(4).click() // 30 days
    await until(page, (b) => document.querySelector('[data-test=history-bucket]')?.textContent !== b, bucket1h)
    results['device live values'].buckets = [bucket1h, await text(page, '[data-test=history-bucket]')]
    await shot(page, 'phone-device')
  })

  await step('expired session returns to the same page', page, async () => {
    const here = new URL(page.url()).pathname
    await page.evaluate(() => {
      const s = JSON.parse(localStorage.getItem('gw.auth'))
      localStorage.setItem('gw.auth', JSON.stringify({ ...s, access: 'expired.x.y', refresh: 'revoked.x.y' }))
    })
    await page.reload()
    await page.waitForURL(/\/login\?redirect=/)
    const redirect = new URL(page.url()).searchParams.get('redirect')
    if (redirect !== here) throw new Error(`redirect=${redirect}, expected ${here}`)
    await page.locator('input[name=username]').fill(MANAGER)
    await page.locator('input[name=password]').fill(PASSWORD)
    await page.locator('[data-test=login-submit]').click()
    await page.waitForURL((u) => u.pathname === here)
    await page.locator('[data-test=device-live]').waitFor()
  })

  await step('offline keeps the last data', page, async () => {
    await page.goto('/')
    await until(page, () => /\d/.test(document.querySelector('[data-test=site-power]')?.textContent || ''))
    await page.waitForTimeout(500)
    await phone.setOffline(true)
    await page.reload() // the service worker serves the shell; the data comes from the cache
    await page.locator('[data-test=stale-banner]').waitFor()
    await until(page, () => /\d/.test(document.querySelector('[data-test=site-power]')?.textContent || ''))
    results['offline keeps the last data'] = { banner: await text(page, '[data-test=stale-banner]') }
    await shot(page, 'phone-offline')
    await phone.setOffline(false)
    await until(page, () => !document.querySelector('[data-test=stale-banner]'))
  })

  await step('logout', page, async () => {
    await page.locator('.van-tabbar-item').nth(2).click()
    await page.locator('[data-test=logout]').click()
    await page.waitForURL(/\/login/)
    const auth = await page.evaluate(() => localStorage.getItem('gw.auth'))
    if (auth) throw new Error('tokens left after logout')
  })

  await phone.close()
  const desk = await browser('desktop', DESKTOP)
  const dpage = desk.pages()[0] || await desk.newPage()
  await step('desktop and site switcher', dpage, async () => {
    await login(dpage, MANAGER, PASSWORD)
    await dpage.waitForURL((u) => u.pathname === '/')
    await until(dpage, () => /\d/.test(document.querySelector('[data-test=site-power]')?.textContent || ''))
    await until(dpage, () => Number(document.querySelector('[data-test=live-power-points]')?.textContent) >= 2)
    await shot(dpage, 'desktop-overview')
    await dpage.locator('.van-tabbar-item').nth(1).click()
    await dpage.locator('[data-circuit=AA1-IN]').waitFor()
    await shot(dpage, 'desktop-facility')
    await dpage.locator('.van-tabbar-item').nth(0).click()
    await dpage.locator('[data-test=site-switch]').click()
    await dpage.locator('.van-picker-column__item', { hasText: process.env.GW_OTHER_SITE_NAME }).click()
    await dpage.waitForTimeout(400)
    await dpage.locator('.van-picker__confirm').click()
    await until(dpage, (n) => document.querySelector('.van-nav-bar__title')?.textContent === n, process.env.GW_OTHER_SITE_NAME)
    await until(dpage, () => document.querySelector('[data-test=count-online]')?.textContent === '0')
  })

  await desk.close()
  const other = await browser('other', PHONE)
  const opage = other.pages()[0] || await other.newPage()
  await step('another site sees none of it', opage, async () => {
    await login(opage, OTHER, PASSWORD)
    await opage.waitForURL((u) => u.pathname === '/')
    await until(opage, () => document.querySelector('[data-test=count-online]')?.textContent === '0')
    await opage.waitForTimeout(3000) // live events would have arrived by now
    const leaks = async () => (await opage.content()).match(/示范看守所|QF-AA1|AA1-WL|PM-AA1/g)
    if (await leaks()) throw new Error(`overview shows another site: ${await leaks()}`)
    const points = await text(opage, '[data-test=live-power-points]')
    if (points !== '0') throw new Error(`live power points from another site: ${points}`)
    await opage.goto(`/devices/${DEVICE}`)
    await opage.locator('[data-test=device-missing]').waitFor()
    await opage.goto('/facility')
    await opage.waitForTimeout(1000)
    if (await leaks()) throw new Error(`facility shows another site: ${await leaks()}`)
    const events = await opage.evaluate(() => new Promise((resolve) => {
      const token = JSON.parse(localStorage.getItem('gw.auth')).access
      const es = new EventSource(`/api/v1/stream?access_token=${encodeURIComponent(token)}&last_event_id=0-0`)
      let n = 0
      es.addEventListener('reading', () => n++)
      setTimeout(() => { es.close(); resolve(n) }, 4000)
    }))
    if (events) throw new Error(`${events} reading events of another site`)
    await shot(opage, 'phone-other-site')
  })

  if (foreign.length) throw new Error(`requests left the origin: ${foreign.slice(0, 5).join(', ')}`)
  console.log(JSON.stringify({ ok: true, results }))
} catch (err) {
  if (current?.page) await shot(current.page, `failed-${current.name.replace(/\W+/g, '-')}`).catch(() => {})
  console.log(JSON.stringify({ ok: false, step: current?.name, error: String(err?.stack || err), results }))
  process.exitCode = 1
} finally {
  for (const ctx of open) await ctx.close().catch(() => {})
  rmSync(profiles, { recursive: true, force: true })
}
