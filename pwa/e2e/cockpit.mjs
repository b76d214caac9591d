// End-to-end run of the cockpit (总览 and the big screen /admin/cockpit) against the real
// backend (started by tests/test_pwa_cockpit_e2e.py, which passes everything in the
// environment). Prints one JSON line of results; exits non-zero on the first failed step.
import { DESKTOP, PHONE, e2eRun, env, login, loginHome, sim, until } from './browser.mjs'

const PASSWORD = env('GW_PASSWORD')
const MANAGER = env('GW_MANAGER')
const ADMIN = env('GW_ADMIN')
const SITE = env('GW_SITE')

const order = (page) => page.locator('[data-test=cards]').getAttribute('data-order')
const D = '[data-test=oneline]'

const { results, shot, step, openPage, run } = e2eRun('cockpit')
await run(async () => {
  const [phone, page] = await openPage('phone', PHONE)
  await loginHome(page, MANAGER, PASSWORD)

  await step('the diagram draws the facility live', page, async () => {
    await page.locator(`${D} svg`).waitFor()
    // live power on the branches: most circuits show kW, the supply the site's total
    await until(page, (d) => document.querySelectorAll(`${d} [data-circuit][data-kw]:not([data-kw=""])`).length >= 3
      && Number(document.querySelector('[data-test=oneline-total]')?.dataset.kw) > 0, D)
    const drawn = await page.evaluate((d) => ({
      boards: [...document.querySelectorAll(`${d} [data-board]`)].map((e) => e.dataset.board),
      circuits: [...document.querySelectorAll(`${d} [data-circuit]`)].map((e) => e.dataset.circuit),
      withPower: document.querySelectorAll(`${d} [data-circuit][data-kw]:not([data-kw=""])`).length,
      total: document.querySelector('[data-test=oneline-total]').dataset.kw,
      flowing: document.querySelectorAll(`${d} path.flow`).length,
    }), D)
    if (!drawn.flowing) throw new Error('no branch shows power flowing')
    // the ranking with each site's open alarms, today's energy and the trend filled in
    await until(page, () => [...document.querySelectorAll('[data-test=rank-row]')].every((r) => r.dataset.alarms !== ''))
    await until(page, () => Number(document.querySelector('[data-test=energy-today]')?.dataset.kwh) > 0
      && Number(document.querySelector('[data-test=cockpit-trend]')?.dataset.points) > 0)
    results['the diagram draws the facility live'] = drawn
    await shot(page, 'phone-cockpit')
  })

  await step('an injected fault blinks its circuit', page, async () => {
    const sel = `${D} [data-circuit="AA1-WL1"]`
    await until(page, (s) => document.querySelector(s)?.dataset.state === 'closed', sel)
    await sim('/api/devices/QF-AA1-WL1', { set: { voltage: 280 } }) // over the breaker's trip voltage
    // the alarm (alarm stream) and the trip (readings stream) arrive apart: wait for both
    await until(page, (s) => document.querySelector(s)?.dataset.alarm === 'alarm' &&
      document.querySelector(s)?.dataset.state === 'tripped', sel)
    const r = await page.evaluate((s) => {
      const g = document.querySelector(s)
      return { state: g.dataset.state, alarm: g.dataset.alarm,
        animation: getComputedStyle(g.querySelector('.dot')).animationName.split('-')[0],
        breaker: g.querySelector('[data-breaker]').dataset.breaker,
        count: document.querySelector('[data-test=oneline-alarms]')?.innerText || '' }
    }, sel)
    // the trip's alarm counts on the site's ranking row (live, from the alarm stream)
    await until(page, (id) => Number(document.querySelector(`[data-test=rank-row][data-site="${id}"]`)?.dataset.alarms) >= 1, SITE)
    r.siteAlarms = Number(await page.locator(`[data-test=rank-row][data-site="${SITE}"]`).getAttribute('data-alarms'))
    results['an injected fault blinks its circuit'] = r
    await page.locator(sel).scrollIntoViewIfNeeded()
    await shot(page, 'phone-cockpit-fault')
    await sim('/api/devices/QF-AA1-WL1', { clear: ['voltage'] })
  })

  await step('a card moved and hidden survives reload and another profile', page, async () => {
    await page.locator('[data-test=cards-edit]').click()
    const editor = page.locator('[data-test=cards-editor]')
    await editor.waitFor()
    await editor.locator('[data-card=oneline] [data-test=card-up]').click()
    await until(page, () => document.querySelector('[data-test=cards]').dataset.order.startsWith('oneline,'))
    await editor.locator('[data-card=top_circuits] [data-test=card-toggle]').click()
    await until(page, () => !document.querySelector('[data-test=cards]').dataset.order.includes('top_circuits'))
    await page.waitForFunction(() => !document.querySelector('[data-test=cards-editor] .van-button--disabled:not([data-test=card-up]):not([data-test=card-down])'))
    await shot(page, 'phone-cockpit-edit')
    const want = (await order(page)).split(',')
    await page.reload()
    await until(page, (w) => document.querySelector('[data-test=cards]')?.dataset.order === w, want.join(','))
    const afterReload = (await order(page)).split(',')
    const [, dpage] = await openPage('desktop', DESKTOP)
    await loginHome(dpage, MANAGER, PASSWORD)
    await until(dpage, (w) => document.querySelector('[data-test=cards]')?.dataset.order === w, want.join(','))
    await dpage.locator(`${D} svg`).waitFor()
    const otherProfile = (await order(dpage)).split(',')
    await shot(dpage, 'desktop-cockpit-other')
    results['a card moved and hidden survives reload and another profile'] = { order: want, afterReload, otherProfile }
  })

  const [big, bpage] = await openPage('big', { viewport: { width: 1920, height: 1080 } })
  await step('the big screen shows the ranking and the diagram', bpage, async () => {
    await login(bpage, ADMIN, PASSWORD)
    await bpage.waitForURL((u) => !u.pathname.startsWith('/login'))
    await bpage.goto('/admin/cockpit')
    await bpage.locator(`[data-test=big-oneline] ${D} svg`).waitFor()
    await until(bpage, () => document.querySelectorAll('[data-test=big-ranking] [data-test=rank-row]').length === 2)
    await until(bpage, (d) => document.querySelectorAll(`[data-test=big-oneline] ${d} [data-circuit][data-kw]:not([data-kw=""])`).length >= 3, D)
    results['the big screen shows the ranking and the diagram'] = await bpage.evaluate((d) => ({
      circuits: document.querySelectorAll(`[data-test=big-oneline] ${d} [data-circuit]`).length,
      rankRows: document.querySelectorAll('[data-test=big-ranking] [data-test=rank-row]').length,
    }), D)
    await shot(bpage, 'big-cockpit')
  })
})
