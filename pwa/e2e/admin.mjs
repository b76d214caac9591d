// End-to-end run of the admin console against the real backend (started by
// tests/test_pwa_admin_e2e.py, which passes everything in the environment).
// Prints one JSON line of results; exits non-zero on the first failed step.
import { DESKTOP, e2eRun, env, loginHome, until } from './browser.mjs'

const PASSWORD = env('GW_PASSWORD')
const ADMIN = env('GW_ADMIN')
const OTHER = env('GW_OTHER')
const FACILITY = env('GW_FACILITY')
const PROFILE = env('GW_PROFILE') // a correct profile (acme-mcb); a wrong type makes it invalid

const form = (page) => page.locator('[data-test=record-form]')
async function openCreate(page, panel) {
  await page.locator(`[data-resource=${panel}] [data-test=create]`).click()
  await form(page).waitFor()
}
async function save(page) {
  await form(page).locator('[data-test=form-save]').click()
}
async function saved(page, panel, row) {
  await form(page).waitFor({ state: 'detached' })
  const search = page.locator(`[data-resource=${panel}] [data-test=search]`)
  await search.fill(row) // a new record may be on a later page
  await search.press('Enter')
  await page.locator(`[data-resource=${panel}] tr[data-row="${row}"]`).waitFor()
}
async function fieldError(page, field) {
  const el = form(page).locator(`[data-field=${field}] [data-test=field-error]`)
  await el.waitFor()
  return el.innerText()
}

