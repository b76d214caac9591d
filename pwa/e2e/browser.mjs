// Debian's Chromium driven by playwright-core: headless, no sandbox (root in CI), nothing
// from the internet (every host name but the loopback fails to resolve).
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

/** Wait until ``fn`` (in the page) returns a truthy value. */
export function until(page, fn, arg, timeout = 60_000) {
  return page.waitForFunction(fn, arg, { timeout, polling: 250 })
}
