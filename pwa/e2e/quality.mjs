// End-to-end run of the power-quality view, fault location on the topology and in the
// alarm detail, and the console's rule table, against the real backend (started by
// tests/test_pwa_quality_e2e.py, which passes everything in the environment). Prints one
// JSON line of results; exits non-zero on the first failed step.
import { DESKTOP, PHONE, apiGet, e2eRun, env, login } from './browser.mjs'

const PASSWORD = env('GW_PASSWORD')
const STAFF = env('GW_STAFF')
const ADMIN = env('GW_ADMIN')
const SITE = Number(env('GW_SITE'))
const POINT = Number(env('GW_POINT'))
const ALARM = Number(env('GW_ALARM'))

async function signIn(page, user) {
  await login(page, user, PASSWORD)
  await page.waitForURL((u) => !u.pathname.startsWith('/login'))
  await page.evaluate((id) => localStorage.setItem('gw.site', String(id)), SITE)
}

const { results, shot, step, openPage, run } = e2eRun('quality')
await run(async () => {
  const [, phone] = await openPage('staff', PHONE)

  await step('sag in the quality view', phone, async () => {
    await signIn(phone, STAFF)
    await phone.goto('/facility')
    await phone.locator('[data-test=quality-link]').click()
    await phone.waitForURL((u) => u.pathname === '/quality')
    await phone.locator(`[data-test=quality][data-loaded="site:${SITE}"]`).waitFor()
    const card = phone.locator('[data-test=quality-card][data-rule=sag_upstream]').first()
    await card.waitFor()
    await shot(phone, 'phone-quality-site')
    if (await phone.locator('[data-test=more-events]').count()) await phone.locator('[data-test=more-events]').click()
    const sags = await phone.locator('[data-test=quality-event][data-kind=sag]').count()
    const indices = await phone.locator('[data-test=quality-index]').evaluateAll((els) => els.map((e) => e.dataset.index))
    results['sag in the quality view'] = {
      sags, indices,
      card: { scope: await card.getAttribute('data-scope'), cause: await card.locator('[data-test=card-cause]').innerText(),
        hazard: await card.locator('[data-test=card-hazard]').innerText(),
        remedy: await card.locator('[data-test=card-remedy]').innerText() },
    }
  })

  await step("one point's quality", phone, async () => {
    await phone.locator('[data-test=quality-point]').selectOption(String(POINT))
    await phone.locator(`[data-test=quality][data-loaded="${POINT}"]`).waitFor()
    await phone.locator('[data-test=quality-card]').first().waitFor()
    results["one point's quality"] = {
      sags: await phone.locator('[data-test=quality-event][data-kind=sag]').count(),
      approximate: await phone.locator('[data-test=quality-index][data-index=voltage_unbalance] [data-test=approximate]').count(),
      cards: await phone.locator('[data-test=quality-card]').count(),
    }
    await shot(phone, 'phone-quality-point')
  })

  await step('tripped feeder located on the topology', phone, async () => {
    await phone.goto('/facility')
    await phone.locator('[data-test=fault-location] [data-test=fault]').first().waitFor()
    await phone.locator('[data-fault=located]').first().waitFor()
    const located = await phone.locator('.row[data-fault=located]').evaluateAll((els) => els.map((e) => e.dataset.circuit))
    const affected = await phone.locator('.row[data-fault=affected]').count()
    const first = phone.locator('[data-test=fault]').first()
    results['tripped feeder located on the topology'] = {
      located, affected, kind: await first.getAttribute('data-kind'),
      steps: (await first.locator('[data-test=fault-step]').allTextContents()).join(' | '),
    }
    await phone.locator('.row[data-fault=located]').first().scrollIntoViewIfNeeded()
    await shot(phone, 'phone-facility-fault')
  })

  const [, desk] = await openPage('admin', DESKTOP)

  await step('the located fault in the alarm detail', desk, async () => {
    await signIn(desk, ADMIN)
    await desk.goto(`/alarms/${ALARM}`)
    await desk.locator('[data-test=alarm-detail]').waitFor()
    await desk.locator('[data-test=fault-location] [data-test=fault]').first().waitFor()
    const nodes = await desk.locator('[data-test=fault]').evaluateAll((els) => els.map((e) => e.dataset.node))
    const steps = await desk.locator('[data-test=fault]').first().locator('[data-test=fault-step]').count()
    results['the located fault in the alarm detail'] = { nodes, steps }
    await desk.locator('[data-test=fault-location]').scrollIntoViewIfNeeded()
    await shot(desk, 'desktop-alarm-fault')
  })

  await step('console rule table', desk, async () => {
    await desk.goto('/admin/quality')
    await desk.locator('[data-test=quality-rule]').first().waitFor()
    const api = await apiGet(desk, '/quality/rules')
    results['console rule table'] = { rows: await desk.locator('[data-test=quality-rule]').count(), api: api.length }
    await shot(desk, 'desktop-quality-rules')
  })
})
