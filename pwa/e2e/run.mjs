// End-to-end run of the built PWA against a real backend, the simulator and live polling
// (started by tests/test_pwa_e2e.py, which passes everything in the environment).
// Prints one JSON line of results; exits non-zero on the first failed step.
import { DESKTOP, PHONE, e2eRun, env, login, loginHome, sim, until } from './browser.mjs'

const PASSWORD = env('GW_PASSWORD')
const DEVICE = Number(env('GW_DEVICE_ID')) // QF-AA1-WL1
const MANAGER = env('GW_MANAGER')
const OTHER = env('GW_OTHER')
const APPROVER = env('GW_APPROVER') // a second manager: approves the protected circuit's command
const STAFF = env('GW_STAFF') // staff of the site without a control grant
const LIGHTING = Number(env('GW_LIGHTING_DEVICE')) // QF-AL1-WL1 on AL-JQ1-1-WL1 (lighting)
const PROTECTED = Number(env('GW_PROTECTED_DEVICE')) // QF-JQ1-WL4 on AP-JQ1-WL4 (protected)
const STAFF_DEVICE = Number(env('GW_STAFF_DEVICE')) // QF-AL1-WL2
const RCD_DEVICE = Number(env('GW_RCD_DEVICE')) // QF-AA1-WL3: residual protection off (monitoring only)
const SCENE = Number(env('GW_SCENE')) // opens QF-AA1-WL4, closes QF-AA1-WL6 (protected: waits for approval)

const text = (page, sel) => page.locator(sel).first().innerText()
const tab = (page, label) => page.locator('.van-tabbar-item', { hasText: label }).first()
const alarmRow = (code, state) => `[data-test=alarm-list] [data-test=alarm-row]${state ? `[data-state=${state}]` : ''}:has-text("${code}")`

