// Linkage end to end in Chromium (started by tests/test_pwa_linkage_e2e.py): a water leak
// injected in the simulator pops up on the manager's phone with the area and the
// camera's HLS stream in a <video>; 确认故障 lands on the alarm's timeline; the console
// lists the rule and its firing log with the command ids. One JSON line of results.
import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DESKTOP, PHONE, login, openBrowser, until } from './browser.mjs'

const env = (k) => { if (!process.env[k]) throw new Error(`${k} not set`); return process.env[k] }
const BASE = env('GW_BASE_URL')
const SIM = env('GW_SIM_URL')
const OUT = env('GW_ARTIFACTS')
const PASSWORD = env('GW_PASSWORD')
const MANAGER = env('GW_MANAGER')
const ADMIN = env('GW_ADMIN')
const RULE = Number(env('GW_RULE_ID'))
const CAMERA_URL = env('GW_CAMERA_URL') // stored, never proxied: the browser asks for it itself
mkdirSync(OUT, { recursive: true })

const results = {}
const foreign = []
let current = '-'
const shot = (page, name) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true })
async function step(name, fn) {
  current = name
  const t0 = Date.now()
  await fn()
  results[name] = { ms: Date.now() - t0, ...(results[name] || {}) }
  console.error(`e2e: ${name} ok (${Date.now() - t0} ms)`)
}
async function sim(path, body) {
  const r = await fetch(SIM + path, { method: 'POST', body: JSON.stringify(body) })
  if (!r.ok) throw new Error(`simulator ${path}: ${r.status}`)
}

const profiles = mkdtempSync(join(tmpdir(), 'gw-e2e-linkage-'))
const open = []
try {
  const phone = await openBrowser(join(profiles, 'phone'), BASE, PHONE, foreign)
  open.push(phone)
  const page = phone.pages()[0] || await phone.newPage()

  await step('login', async () => {
    await login(page, MANAGER, PASSWORD)
    await page.waitForURL((u) => u.pathname === '/')
    await until(page, () => Number(document.querySelector('[data-test=count-online]')?.textContent) > 0)
    await page.waitForTimeout(1500) // the live stream is open
  })

  await step('leak pops up with the camera', async () => {
    await sim('/api/devices/ENV-PDF-LV', { set: { water_leak: true } })
    const box = page.locator('[data-test=linkage-popup]')
    await box.waitFor({ state: 'visible', timeout: 60_000 })
    results['leak pops up with the camera'] = {
      area: await box.locator('[data-test=popup-area]').innerText(),
      message: await box.locator('[data-test=popup-message]').innerText(),
      value: await box.locator('[data-test=popup-value]').innerText(),
      video: await box.locator('[data-test=popup-video]').getAttribute('src'),
      camera: await box.locator('[data-camera]').first().getAttribute('data-camera'),
      alarm: Number(await box.getAttribute('data-alarm')),
    }
    await shot(page, 'phone-linkage-popup')
  })

  await step('fault confirmed on the timeline', async () => {
    const box = page.locator('[data-test=linkage-popup]')
    await box.locator('[data-test=popup-comment] input').fill('视频确认配电房进水')
    await box.locator('[data-test=popup-confirm]').click()
    await box.waitFor({ state: 'hidden', timeout: 20_000 })
    const alarm = results['leak pops up with the camera'].alarm
    if (!alarm) throw new Error('the pop-up carries no alarm')
    await page.goto(`/alarms/${alarm}`)
    await until(page, () => /远程确认故障/.test(document.body.innerText), undefined, 30_000)
    results['fault confirmed on the timeline'] = { alarm,
      timeline: await page.locator('body').innerText() }
    await shot(page, 'phone-linkage-confirmed')
  })

  await step('console lists the rule and its firing log', async () => {
    const desk = await openBrowser(join(profiles, 'desk'), BASE, DESKTOP, foreign)
    open.push(desk)
    const dpage = desk.pages()[0] || await desk.newPage()
    await login(dpage, ADMIN, PASSWORD)
    await dpage.waitForURL((u) => u.pathname === '/')
    await dpage.goto('/admin/linkage')
    const row = dpage.locator(`[data-test=linkage-list] tr[data-rule="${RULE}"]`)
    await row.waitFor({ timeout: 30_000 })
    await row.locator('a').click()
    await dpage.locator('[data-test=linkage-firings] [data-command]').first().waitFor({ timeout: 30_000 })
    const commands = await dpage.locator('[data-test=linkage-firings] [data-command]').evaluateAll(
      (els) => els.map((e) => Number(e.getAttribute('data-command'))))
    // the rule's actions in the one actions editor; add an alarm action and save
    const editor = dpage.locator('[data-test=linkage-form] [data-test=actions-editor][data-path=actions]')
    await editor.locator('[data-test=action-row]').first().waitFor()
    const kinds = await editor.locator('[data-test=action-row]').evaluateAll((els) => els.map((e) => e.dataset.kind))
    await editor.locator('[data-test=action-add-kind]').selectOption('alarm')
    await editor.locator('[data-test=action-add]').click()
    const added = editor.locator('[data-test=action-row]').last()
    await added.locator('[data-test=action-level]').selectOption('warning')
    await added.locator('[data-test=action-message]').fill('控制台追加：请到现场确认')
    await shot(dpage, 'desktop-linkage')
    await dpage.locator('[data-test=rule-save]').click()
    let saved = null
    for (let i = 0; i < 60 && !saved; i += 1) {
      await dpage.waitForTimeout(500)
      saved = await dpage.evaluate(async (id) => {
        const refused = document.querySelector('[data-test=rule-error]')
        if (refused) return { error: refused.innerText }
        const h = { Authorization: `Bearer ${JSON.parse(localStorage.getItem('gw.auth')).access}` }
        const rule = await (await fetch(`/api/v1/linkage-rules/${id}`, { headers: h })).json()
        return rule.actions.some((a) => a.message === '控制台追加：请到现场确认') ? rule.actions : null
      }, RULE)
    }
    if (!saved) throw new Error('the added action never reached the server')
    if (saved.error) throw new Error(`save refused: ${saved.error}`)
    results['console lists the rule and its firing log'] = { commands, kinds, saved,
      form: await dpage.locator('[data-test=rule-metric]').inputValue() }
  })
  const stray = foreign.filter((u) => !u.startsWith(CAMERA_URL))
  if (stray.length) throw new Error(`requests left the origin: ${stray.slice(0, 3).join(', ')}`)
  results.cameraRequested = foreign.some((u) => u.startsWith(CAMERA_URL))
  console.log(JSON.stringify({ ok: true, results }))
} catch (err) {
  console.log(JSON.stringify({ ok: false, step: current, error: String(err?.stack || err), results }))
  process.exitCode = 1
} finally {
  for (const ctx of open) await ctx.close().catch(() => {})
}
