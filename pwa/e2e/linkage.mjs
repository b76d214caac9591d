// Linkage end to end in Chromium (started by tests/test_pwa_linkage_e2e.py): a water leak
// injected in the simulator pops up on the manager's phone with the area and the
// camera's HLS stream in a <video>; 确认故障 lands on the alarm's timeline; the console
// lists the rule and its firing log with the command ids. One JSON line of results.
import { DESKTOP, PHONE, e2eRun, env, login, loginHome, sim, until } from './browser.mjs'

const PASSWORD = env('GW_PASSWORD')
const MANAGER = env('GW_MANAGER')
const ADMIN = env('GW_ADMIN')
const RULE = Number(env('GW_RULE_ID'))
const CAMERA_URL = env('GW_CAMERA_URL') // stored, never proxied: the browser asks for it itself

const { results, foreign, shot, step, openPage, run } = e2eRun('linkage', { settle: false })
await run(async () => {
  const [phone, page] = await openPage('phone', PHONE)

  await step('login', page, async () => {
    await loginHome(page, MANAGER, PASSWORD)
    await until(page, () => Number(document.querySelector('[data-test=count-online]')?.textContent) > 0)
    await page.waitForTimeout(1500) // the live stream is open
  })

  await step('leak pops up with the camera', page, async () => {
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

  await step('fault confirmed on the timeline', page, async () => {
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

  await step('console lists the rule and its firing log', page, async () => {
    const [desk, dpage] = await openPage('desk', DESKTOP)
    await loginHome(dpage, ADMIN, PASSWORD)
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
  results.cameraRequested = foreign.some((u) => u.startsWith(CAMERA_URL))
}, { allowForeign: (u) => u.startsWith(CAMERA_URL) })
