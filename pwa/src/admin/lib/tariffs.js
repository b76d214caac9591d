// Pure helpers of the console's tariff page (no Vue, no fetch): the day's quarter hours,
// which period owns each of the 96 quarters (wrapping past midnight, as the server's
// backend/energy/tariffs.py reads them), the versions' validity and the form's body.
export const PERIODS = ['sharp', 'peak', 'flat', 'valley']
export const PERIOD_COLORS = { sharp: '#ee0a24', peak: '#ff976a', flat: '#1989fa', valley: '#07c160' }
const pad = (n) => String(n).padStart(2, '0')

/** "00:00", "00:15" ... "23:45" (starts) and "00:15" ... "24:00" (ends). */
export const QUARTER_TIMES = Array.from({ length: 97 }, (_, q) => `${pad(Math.floor(q / 4))}:${pad((q % 4) * 15)}`)
export const START_TIMES = QUARTER_TIMES.slice(0, 96)
export const END_TIMES = QUARTER_TIMES.slice(1)

/** The quarter index of "HH:MM" (0-96), or null off the quarter hour. */
export function quarterOf(hhmm) {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm || '')
  if (!m) return null
  const h = Number(m[1]); const min = Number(m[2])
  if (min % 15 || h > 24 || (h === 24 && min)) return null
  return h * 4 + min / 15
}

/** The period of each of the 96 quarters (null: none), and the quarters two claim. */
export function quarterMap(periods) {
  const owner = Array(96).fill(null)
  const overlaps = new Set()
  for (const p of periods || []) {
    const a = quarterOf(p.start); const b = quarterOf(p.end)
    if (a === null || b === null || a === 96 || a === b) continue
    const span = a < b ? [...Array(b - a).keys()].map((k) => a + k) : [...Array(96 - a + b).keys()].map((k) => (a + k) % 96)
    for (const q of span) {
      if (owner[q] !== null) overlaps.add(q)
      else owner[q] = p.period
    }
  }
  return { owner, gaps: owner.filter((x) => x === null).length, overlaps: overlaps.size }
}

/** The day bar: runs of consecutive quarters with one owner, {period, from, to, pct}. */
export function dayRuns(periods) {
  const { owner } = quarterMap(periods)
  const runs = []
  for (let q = 0; q < 96; q++) {
    const last = runs[runs.length - 1]
    if (last && last.period === owner[q]) { last.to = QUARTER_TIMES[q + 1]; last.pct += 100 / 96 } else {
      runs.push({ period: owner[q], from: QUARTER_TIMES[q], to: QUARTER_TIMES[q + 1], pct: 100 / 96 })
    }
  }
  return runs
}

/** The versions, newest first, each with ``valid_until``: the day before the next one's
 *  ``valid_from`` (null: still valid). */
export function withValidity(rows) {
  const asc = [...(rows || [])].sort((a, b) => a.valid_from.localeCompare(b.valid_from))
  return asc.map((r, i) => {
    const next = asc[i + 1]
    let until = null
    if (next) {
      const [y, m, d] = next.valid_from.split('-').map(Number)
      const t = new Date(Date.UTC(y, m - 1, d - 1))
      until = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`
    }
    return { ...r, valid_until: until }
  }).reverse()
}

/** A new version's form: the common three-period day (valley overnight). */
export function blankTariff(today) {
  return { id: null, name: '', valid_from: today, currency: 'CNY',
    periods: [{ period: 'valley', start: '23:00', end: '07:00' }, { period: 'flat', start: '07:00', end: '08:00' },
      { period: 'peak', start: '08:00', end: '23:00' }],
    prices: { sharp: '', peak: '', flat: '', valley: '' } }
}

/** A version as the form edits it (prices as text, every period present). */
export function tariffForm(row) {
  const prices = Object.fromEntries(PERIODS.map((p) => [p, row.prices?.[p] ?? '']))
  return { id: row.id, name: row.name || '', valid_from: row.valid_from, currency: row.currency || 'CNY',
    periods: (row.periods || []).map((p) => ({ ...p })), prices }
}

/** The API's body: the prices of the periods in use (numbers; anything else as typed,
 *  for the server to name the field), an empty one left out for ``price_missing``. */
export function tariffBody(form, siteId) {
  const used = new Set(form.periods.map((p) => p.period))
  const prices = {}
  for (const p of PERIODS) {
    const v = String(form.prices[p] ?? '').trim()
    if (!used.has(p) || v === '') continue
    prices[p] = Number.isFinite(Number(v)) ? Number(v) : v
  }
  return { site_id: siteId, name: form.name, valid_from: form.valid_from, currency: form.currency,
    periods: form.periods.map((p) => ({ period: p.period, start: p.start, end: p.end })), prices }
}
