// The site-local date of inspections' due dates (pwa/src/lib/format.js).
import { describe, expect, it } from 'vitest'
import { daysBetween, localDate } from '../../src/lib/format.js'

describe('localDate', () => {
  it('is the date in the site\'s zone, not UTC', () => {
    const evening = new Date('2026-12-02T19:40:00Z') // 03:40 the next morning in China
    expect(localDate('Asia/Shanghai', evening)).toBe('2026-12-03')
    expect(localDate('UTC', evening)).toBe('2026-12-02')
    expect(localDate('America/New_York', new Date('2026-12-03T03:00:00Z'))).toBe('2026-12-02')
  })
  it('counts whole days between dates', () => {
    expect(daysBetween('2026-11-29', '2026-12-02')).toBe(3)
    expect(daysBetween('2026-12-02', '2026-12-02')).toBe(0)
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2)
  })
})
