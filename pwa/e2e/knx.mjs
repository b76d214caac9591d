// KNX lighting end to end in Chromium (started by tests/test_pwa_knx_e2e.py): the manager
// sees the KNX groups on the topology, switches the dimmable one on and dims it to 40 %
// from its device page (each confirmed from its state address), then a wall switch
// (knxtool groupswrite on knxd) turns it off and the page shows it live; the console lists
// the KNX gateway as connected. One JSON line of results.
import { execFileSync } from 'node:child_process'
import { DESKTOP, PHONE, e2eRun, env, login, loginHome, until } from './browser.mjs'

const PASSWORD = env('GW_PASSWORD')
const MANAGER = env('GW_MANAGER')
const ADMIN = env('GW_ADMIN')
const DEVICE = Number(env('GW_DEVICE_ID'))
const SOCK = env('GW_KNX_SOCK')

/** Send one command from the open sheet with a reason and wait until it is confirmed. */
async function sendConfirmed(page, reason, screenshot = null) {
  const sheet = page.locator('[data-test=control-sheet]')
  await sheet.locator('[data-test=control-reason] textarea').fill(reason)
  if (screenshot) {
    await sheet.locator('[data-test=control-send]').scrollIntoViewIfNeeded()
    await shot(page, screenshot)
  }
  await sheet.locator('[data-test=control-send]').click()
  await sheet.locator('[data-test=command-progress]').waitFor({ timeout: 20_000 })
  await until(page, () => {
    const s = document.querySelector('[data-test=control-sheet] [data-test=command-progress]')?.dataset.state
    if (s && !['requested', 'queued', 'sent', 'confirmed'].includes(s)) throw new Error(`command ${s}`)
    return s === 'confirmed'
  }, undefined, 30_000)
}

const { results, shot, step, openPage, run } = e2eRun('knx', { settle: false })
await run(async () => {
  const [phone, page] = await openPage('phone', PHONE)

  await step('login', page, async () => {
    await loginHome(page, MANAGER, PASSWORD)
  })

  await step('topology shows the KNX groups', page, async () => {
    await page.goto('/facility')
    // both groups with a state read from the bus (the KNX process's probe)
    await until(page, () => {
      const els = [...document.querySelectorAll('[data-test=knx-light]')]
      return els.length === 2 && els.every((e) => e.dataset.state === 'off')
    }, undefined, 30_000)
    const lights = await page.locator('[data-test=knx-light]').evaluateAll(
      (els) => Object.fromEntries(els.map((e) => [e.dataset.device, e.dataset.state])))
    // the dimmer hangs from its lighting circuit, the other is listed apart
    await page.locator('[data-circuit="AL1-WL1"]').waitFor()
    await page.locator('[data-test=knx-unattached] [data-device="KNX-L1"]').waitFor()
    results['topology shows the KNX groups'] = { lights }
    await shot(page, 'phone-knx-topology')
  })

  await step('switched on and dimmed to 40 %', page, async () => {
    await page.locator('[data-test=knx-light][data-device="KNX-L2"]').click()
    await page.waitForURL((u) => u.pathname === `/devices/${DEVICE}`)
    // the live stream is open: the next probe's values (every second) reach the page
    const live = page.locator('[data-test=device-live] .muted').first()
    await live.waitFor()
    const before = await live.innerText()
    await until(page, (t) => document.querySelector('[data-test=device-live] .muted')?.innerText !== t, before, 20_000)
    const control = page.locator('[data-test=device-control]')
    await control.locator('[data-test=device-action][data-action=on]').click()
    await sendConfirmed(page, '夜间巡查')
    await page.locator('[data-test=control-sheet] [data-test=control-done]').click()
    await until(page, () => document.querySelector('[data-test=confirmed]')?.dataset.value === 'on', undefined, 20_000)
    await control.locator('[data-test=device-action][data-action=dim]').click()
    const sheet = page.locator('[data-test=control-sheet]')
    await sheet.locator('[data-test=control-dim]').waitFor()
    const level = sheet.locator('[data-test=dim-level] input')
    await level.fill('40')
    await level.blur()
    const label = await sheet.locator('[data-test=control-send]').innerText()
    if (!label.includes('40%')) throw new Error(`the send button says ${label}`)
    await sendConfirmed(page, '夜间巡查', 'phone-knx-dim-sheet')
    await page.locator('[data-test=control-sheet] [data-test=control-done]').click()
    await page.locator('[data-test=control-sheet]').waitFor({ state: 'hidden' })
    await until(page, () => document.querySelector('[data-test=confirmed]')?.dataset.level === '40', undefined, 20_000)
    const c = page.locator('[data-test=confirmed]')
    results['switched on and dimmed to 40 %'] = {
      confirmed: { value: await c.getAttribute('data-value'), level: await c.getAttribute('data-level') } }
    await shot(page, 'phone-knx-dimmed')
  })

  await step('a wall switch turns it off, live', page, async () => {
    execFileSync('knxtool', ['groupswrite', `local:${SOCK}`, '1/2/10', '0'], { timeout: 10_000 })
    await until(page, () => document.querySelector('[data-test=confirmed]')?.dataset.value === 'off', undefined, 20_000)
    await until(page, () => document.querySelector('[data-test=device-state]')?.dataset.state === 'off', undefined, 10_000)
    const tg = page.locator('[data-test=knx-telegram]')
    results['a wall switch turns it off, live'] = {
      value: await page.locator('[data-test=confirmed]').getAttribute('data-value'),
      address: await tg.getAttribute('data-address') }
    await shot(page, 'phone-knx-wall-switch')
  })

  await step('console lists the KNX gateway connected', page, async () => {
    const [desk, dpage] = await openPage('desk', DESKTOP)
    await loginHome(dpage, ADMIN, PASSWORD)
    await dpage.goto('/admin/facility/knx_gateways')
    const row = dpage.locator('[data-resource=knx_gateways] tr[data-row="KNX-GW1"]')
    await row.waitFor({ timeout: 30_000 })
    results['console lists the KNX gateway connected'] = { row: await row.innerText() }
    await shot(dpage, 'desktop-knx-gateways')
    // a KNX group's addresses in the device form: a bad one refused under its field
    await dpage.goto('/admin/facility/devices')
    await dpage.locator('[data-resource=devices] tr[data-row="KNX-L1"] [data-test=row-edit]').click()
    const field = dpage.locator('[data-field="attributes.switch"]')
    await field.locator('input').fill('1/2/999')
    await dpage.locator('[data-test=form-save]').click()
    await field.locator('[data-test=field-error]').waitFor({ timeout: 10_000 })
    results['console lists the KNX gateway connected'].addressError = await field.innerText()
    await shot(dpage, 'desktop-knx-device-form')
  })
})