const { base: BASE, results, shot, step, browser, openPage, run } = e2eRun('pwa', { settle: false })
let desk = null // the second person's browser: opened while the phone is, kept for the desktop step
let dpage = null
await run(async () => {
  const [phone, page] = await openPage('phone', PHONE)

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
    await loginHome(page, MANAGER, PASSWORD)
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
    await tab(page, '设施').click()
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

  let alarmId = null
  await step('alarm appears live, blinks, is acknowledged', page, async () => {
    const CODE = 'QF-AA1-WL2'
    await tab(page, '报警').click()
    await page.waitForURL(/\/alarms$/)
    await until(page, () => /\d/.test(document.querySelector('[data-test=alarm-total]')?.textContent || ''))
    if (await page.locator(alarmRow(CODE, 'active')).count()) throw new Error(`an active alarm on ${CODE} before the fault`)
    // over the 250 V warning limit, under the breaker's 275 V trip: an open warning
    await sim(`/api/devices/${CODE}`, { set: { voltage: 262 } })
    await page.locator(alarmRow(CODE, 'active')).waitFor({ timeout: 60_000 }) // live: no reload
    const row = page.locator(alarmRow(CODE, 'active')).first()
    alarmId = Number(await row.getAttribute('data-alarm-id'))
    const level = await row.getAttribute('data-level')
    await until(page, () => Number(document.querySelector('[data-test=tab-alarms] .van-badge')?.textContent) > 0)
    await shot(page, 'phone-alarms')

    await tab(page, '设施').click()
    const circuit = page.locator('[data-circuit=AA1-WL2]')
    await until(page, () => document.querySelector('[data-circuit=AA1-WL2]')?.dataset.alarm)
    const mark = await circuit.locator('.amark').evaluate((el) => [el.className, getComputedStyle(el).animationName])
    if (mark[1] !== 'gw-blink' || !mark[0].includes(level)) throw new Error(`alarm mark does not blink: ${mark}`)
    await shot(page, 'phone-facility-alarm')

    await tab(page, '报警').click()
    await page.locator(`[data-alarm-id="${alarmId}"]`).first().click()
    await page.waitForURL(new RegExp(`/alarms/${alarmId}$`))
    await page.locator('[data-test=alarm-detail][data-state=active]').waitFor()
    await page.locator('[data-test=alarm-timeline] [data-kind=raised]').waitFor()
    await shot(page, 'phone-alarm-detail')
    await page.locator('[data-test=ack]').click()
    await page.locator('[data-test=prompt-text] textarea').fill('e2e 已到现场')
    await page.locator('[data-test=prompt-submit]').click()
    await page.locator('[data-test=alarm-detail][data-state=acknowledged]').waitFor()
    await page.locator('[data-test=alarm-prompt]').waitFor({ state: 'hidden' })
    await page.locator('[data-test=alarm-timeline] [data-kind=acknowledged]').waitFor()
    const state = await text(page, '[data-test=detail-state]')
    if (state.trim() !== '已确认') throw new Error(`state shows ${state}`)
    results['alarm appears live, blinks, is acknowledged'] = {
      alarm: alarmId, level, state, timeline: await text(page, '[data-test=alarm-timeline]') }
    await shot(page, 'phone-alarm-acknowledged')
    await sim(`/api/devices/${CODE}`, { clear: ['voltage'] })
  })

  await step('device live values', page, async () => {
    await page.goto('/facility')
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

  await step('push notification from the service worker', page, async () => {
    await tab(page, '我的').click()
    await page.locator('[data-test=push-cell]').waitFor()
    await shot(page, 'phone-me')
    // A push as the server sends it (backend/notify/webpush.py), delivered by the DevTools
    // protocol (no push service here): the service worker shows it as a notification.
    await phone.grantPermissions(['notifications'], { origin: new URL(BASE).origin })
    const cdp = await phone.newCDPSession(page)
    const registered = new Promise((resolve) => cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      const r = e.registrations.find((x) => !x.isDeleted)
      if (r) resolve(r)
    }))
    await cdp.send('ServiceWorker.enable')
    const reg = await registered
    const payload = { title: '[报警] e2e 推送', body: '示范看守所 一监区：262 V（未确认）', url: `${BASE}/alarms/${alarmId}`,
      tag: `alarm-${alarmId}`, alarm_id: alarmId, level: 'warning', state: 'active', occurred_at: new Date().toISOString() }
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: new URL(BASE).origin, registrationId: reg.registrationId, data: JSON.stringify(payload) })
    const shown = await page.evaluate(async () => {
      for (let i = 0; i < 40; i++) {
        const n = await (await navigator.serviceWorker.ready).getNotifications()
        if (n.length) return { title: n[0].title, body: n[0].body, tag: n[0].tag, url: n[0].data?.url }
        await new Promise((r) => setTimeout(r, 250))
      }
      return null
    })
    if (!shown || shown.title !== payload.title || shown.url !== `/alarms/${alarmId}`) throw new Error(`notification: ${JSON.stringify(shown)}`)
    results['push notification from the service worker'] = shown
    await cdp.detach()
  })

  await step('manager opens a lighting circuit from the topology', page, async () => {
    const ROW = '[data-circuit=AL-JQ1-1-WL1]'
    await tab(page, '设施').click()
    await page.locator(ROW).waitFor()
    await until(page, (r) => document.querySelector(r)?.dataset.state === 'closed', ROW)
    const sheet = page.locator('[data-test=control-sheet]')
    // The tree re-renders on live refreshes (values, fault location): a tap landing on a
    // row being replaced is lost, as on a phone; tap again rather than fail (CI, loaded).
    for (let attempt = 1; ; attempt++) {
      await page.locator(`${ROW} [data-test=switch-circuit]`).click()
      try { await sheet.waitFor({ timeout: 10000 }); break } catch (err) { if (attempt === 3) throw err }
    }
    if (await sheet.getAttribute('data-device') !== String(LIGHTING)) throw new Error('the sheet is for another device')
    if (await sheet.locator('[data-test=control-protection]').getAttribute('data-protected') !== 'false') {
      throw new Error('a lighting circuit shown as protected')
    }
    await sheet.locator('[data-test=control-action][data-action=open]').click()
    await sheet.locator('[data-test=control-send]').click() // no reason yet: refused here
    await sheet.locator('[data-test=control-error][data-error=reason]').waitFor()
    await sheet.locator('[data-test=control-reason] textarea').fill('e2e 走廊照明检修')
    await shot(page, 'phone-control-sheet')
    await sheet.locator('[data-test=control-send]').click()
    await sheet.locator('[data-test=command-progress][data-state=confirmed]').waitFor({ timeout: 30_000 })
    await until(page, (r) => document.querySelector(r)?.dataset.state === 'open', ROW) // the device confirms it
    results['manager opens a lighting circuit from the topology'] = {
      state: (await text(page, '[data-test=control-sheet] [data-test=command-state]')).trim(),
      circuit: await page.locator(ROW).getAttribute('data-state') }
    await shot(page, 'phone-control-confirmed')
    await sheet.locator('[data-test=control-done]').click()
    await sheet.waitFor({ state: 'hidden' })
  })

  await step('manager turns residual protection on', page, async () => {
    await page.goto(`/devices/${RCD_DEVICE}`)
    await page.locator('[data-test=settings-entry]').click()
    await page.waitForURL(new RegExp(`/devices/${RCD_DEVICE}/settings$`))
    const form = page.locator('[data-test=settings-form]')
    const rcd = form.locator('[data-setting=residual_protection]')
    await rcd.waitFor({ timeout: 30_000 }) // read from the device through the poll process
    if (await rcd.getAttribute('data-value') !== 'false') throw new Error(`residual protection reads ${await rcd.getAttribute('data-value')}`)
    const readAt = await text(page, '[data-test=settings-read-at]')
    if (await form.locator('[data-setting=rated_current] input').count()) throw new Error('a read-only setting is editable')
    await rcd.locator('[data-test=setting-switch]').click()
    await until(page, () => document.querySelector('[data-test=settings-changed]')?.dataset.count === '1')
    await form.locator('[data-test=settings-reason] textarea').fill('e2e 开启漏电保护')
    await shot(page, 'phone-settings')
    await form.locator('[data-test=settings-submit]').click()
    const done = page.locator('[data-test=settings-command] [data-test=command-progress][data-state=confirmed]')
    await done.waitFor({ timeout: 30_000 })
    const row = page.locator('[data-test=settings-result] [data-test=result-row][data-setting=residual_protection][data-ok=true]')
    await row.waitFor()
    await until(page, () => document.querySelector('[data-test=result-row][data-setting=residual_protection]')?.dataset.before === 'false')
    results['manager turns residual protection on'] = { readAt,
      state: (await text(page, '[data-test=settings-command] [data-test=command-state]')).trim(),
      before: (await row.locator('[data-test=result-before]').innerText()).trim(),
      after: (await row.locator('[data-test=result-after]').innerText()).trim() }
    await shot(page, 'phone-settings-confirmed')
  })

  let approvalId = null
  await step('protected circuit waits for approval', page, async () => {
    await page.goto(`/devices/${PROTECTED}`)
    const card = page.locator('[data-test=device-control]')
    await card.locator('[data-test=needs-approval]').waitFor()
    await until(page, () => document.querySelector('[data-test=device-control] [data-test=confirmed]')?.dataset.value === 'closed')
    await card.locator('[data-test=device-action][data-action=open]').click()
    const sheet = page.locator('[data-test=control-sheet]')
    await sheet.locator('[data-test=control-protection][data-protected=true]').waitFor()
    await sheet.locator('[data-test=control-reason] textarea').fill('e2e 门禁对讲线路检修')
    await sheet.locator('[data-test=control-send]').click()
    const progress = sheet.locator('[data-test=command-progress][data-state=awaiting_approval]')
    await progress.waitFor()
    approvalId = Number(await progress.getAttribute('data-command'))
    await shot(page, 'phone-awaiting-approval')
    await sheet.locator('[data-test=control-done]').click()
    await page.goto(`/commands/${approvalId}`)
    await page.locator('[data-test=command-detail][data-state=awaiting_approval]').waitFor()
    if (await page.locator('[data-test=approve]').count()) throw new Error('the requester is offered to approve')
    await page.goBack()
    await card.locator('[data-test=commanded][data-state=awaiting_approval]').waitFor()
  })

  desk = await browser('desktop', DESKTOP)
  dpage = desk.pages()[0] || await desk.newPage()
  await step('a second person approves, the circuit switches', dpage, async () => {
    await loginHome(dpage, APPROVER, PASSWORD)
    await until(dpage, () => Number(document.querySelector('[data-test=tab-me] .van-badge')?.textContent) > 0)
    await tab(dpage, '我的').click()
    await dpage.locator('[data-test=approvals-entry]').click()
    await dpage.locator(`[data-test=approval-row][data-command="${approvalId}"]`).click()
    await dpage.waitForURL(new RegExp(`/commands/${approvalId}$`))
    const requester = await text(dpage, '[data-test=detail-requester]')
    if (!requester.includes(MANAGER)) throw new Error(`requester shows ${requester}`)
    await dpage.locator('[data-test=approve]').click()
    await dpage.locator('[data-test=command-comment] textarea').fill('e2e 同意')
    await dpage.locator('[data-test=command-submit]').click()
    await dpage.locator('[data-test=command-detail][data-state=confirmed]').waitFor({ timeout: 30_000 })
    await dpage.locator('[data-test=command-events] [data-state=confirmed]').waitFor()
    await shot(dpage, 'desktop-approval')
    // the requester's page follows live: commanded confirmed, and the device shows it open
    await page.locator('[data-test=device-control] [data-test=commanded][data-state=confirmed]').waitFor({ timeout: 30_000 })
    await until(page, () => document.querySelector('[data-test=device-control] [data-test=confirmed]')?.dataset.value === 'open')
    await page.locator(`[data-test=command-history] [data-command="${approvalId}"][data-state=confirmed]`).waitFor()
    await shot(page, 'phone-approved-confirmed')
    await page.goto('/')
  })

  await step('manager closes a whole board from the topology', page, async () => {
    // AP-JQ1: four breakers, one of them (QF-JQ1-WL4, just opened after approval) protected
    await tab(page, '设施').click()
    await page.locator('[data-board=AP-JQ1] [data-test=switch-board]').first().click()
    const sheet = page.locator('[data-test=board-sheet][data-board=AP-JQ1]')
    await sheet.waitFor()
    const counts = sheet.locator('[data-test=board-counts]')
    const count = { devices: await counts.getAttribute('data-devices'), protected: await counts.getAttribute('data-protected') }
    await sheet.locator('[data-test=board-action][data-action=close]').click()
    await sheet.locator('[data-test=board-reason] textarea').fill('e2e 一监区整箱合闸')
    await shot(page, 'phone-board-confirm')
    await sheet.locator('[data-test=board-send]').click()
    await sheet.locator('[data-test=board-summary]').waitFor()
    // every row settles where it can: confirmed, awaiting approval (protected) or refused
    await until(page, () => {
      const rows = [...document.querySelectorAll('[data-test=board-sheet] [data-test=batch-row]')]
      return rows.length === 4 && rows.every((r) => ['confirmed', 'awaiting_approval', 'refused', 'failed'].includes(r.dataset.status))
    }, undefined, 30_000)
    const rows = await sheet.locator('[data-test=batch-row]').evaluateAll((els) => els.map((el) => ({
      device: Number(el.dataset.device), status: el.dataset.status, text: el.innerText.replace(/\s+/g, ' ').trim() })))
    results['manager closes a whole board from the topology'] = { count, rows,
      summary: (await text(page, '[data-test=board-summary]')).trim() }
    await shot(page, 'phone-board-results')
    await sheet.locator('[data-test=board-done]').click()
    await sheet.waitFor({ state: 'hidden' })
  })

  await step('manager runs a scene', page, async () => {
    await tab(page, '我的').click()
    await page.locator('[data-test=scenes-entry]').click()
    await page.waitForURL(/\/scenes$/)
    const row = page.locator(`[data-test=scene-row][data-scene="${SCENE}"]`)
    await row.locator('[data-test=scene-run]').click()
    const sheet = page.locator(`[data-test=scene-sheet][data-scene="${SCENE}"]`)
    await sheet.waitFor()
    const listed = await sheet.locator('[data-test=scene-action]').evaluateAll((els) => els.map((el) => ({
      text: el.innerText.replace(/\s+/g, ' ').trim(), protected: el.dataset.protected })))
    const waiting = await sheet.locator('[data-test=scene-approvals]').getAttribute('data-count')
    await sheet.locator('[data-test=scene-send]').click() // no reason yet: refused here
    await sheet.locator('[data-test=scene-error][data-error=reason]').waitFor()
    await sheet.locator('[data-test=scene-reason] textarea').fill('e2e 离开办公区')
    await shot(page, 'phone-scene-confirm')
    await sheet.locator('[data-test=scene-send]').click()
    await sheet.locator('[data-test=scene-result][data-state=confirmed]').waitFor({ timeout: 30_000 })
    await sheet.locator('[data-test=scene-result][data-state=awaiting_approval]').waitFor()
    const rows = await sheet.locator('[data-test=scene-result]').evaluateAll((els) => els.map((el) => ({
      state: el.dataset.state, command: Number(el.dataset.command), text: el.innerText.replace(/\s+/g, ' ').trim() })))
    results['manager runs a scene'] = { listed, waiting, rows, summary: (await text(page, '[data-test=scene-summary]')).trim() }
    await shot(page, 'phone-scene-progress')
    await sheet.locator('[data-test=scene-done]').click()
    await sheet.waitFor({ state: 'hidden' })
    await page.goBack()
    await page.waitForURL(/\/me$/)
  })

  await step('logout', page, async () => {
    await tab(page, '我的').click()
    await page.locator('[data-test=logout]').click()
    await page.waitForURL(/\/login/)
    const auth = await page.evaluate(() => localStorage.getItem('gw.auth'))
    if (auth) throw new Error('tokens left after logout')
  })

  await phone.close()
  await step('desktop and site switcher', dpage, async () => {
    await sim('/api/devices/QF-AA1-WL3', { set: { voltage: 262 } }) // an open warning to show
    await dpage.goto('/') // logged in already: the approver, a manager of both sites
    await until(dpage, () => /\d/.test(document.querySelector('[data-test=site-power]')?.textContent || ''))
    await until(dpage, () => Number(document.querySelector('[data-test=live-power-points]')?.textContent) >= 2)
    await until(dpage, () => document.querySelectorAll('[data-test=latest-alarms] [data-test=alarm-row]').length > 0)
    await shot(dpage, 'desktop-overview')
    await tab(dpage, '设施').click()
    await dpage.locator('[data-circuit=AA1-IN]').waitFor()
    await shot(dpage, 'desktop-facility')
    await tab(dpage, '报警').click()
    await dpage.locator(alarmRow('QF-AA1-WL3')).first().waitFor()
    await shot(dpage, 'desktop-alarms')
    await dpage.goto(`/alarms/${alarmId}`)
    await dpage.locator('[data-test=alarm-timeline] [data-kind=acknowledged]').waitFor()
    await shot(dpage, 'desktop-alarm-detail')
    await sim('/api/devices/QF-AA1-WL3', { clear: ['voltage'] })
    await dpage.goBack()
    await tab(dpage, '总览').click()
    await dpage.waitForURL((u) => u.pathname === '/')
    await dpage.locator('[data-test=site-power]').waitFor()
    await dpage.locator('[data-test=site-switch]').click()
    await dpage.locator('.van-picker-column__item', { hasText: process.env.GW_OTHER_SITE_NAME }).click()
    await dpage.waitForTimeout(400)
    await dpage.locator('.van-picker__confirm').click()
    await until(dpage, (n) => document.querySelector('.van-nav-bar__title')?.textContent === n, process.env.GW_OTHER_SITE_NAME)
    await until(dpage, () => document.querySelector('[data-test=count-online]')?.textContent === '0')
  })

  await desk.close()
  const [other, opage] = await openPage('other', PHONE)
  await step('another site sees none of it', opage, async () => {
    await loginHome(opage, OTHER, PASSWORD)
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

  await step('staff without a grant is refused', opage, async () => {
    await tab(opage, '我的').click()
    await opage.locator('[data-test=logout]').click()
    await opage.waitForURL(/\/login/)
    await loginHome(opage, STAFF, PASSWORD)
    await opage.goto(`/devices/${STAFF_DEVICE}`)
    await opage.locator('[data-test=device-control] [data-test=device-action][data-action=open]').click()
    const sheet = opage.locator('[data-test=control-sheet]')
    await sheet.locator('[data-test=control-reason] textarea').fill('e2e 无授权')
    await sheet.locator('[data-test=control-send]').click()
    const err = sheet.locator('[data-test=control-error][data-error=control_not_granted]')
    await err.waitFor()
    results['staff without a grant is refused'] = { reason: (await err.innerText()).trim() }
    await shot(opage, 'phone-control-refused')
  })
})