const { results, shot, step, openPage, run } = e2eRun('admin')
await run(async () => {
  const [desk, page] = await openPage('admin', DESKTOP)

  await step('console from the Me page', page, async () => {
    await loginHome(page, ADMIN, PASSWORD)
    await page.goto('/me')
    await page.locator('[data-test=admin-entry]').click()
    await page.waitForURL((u) => u.pathname === '/admin/users')
    await page.locator('[data-resource=users] tr[data-row=root]').waitFor()
    await shot(page, 'admin-users')
  })

  await step('device profiles', page, async () => {
    await page.locator('[data-menu=profiles]').click()
    await page.waitForURL((u) => u.pathname === '/admin/profiles')
    await page.locator('tr[data-row=gw-breaker] [data-source=builtin]').waitFor()
    const yaml = (text) => ({ name: 'acme-mcb.yaml', mimeType: 'application/yaml', buffer: Buffer.from(text) })
    // two mistakes: a register type that does not exist, a field no control has
    const bad = PROFILE.replace(/type: u16, scale: 0\.1/, 'type: u17, scale: 0.1').replace(/value: 0x0000\}/, 'value: 0x0000, colour: red}')
    if (bad.split('u17').length !== 2 || !bad.includes('colour')) throw new Error('no field to break in the profile')
    await page.locator('[data-test=profile-file]').setInputFiles(yaml(bad))
    await page.locator('[data-test=profile-submit]').click()
    await page.locator('[data-test=profile-errors][data-error=profile_invalid]').waitFor()
    const errors = await page.locator('[data-test=profile-error]').allInnerTexts()
    await shot(page, 'admin-profile-invalid')
    if (await page.locator('tr[data-row=acme-mcb]').count()) throw new Error('the invalid profile is listed')
    await page.locator('[data-test=profile-file]').setInputFiles(yaml(PROFILE))
    await page.locator('[data-test=profile-submit]').click()
    await page.locator('tr[data-row=acme-mcb] [data-source=uploaded][data-version="1"]').waitFor()
    await page.locator('[data-test=profile-uploaded][data-name=acme-mcb]').waitFor()
    const [dl] = await Promise.all([page.waitForEvent('download'),
      page.locator('[data-test=profile-download][data-name=acme-mcb]').click()])
    results['device profiles'] = { errors, row: (await page.locator('tr[data-row=acme-mcb]').innerText()).trim(),
      download: dl.suggestedFilename() }
    await shot(page, 'admin-profiles')
  })

  await step('import', page, async () => {
    await page.locator('[data-menu=transfer]').click()
    await page.locator('[data-test=import-file]').setInputFiles(FACILITY)
    await page.locator('[data-test=import-dry]').click()
    const report = page.locator('[data-test=import-report][data-dry=true]')
    await report.waitFor()
    const count = async (kind) => Number(await page.locator(`[data-test=import-report] tr[data-kind=${kind}] td.c`).innerText())
    const dry = { circuits: await count('circuits'), devices: await count('devices'), boards: await count('boards') }
    await shot(page, 'admin-import-dry-run')
    await page.locator('[data-test=import-apply]').click()
    await page.locator('[data-test=import-report][data-dry=false]').waitFor()
    await until(page, () => /DC-DEMO/.test(document.querySelector('[data-test=admin-site] option:checked')?.textContent || ''))
    const downloads = []
    for (const which of ['export-yaml', 'export-csv']) {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(`[data-test=${which}]`).click()])
      downloads.push(dl.suggestedFilename())
    }
    if (downloads.join() !== 'DC-DEMO.yaml,DC-DEMO-devices.csv') throw new Error(`downloads: ${downloads}`)
    results.import = { dry, applied: { circuits: await count('circuits') }, downloads }
  })

  await step('create a circuit and a device', page, async () => {
    await page.locator('[data-menu=facility]').click()
    await page.locator('[data-kind=circuits]').click()
    await page.locator('[data-resource=circuits] tr[data-row=AA1-WL1]').waitFor()
    await openCreate(page, 'circuits')
    await form(page).locator('input[name=code]').fill('E2E-C1')
    await form(page).locator('input[name=name]').fill('E2E 测试回路')
    await form(page).locator('select[name=board_id]').selectOption({ label: 'AP-BG 办公区配电箱' })
    await form(page).locator('select[name=category]').selectOption('lighting')
    await save(page)
    await saved(page, 'circuits', 'E2E-C1')
    await page.locator('[data-kind=devices]').click()
    await page.locator('[data-resource=devices] tr[data-row=QF-AA1-WL1]').waitFor()
    await openCreate(page, 'devices')
    await form(page).locator('input[name=name]').fill('E2E 断路器')
    await save(page) // no code: the API's 422 names the field
    const codeError = await fieldError(page, 'code')
    await form(page).locator('input[name=code]').fill('QF-E2E')
    await form(page).locator('select[name=kind]').selectOption('breaker')
    await form(page).locator('select[name=circuit_id]').selectOption({ label: 'E2E-C1 E2E 测试回路' })
    await save(page)
    await saved(page, 'devices', 'QF-E2E')
    await until(page, () => document.querySelectorAll('[data-resource=devices] tbody tr').length === 1)
    await shot(page, 'admin-facility-devices')
    results['create a circuit and a device'] = { codeError }
  })

  await step('the new device on the topology', page, async () => {
    await page.goto('/facility')
    const row = page.locator('[data-circuit=E2E-C1]')
    await row.waitFor()
    await row.scrollIntoViewIfNeeded()
    await shot(page, 'admin-topology-new-device')
    await row.click()
    await page.waitForURL(/\/devices\/\d+$/)
  })

  await step('delete blocked', page, async () => {
    await page.goto('/admin/facility/boards')
    await page.locator('[data-resource=boards] tr[data-row=AA1] [data-test=row-delete]').click()
    await page.locator('.van-dialog__confirm').click()
    const msg = page.locator('[data-test=dependency-message]')
    await msg.waitFor()
    results['delete blocked'] = { message: await msg.innerText() }
    await shot(page, 'admin-delete-blocked')
  })

  await step('create a user', page, async () => {
    await page.locator('[data-menu=users]').click()
    await openCreate(page, 'users')
    await form(page).locator('input[name=username]').fill('e2e-staff')
    await form(page).locator('input[name=display_name]').fill('值班员甲')
    await form(page).locator('select[name=role]').selectOption('staff')
    await form(page).locator('input[name=password]').fill('short')
    await form(page).locator('[data-field=site_ids] label', { hasText: 'DC-DEMO' }).locator('input').check()
    await save(page)
    const passwordError = await fieldError(page, 'password')
    await form(page).locator('input[name=password]').fill('Grid-e2e-staff-2024')
    await save(page)
    await saved(page, 'users', 'e2e-staff')
    results['create a user'] = { passwordError }
  })

  await step('control grants', page, async () => {
    const panel = page.locator('[data-test=control-grants]')
    await panel.locator('[data-test=grants-user]').selectOption({ label: '值班员甲 (e2e-staff)' })
    await panel.locator('[data-test=grants-list]').waitFor()
    const grant = async (scope, label) => {
      await panel.locator('[data-test=grant-scope]').selectOption(scope)
      await panel.locator('[data-test=grant-target]').selectOption({ label })
      await panel.locator('[data-test=grant-add]').click()
    }
    await grant('circuit', 'AP-BG-WL1 办公照明')
    await grant('board', 'AP-ST 食堂配电箱')
    await grant('area', 'JQ2 二监区')
    await panel.locator('[data-grant="area:JQ2 二监区"] [data-test=grant-remove]').click()
    await panel.locator('[data-test=grants-save]').click()
    await page.locator('.van-toast', { hasText: '已保存' }).waitFor()
    // read back from the server
    await panel.locator('[data-test=grants-user]').selectOption({ index: 0 })
    await panel.locator('[data-test=grants-user]').selectOption({ label: '值班员甲 (e2e-staff)' })
    await until(page, () => document.querySelectorAll('[data-test=grants-list] li[data-grant]').length === 2)
    results['control grants'] = { grants: await panel.locator('[data-test=grants-list] li[data-grant]')
      .evaluateAll((els) => els.map((el) => el.dataset.grant)) }
    await shot(page, 'admin-control-grants')
  })

  await step('alarm rule override', page, async () => {
    await page.locator('[data-menu=rules]').click()
    await page.locator('[data-test=catalogue] tr[data-rule=overload]').waitFor()
    await openCreate(page, 'rules')
    await form(page).locator('select[name=scope]').selectOption('device')
    await form(page).locator('select[name=rule]').selectOption('overload')
    await form(page).locator('select[name=enabled]').selectOption({ index: 2 }) // no
    await save(page) // no device: 422 on device_id
    const deviceError = await fieldError(page, 'device_id')
    await form(page).locator('select[name=device_id]').selectOption({ label: 'QF-E2E E2E 断路器' })
    await save(page)
    await form(page).waitFor({ state: 'detached' })
    await until(page, () => document.querySelectorAll('[data-resource=rules] tbody tr[data-row]').length === 1)
    await page.locator('[data-test=limits-device]').selectOption({ label: 'QF-E2E E2E 断路器' })
    await page.locator('[data-test=limits]').waitFor()
    await shot(page, 'admin-rules')
    results['alarm rule override'] = { deviceError }
  })

  await step('recipients and maintenance', page, async () => {
    await page.locator('[data-menu=notify]').click()
    await openCreate(page, 'recipients')
    await form(page).locator('select[name=user_id]').selectOption({ label: '值班员甲 (e2e-staff)' })
    await save(page)
    await form(page).waitFor({ state: 'detached' })
    await openCreate(page, 'windows')
    await form(page).locator('select[name=board_id]').selectOption({ label: 'AP-BG 办公区配电箱' })
    await form(page).locator('input[name=starts_at]').fill('2030-01-01T08:00')
    await form(page).locator('input[name=ends_at]').fill('2030-01-01T12:00')
    await form(page).locator('input[name=reason]').fill('E2E 检修')
    await save(page)
    await form(page).waitFor({ state: 'detached' })
    await until(page, () => document.querySelectorAll('[data-resource=windows] tbody tr[data-row]').length === 1)
    await page.locator('[data-test=profile-user]').selectOption({ label: '值班员甲 (e2e-staff)' })
    await page.locator('[data-test=notify-profile] input[name=oa_openid]').waitFor()
    await shot(page, 'admin-notify')
  })

  await step('audit', page, async () => {
    await page.locator('[data-menu=audit]').click()
    await until(page, () => document.querySelectorAll('[data-test=audit-filters] ~ .data-table tbody tr[data-row]').length > 0)
    await page.locator('[data-test=audit-filters] select[name=entity_type]').selectOption('device')
    await page.locator('[data-test=audit-apply]').click()
    await until(page, () => /QF-E2E|create/.test(document.querySelector('.data-table tbody')?.textContent || ''))
    await shot(page, 'admin-audit')
  })

  await step('cockpit', page, async () => {
    await page.locator('[data-menu=cockpit]').click()
    await until(page, () => document.querySelector('[data-site=DC-DEMO] [data-tile=offline]')?.textContent.trim() !== '—')
    await shot(page, 'admin-cockpit')
  })

  await step('scene and its schedule', page, async () => {
    // a scene made in the console's scene editor (one action, a 422 shown under its field
    // first), then scheduled through the schedule form (which sends the unused target as
    // null: this once gave 409)
    await page.goto('/admin/scenes')
    const siteOption = page.locator('[data-test=admin-site] option', { hasText: 'DC-DEMO' })
    await siteOption.waitFor({ state: 'attached' })
    await page.locator('[data-test=admin-site]').selectOption({ label: (await siteOption.innerText()).trim() })
    await page.locator('[data-test=scene-new]').click()
    const sf = page.locator('[data-test=scene-form]')
    await sf.locator('[data-test=scene-name]').fill('e2e 夜间熄灯')
    await sf.locator('[data-test=action-add-kind]').selectOption('command')
    await sf.locator('[data-test=action-add]').click()
    await sf.locator('[data-test=scene-save]').click()            // no device chosen yet
    const missing = sf.locator('[data-test=action-error]').first()
    await missing.waitFor()
    const refusal = await missing.getAttribute('data-field')
    const device = sf.locator('[data-test=action-device]')
    await until(page, () => document.querySelectorAll('[data-test=action-device] option').length > 1)
    await device.selectOption({ index: 1 })
    const action = sf.locator('[data-test=action-action]')
    await until(page, () => [...document.querySelectorAll('[data-test=action-action] option')].some((o) => o.value === 'open'))
    await action.selectOption('open')
    await sf.locator('[data-test=scene-save]').click()
    await until(page, () => document.querySelector('[data-test=scene-form]')?.dataset.id)
    await page.locator('[data-test=scene-item][data-name="e2e 夜间熄灯"]').waitFor()
    results['scene and its schedule'] = { refusal }
    await shot(page, 'admin-scene')
    await page.goto('/admin/schedules')
    await page.locator('[data-test=schedule-new]').click()
    const f = page.locator('[data-test=schedule-form]')
    await f.locator('[data-test=schedule-name]').fill('e2e 夜间熄灯')
    await f.locator('[data-test=target-scene]').check()
    await until(page, () => [...document.querySelectorAll('[data-test=schedule-scene] option')].some((o) => o.textContent.includes('e2e 夜间熄灯')))
    await f.locator('[data-test=schedule-scene]').selectOption({ label: 'e2e 夜间熄灯' })
    await f.locator('[data-test=time-input]').fill('21:30')
    await f.locator('[data-test=time-add]').click()
    await f.locator('[data-test=schedule-save]').click()
    await until(page, () => document.querySelector('[data-test=schedule-form]')?.dataset.id
      || document.querySelector('[data-test=schedule-save-error]'))
    if (await f.locator('[data-test=schedule-save-error]').count()) {
      throw new Error(`save refused: ${await f.locator('[data-test=schedule-save-error]').innerText()}`)
    }
    const row = page.locator('[data-test=schedule-item][data-name="e2e 夜间熄灯"]')
    await row.waitFor()
    await f.locator('[data-test=next-run]').first().waitFor()
    results['scene and its schedule'].row = await row.innerText()
    results['scene and its schedule'].next = await f.locator('[data-test=next-run]').first().getAttribute('data-local')
    await shot(page, 'admin-schedule')
  })

  await desk.close()
  const [other, opage] = await openPage('other', DESKTOP)
  await step('another site sees none of it', opage, async () => {
    await loginHome(opage, OTHER, PASSWORD)
    await opage.goto('/me')
    await opage.locator('[data-test=logout]').waitFor()
    if (await opage.locator('[data-test=admin-entry]').count()) throw new Error('staff sees the console entry')
    await opage.goto('/admin/facility/devices')
    await opage.waitForURL((u) => u.pathname === '/')
    await opage.goto('/admin/cockpit')
    await opage.waitForURL((u) => u.pathname === '/')
    await opage.waitForTimeout(1000)
    const leaks = (await opage.content()).match(/示范看守所|DC-DEMO|QF-E2E|E2E-C1/g)
    if (leaks) throw new Error(`another site shown: ${leaks}`)
    const api = await opage.evaluate(async () => {
      const h = { Authorization: `Bearer ${JSON.parse(localStorage.getItem('gw.auth')).access}` }
      const sites = await (await fetch('/api/v1/sites', { headers: h })).json()
      return { sites: sites.map((s) => s.code), users: (await fetch('/api/v1/users', { headers: h })).status }
    })
    if (api.sites.join() !== 'DC2' || api.users !== 403) throw new Error(`API: ${JSON.stringify(api)}`)
    await shot(opage, 'admin-other-site')
  })

  const [topo, tpage] = await openPage('admin-topology', DESKTOP)
  await step('topology editor', tpage, async () => {
    await loginHome(tpage, ADMIN, PASSWORD)
    await tpage.goto('/admin/users')
    const siteOption = tpage.locator('[data-test=admin-site] option', { hasText: 'DC-DEMO' })
    await siteOption.waitFor({ state: 'attached' })
    await tpage.locator('[data-test=admin-site]').selectOption({ label: (await siteOption.innerText()).trim() })
    await tpage.locator('[data-menu=topology]').click()
    await tpage.waitForURL((u) => u.pathname === '/admin/topology')
    const node = (code) => tpage.locator(`[data-test=topo-tree] [data-code="${code}"]`)
    const editor = tpage.locator('[data-test=topo-form]')
    await node('E2E-C1').waitFor()
    const before = await node('E2E-C1').getAttribute('data-up')
    if (before !== 'AP-BG') throw new Error(`E2E-C1 hangs from ${before}`)
    // move E2E-C1 (on the incomer of AP-BG) under the circuit AP-BG-WL1
    await node('E2E-C1').click()
    await tpage.locator('[data-test=topo-panel] [data-action=move]').click()
    await editor.locator('select[name=parent_id]').selectOption({ label: 'AP-BG-WL1 办公照明' })
    await editor.locator('[data-test=topo-submit]').click()
    await until(tpage, () => document.querySelector('[data-test=topo-tree] [data-code="E2E-C1"]')?.dataset.up === 'AP-BG-WL1')
    await shot(tpage, 'admin-topology-moved')
    // the live one-line diagram follows: E2E-C1 now hangs below AP-BG-WL1
    await tpage.goto('/facility')
    await until(tpage, () => document.querySelector('[data-circuit="E2E-C1"]')?.closest('.down')
      ?.previousElementSibling?.dataset.circuit === 'AP-BG-WL1')
    await tpage.locator('[data-circuit="E2E-C1"]').scrollIntoViewIfNeeded()
    await shot(tpage, 'admin-topology-facility')
    // a loop: AP-BG-WL1 under E2E-C1, its own downstream circuit; the API refuses (422)
    await tpage.goto('/admin/topology')
    await node('AP-BG-WL1').click()
    await tpage.locator('[data-test=topo-panel] [data-action=move]').click()
    await editor.locator('select[name=parent_id]').selectOption({ label: 'E2E-C1 E2E 测试回路' })
    await editor.locator('[data-test=topo-loop]').waitFor()
    await editor.locator('[data-test=topo-submit]').click()
    const refusal = editor.locator('[data-test=topo-error]')
    await refusal.waitFor()
    const message = await refusal.innerText()
    if (!/cycle|成环/.test(message)) throw new Error(`refusal: ${message}`) // the field message in Chinese since 4eabbe6
    if (await node('AP-BG-WL1').getAttribute('data-up') !== 'AP-BG') throw new Error('AP-BG-WL1 moved')
    await shot(tpage, 'admin-topology-cycle')
    results['topology editor'] = { refusal: message }
  })
})
