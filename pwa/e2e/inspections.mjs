// Inspections end to end (started by tests/test_pwa_inspections_e2e.py, which passes
// everything in the environment): the console creates an inspection plan and a dual-power
// switch-over test; the staff's phone records the inspection with its checklist, a value,
// a finding and a photo (a JPEG drawn in the page and uploaded through the file input);
// the simulator's transfer switch changes over and the phone records the switch-over test,
// its time measured from the polled readings; the console lists and exports the records.
// Prints one JSON line of results; exits non-zero on the first failed step.
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DESKTOP, PHONE, apiGet, e2eRun, env, loginHome, sim, until } from './browser.mjs'
import { metricValue } from '../src/lib/power.js'

const PASSWORD = env('GW_PASSWORD')
const ADMIN = env('GW_ADMIN')
const STAFF = env('GW_STAFF')
const SITE = Number(env('GW_SITE'))
const NORMAL = env('GW_NORMAL')
const STANDBY = env('GW_STANDBY')
const NORMAL_ID = env('GW_NORMAL_ID')
const STANDBY_ID = env('GW_STANDBY_ID')
const GAP_MS = Number(env('GW_GAP_MS'))
const TODAY = env('GW_TODAY') // the site's local date

const { out, results, shot, step, openPage, run } = e2eRun('inspections')

const planForm = (page) => page.locator('[data-test=admin-inspection-plan-form]')
async function createPlan(page, { name, kind, every, unit, checklist, measurements = '', breakers = null }) {
  const form = planForm(page)
  await form.locator('[data-test=plan-name]').fill(name)
  await form.locator('[data-test=plan-kind]').selectOption(kind)
  await form.locator('[data-test=plan-every]').fill(String(every))
  await form.locator('[data-test=plan-unit]').selectOption(unit)
  await form.locator('[data-test=plan-start]').fill(TODAY)
  await form.locator('[data-test=plan-checklist]').fill(checklist.join('\n'))
  await form.locator('[data-test=plan-measurements]').fill(measurements)
  if (breakers) {
    await form.locator(`[data-test=plan-normal_device_id] option[value="${breakers[0]}"]`).waitFor({ state: 'attached' })
    await form.locator('[data-test=plan-normal_device_id]').selectOption(breakers[0])
    await form.locator('[data-test=plan-standby_device_id]').selectOption(breakers[1])
  }
  const before = await page.locator('[data-test=admin-plan-row]').count()
  await form.locator('[data-test=plan-save]').click()
  await until(page, (n) => document.querySelectorAll('[data-test=admin-plan-row]').length > n, before)
  const row = page.locator('[data-test=admin-plan-row]', { hasText: name })
  return { id: Number(await row.getAttribute('data-plan')), row: (await row.innerText()).replace(/\s+/g, ' ').trim() }
}

