// Debian's Chromium driven by playwright-core: headless, no sandbox (root in CI), nothing
// from the internet (every host name but the loopback fails to resolve).
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

export const FLAGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
]
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
export const DESKTOP = { viewport: { width: 1280, height: 800 } }

/** A browser with its own profile directory (an incognito context is never installable),
 *  whose requests must all stay on ``base``'s origin (else they are listed in ``foreign``). */
export async function openBrowser(profileDir, base, device, foreign) {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: FLAGS,
    ...device, baseURL: base, locale: 'zh-CN', serviceWorkers: 'allow',
  })
  const origin = new URL(base).origin
  context.on('request', (req) => {
    const url = req.url()
    if (!url.startsWith(origin) && !url.startsWith('data:') && !url.startsWith('blob:')) foreign.push(url)
  })
  return context
}

export async function login(page, username, password) {
  await page.goto('/login')
  await page.locator('input[name=username]').fill(username)
  await page.locator('input[name=password]').fill(password)
  await page.locator('[data-test=login-submit]').click()
}

/** Log in and land on the overview (the app's home). */
export async function loginHome(page, username, password) {
  await login(page, username, password)
  await page.waitForURL((u) => u.pathname === '/')
}

/** Wait until ``fn`` (in the page) returns a truthy value. */
export function until(page, fn, arg, timeout = 60_000) {
  return page.waitForFunction(fn, arg, { timeout, polling: 250 })
}

/** A variable the Python test passed in the environment (each run needs all of its own). */
export function env(k) {
  if (!process.env[k]) throw new Error(`${k} not set`)
  return process.env[k]
}

/** POST a fault or an operation to the simulator's HTTP API (GW_SIM_URL). */
export async function sim(path, body) {
  const r = await fetch(env('GW_SIM_URL') + path, { method: 'POST', body: JSON.stringify(body) })
  if (!r.ok) throw new Error(`simulator ${path}: ${r.status} ${await r.text()}`)
  return r.json()
}

/** A GET of the API with the page's own session (what the app itself would get). */
export function apiGet(page, path) {
  return page.evaluate(async (p) => {
    const s = JSON.parse(localStorage.getItem('gw.auth'))
    const res = await fetch(`/api/v1${p}`, { headers: { Authorization: `Bearer ${s.access}` } })
    if (!res.ok) throw new Error(`${p}: ${res.status}`)
    return res.json()
  }, path)
}

/** The frame every e2e script shares: its results, the screenshots in GW_ARTIFACTS, named
 *  steps (timed; the failing one is photographed as failed-TAG-STEP.png), browsers with
 *  their own profiles (closed and removed at the end), the one JSON line of results and a
 *  non-zero exit on failure. ``settle``: a screenshot waits for toasts and dialogs to go
 *  (off where a run photographs them on purpose). ``allowForeign(url)``: requests that may
 *  leave the origin (a camera's stream). */
export function e2eRun(tag, { settle = true } = {}) {
  const base = env('GW_BASE_URL')
  const out = env('GW_ARTIFACTS')
  mkdirSync(out, { recursive: true })
  for (const f of readdirSync(out)) if (f.startsWith(`failed-${tag}-`)) rmSync(join(out, f))
  const results = {}
  const foreign = []
  const open = []
  let current = null
  const profiles = mkdtempSync(join(tmpdir(), `gw-e2e-${tag}-`))

  async function shot(page, name) {
    if (settle) {
      await page.waitForFunction(() => ![...document.querySelectorAll('.van-toast, .van-dialog')]
        .some((el) => getComputedStyle(el).display !== 'none'), null, { timeout: 5000 }).catch(() => {})
    }
    await page.screenshot({ path: join(out, `${name}.png`), fullPage: true })
  }
  async function step(name, page, fn) {
    current = { name, page }
    const t0 = Date.now()
    await fn()
    results[name] = { ms: Date.now() - t0, ...(results[name] || {}) }
    console.error(`e2e-${tag}: ${name} ok (${Date.now() - t0} ms)`)
  }
  async function browser(name, device) {
    const ctx = await openBrowser(join(profiles, name), base, device, foreign)
    open.push(ctx)
    return ctx
  }
  /** A browser and its first page: ``[context, page]``. */
  async function openPage(name, device) {
    const ctx = await browser(name, device)
    return [ctx, ctx.pages()[0] || await ctx.newPage()]
  }
  async function run(body, { allowForeign = () => false } = {}) {
    try {
      await body()
      const stray = foreign.filter((u) => !allowForeign(u))
      if (stray.length) throw new Error(`requests left the origin: ${stray.slice(0, 5).join(', ')}`)
      console.log(JSON.stringify({ ok: true, results }))
    } catch (err) {
      if (current?.page) await shot(current.page, `failed-${tag}-${current.name.replace(/\W+/g, '-')}`).catch(() => {})
      console.log(JSON.stringify({ ok: false, step: current?.name, error: String(err?.stack || err), results }))
      process.exitCode = 1
    } finally {
      for (const ctx of open) await ctx.close().catch(() => {})
      rmSync(profiles, { recursive: true, force: true })
    }
  }
  return { base, out, results, foreign, shot, step, browser, openPage, run }
}