/** A photo of the "switchboard", drawn on a canvas and saved as a real JPEG file. */
async function drawPhoto(page, path) {
  const b64 = await page.evaluate(() => {
    const c = Object.assign(document.createElement('canvas'), { width: 640, height: 480 })
    const g = c.getContext('2d')
    const sky = g.createLinearGradient(0, 0, 0, 480)
    sky.addColorStop(0, '#d9dde3')
    sky.addColorStop(1, '#8b949e')
    g.fillStyle = sky
    g.fillRect(0, 0, 640, 480)
    for (let i = 0; i < 4; i++) { // four cabinets, their doors and indicator lamps
      g.fillStyle = '#4a6b8a'
      g.fillRect(40 + i * 150, 60, 130, 380)
      g.strokeStyle = '#1f2d3a'
      g.lineWidth = 4
      g.strokeRect(50 + i * 150, 80, 110, 340)
      g.fillStyle = i === 1 ? '#e34d4d' : '#3fbf5f'
      g.beginPath()
      g.arc(105 + i * 150, 120, 10, 0, Math.PI * 2)
      g.fill()
    }
    g.fillStyle = '#fff'
    g.font = '28px sans-serif'
    g.fillText('AA1  2#', 210, 40)
    return c.toDataURL('image/jpeg', 0.85).split(',')[1]
  })
  const bytes = Buffer.from(b64, 'base64')
  writeFileSync(path, bytes)
  return { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') }
}

async function switchState(page, id) {
  return metricValue(await apiGet(page, `/devices/${id}/latest?metrics=switch_state`), 'switch_state')
}

await run(async () => {
  const [, desk] = await openPage('admin', DESKTOP)
  let hv = null
  let sw = null
  await step('console creates the plans', desk, async () => {
    await loginHome(desk, ADMIN, PASSWORD)
    await desk.goto('/admin/users')
    await desk.locator('[data-menu=inspections]').click()
    await desk.waitForURL((u) => u.pathname === '/admin/inspections')
    await planForm(desk).waitFor()
    hv = await createPlan(desk, { name: '高压配电房月度巡视', kind: 'inspection', every: 1, unit: 'month',
      checklist: ['柜门关闭', '无异味异响', '绝缘垫完好'], measurements: '室温|°C' })
    sw = await createPlan(desk, { name: '双电源切换试验', kind: 'switchover_test', every: 3, unit: 'month',
      checklist: ['已通知各监区'], breakers: [NORMAL_ID, STANDBY_ID] })
    results['console creates the plans'] = { hv, sw, menu: await desk.locator('[data-menu=inspections]').innerText() }
    await shot(desk, 'desktop-inspections-plans')
  })

  const [, phone] = await openPage('staff', PHONE)
  await step('overview shows the due inspections', phone, async () => {
    await loginHome(phone, STAFF, PASSWORD)
    await phone.evaluate((id) => localStorage.setItem('gw.site', String(id)), SITE)
    const card = phone.locator('[data-test=overdue-inspections]')
    await card.locator('[data-test=overdue-row]').nth(1).waitFor()
    const rows = await card.locator('[data-test=overdue-row]').evaluateAll((els) =>
      els.map((e) => ({ plan: Number(e.dataset.plan), status: e.dataset.status, text: e.innerText.replace(/\s+/g, ' ').trim() })))
    results['overview shows the due inspections'] = { rows }
    await card.scrollIntoViewIfNeeded()
    await shot(phone, 'phone-inspections-overview')
    await card.locator(`[data-test=overdue-row][data-plan="${hv.id}"]`).click()
    await phone.waitForURL((u) => u.pathname === '/inspections')
    await phone.locator(`[data-test=inspection-form][data-plan="${hv.id}"]`).waitFor()
  })

  await step('inspection recorded with checklist and photo', phone, async () => {
    const form = phone.locator('[data-test=inspection-form]')
    await form.locator('[data-test=check-item][data-key=c2] [data-test=check-fail]').click()
    await form.locator('[data-test=value-field][data-key=m1] input').fill('26.5')
    await form.locator('[data-test=findings] textarea').fill('2号柜有轻微异响')
    const file = join(out, 'inspection-photo.jpg')
    results['photo file'] = await drawPhoto(phone, file)
    await form.locator('[data-test=photo]').setInputFiles(file)
    const header = await form.locator('.muted').first().innerText()
    await shot(phone, 'phone-inspection-form')
    await form.locator('[data-test=inspection-submit]').click()
    const saved = phone.locator('[data-test=inspection-saved]')
    await saved.waitFor()
    const record = Number(await saved.getAttribute('data-record'))
    await until(phone, () => /\d{4}-\d\d-\d\d/.test(document.querySelector('[data-test=inspection-saved]')?.innerText || ''))
    const photos = await apiGet(phone, `/inspection-records/${record}/photos`)
    results['inspection recorded with checklist and photo'] = { record, header, photos: photos.length,
      saved: (await saved.innerText()).trim() }
    await shot(phone, 'phone-inspection-saved')
  })

  await step('switch-over test measured from the readings', phone, async () => {
    if (await switchState(phone, STANDBY_ID) !== 'open') throw new Error('the standby is not open before the test')
    const transfer = await sim(`/api/devices/${NORMAL}`, { transfer: { to: STANDBY, gap_ms: GAP_MS } })
    const t0 = Date.now()
    // the poller saw the standby close (the fast poll), so the readings hold the change-over
    while (await switchState(phone, STANDBY_ID) !== 'closed') {
      if (Date.now() - t0 > 30_000) throw new Error('the standby never showed closed')
      await phone.waitForTimeout(250)
    }
    await phone.goto(`/inspections?plan=${sw.id}`)
    const form = phone.locator(`[data-test=inspection-form][data-plan="${sw.id}"]`)
    await form.waitFor()
    await form.locator('[data-test=inspection-submit]').click()
    const saved = phone.locator('[data-test=inspection-saved]')
    await saved.waitFor()
    results['switch-over test measured from the readings'] = { transfer: transfer.transfer,
      seconds: await saved.getAttribute('data-seconds'), source: await saved.getAttribute('data-source'),
      text: (await saved.innerText()).trim() }
    await shot(phone, 'phone-switchover-saved')
  })

  await step('console lists the records and exports them', desk, async () => {
    await desk.reload()
    await desk.locator('[data-test=admin-record-row]').nth(1).waitFor()
    const rows = await desk.locator('[data-test=admin-record-row]').evaluateAll((els) =>
      els.map((e) => e.innerText.replace(/\s+/g, ' ').trim()))
    const [download] = await Promise.all([desk.waitForEvent('download'), desk.locator('[data-test=export-xlsx]').click()])
    results['console lists the records and exports them'] = { rows: rows.length, texts: rows,
      download: download.suggestedFilename() }
    await desk.locator('[data-test=admin-inspection-records]').scrollIntoViewIfNeeded()
    await shot(desk, 'desktop-inspections-records')
  })
})
