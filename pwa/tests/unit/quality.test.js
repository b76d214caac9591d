import { describe, expect, it } from 'vitest'
import { eventRows, faultMarks, faultTitle, fmtPctValue, indexRows, limitText, monitoringPoints, pick,
  sortCards } from '../../src/lib/quality.js'
import { topology } from './fixtures.js'

const tr = (k) => ({ 'quality.shortTime': '短时' }[k] || k)

describe('quality index rows', () => {
  it('states each limit with its sign and unit', () => {
    expect(limitText('voltage_deviation', { upper_pct: 7, lower_pct: -10 })).toBe('+7 % / -10 %')
    expect(limitText('voltage_unbalance', { normal_pct: 2, short_time_pct: 4 }, tr)).toBe('2 % (短时 4 %)')
    expect(limitText('frequency', { max_deviation_hz: 0.2 })).toBe('±0.2 Hz')
    expect(limitText('power_factor', { target: 0.9 })).toBe('≥ 0.9')
    expect(limitText('thd_voltage', { max_pct: 5, level_kv: 0.38 })).toBe('≤ 5 %')
    expect(limitText('thd_voltage', {})).toBe('—')
  })

  it('orders the indices, keeps the clause and labels the approximation', () => {
    const rows = indexRows({
      frequency: { unit: 'Hz', standard: 'GB/T 15945-2008 3.1', limits: { max_deviation_hz: 0.2 }, available: true,
        compliance_pct: 50, p95: 0.5, compliant: false, approximate: true },
      voltage_unbalance: { unit: '%', standard: 'GB/T 15543-2008 4.1', limits: { normal_pct: 2, short_time_pct: 4 },
        available: true, compliance_pct: 100, p95: 0.38, compliant: true, approximate: true, method: 'APPROXIMATE: ...' },
      voltage_deviation: { unit: '%', standard: 'GB/T 12325-2008 4.2', limits: { upper_pct: 7, lower_pct: -7 },
        available: true, compliance_pct: 33.33, p95: 13.6, p95_low: -14.4, compliant: false, approximate: false },
      thd_voltage: { unit: '%', limits: { max_pct: 5 }, available: false, compliance_pct: null, p95: null, compliant: null },
      extra_index: { unit: '', available: true },
    }, tr)
    expect(rows.map((r) => r.key)).toEqual(['voltage_deviation', 'voltage_unbalance', 'frequency', 'thd_voltage', 'extra_index'])
    expect(rows[0]).toMatchObject({ compliance: 33.33, p95: 13.6, p95Low: -14.4, limit: '+7 % / -7 %',
      standard: 'GB/T 12325-2008 4.2', approximate: false, compliant: false })
    expect(rows[1]).toMatchObject({ approximate: true, limit: '2 % (短时 4 %)' })
    expect(rows[3]).toMatchObject({ available: false, compliance: null, compliant: null })
  })

  it('reads the site pooled indices (worst 95 % value, failing points)', () => {
    const [row] = indexRows({ voltage_deviation: { points: 3, intervals: 12, compliance_pct: 75, worst_p95: 9.1,
      failing_points: 1, approximate: false } })
    expect(row).toMatchObject({ available: true, compliance: 75, p95: 9.1, compliant: false, limit: '' })
    const [ok] = indexRows({ frequency: { points: 2, intervals: 4, compliance_pct: 100, worst_p95: 0.1, failing_points: 0,
      standard: 'GB/T 15945-2008 3.1', unit: 'Hz', limits: { max_deviation_hz: 0.2 } } })
    expect(ok).toMatchObject({ compliant: true, limit: '±0.2 Hz', standard: 'GB/T 15945-2008 3.1', unit: 'Hz' })
  })

  it('formats values and picks the language (zh-CN first)', () => {
    expect(fmtPctValue(1.23456)).toBe('1.23 %')
    expect(fmtPctValue(0.1, 'Hz')).toBe('0.100 Hz')
    expect(fmtPctValue(0.92851, '')).toBe('0.929')
    expect(fmtPctValue(null)).toBe('—')
    expect(pick({ zh: '电压偏高', en: 'Voltage too high' })).toBe('电压偏高')
    expect(pick({ zh: '电压偏高', en: 'Voltage too high' }, 'en')).toBe('Voltage too high')
    expect(pick({ zh: '仅中文' }, 'en')).toBe('仅中文')
    expect(pick(null)).toBe('')
  })
})

describe('quality events and cards', () => {
  it('lists events newest first with their depth', () => {
    const rows = eventRows([
      { kind: 'sag', start: '2026-01-01T00:00:00Z', duration_s: 20, residual_pct: 68.2, device_id: 3, code: 'Q3' },
      { kind: 'swell', start: '2026-01-01T01:00:00Z', duration_s: 600, peak_pct: 113.6 },
      { kind: 'trip', start: '2026-01-01T00:30:00Z', duration_s: null, cause: 'short_circuit' },
    ])
    expect(rows.map((r) => r.kind)).toEqual(['swell', 'trip', 'sag'])
    expect(rows[0].depth).toBe(113.6)
    expect(rows[1]).toMatchObject({ cause: 'short_circuit', duration: null })
    expect(rows[2]).toMatchObject({ depth: 68.2, code: 'Q3', deviceId: 3 })
  })

  it('puts system-level cards first, then the most severe', () => {
    const cards = sortCards([{ rule: 'a', scope: 'point', severity: 'warning' },
      { rule: 'b', scope: 'point', severity: 'alarm' }, { rule: 'c', scope: 'system', severity: 'warning' }])
    expect(cards.map((c) => c.rule)).toEqual(['c', 'b', 'a'])
  })

  it('lists the monitoring points of a topology', () => {
    const pts = monitoringPoints(topology)
    expect(pts.length).toBeGreaterThan(0)
    expect(pts.every((p) => typeof p.id === 'number' && p.circuit)).toBe(true)
    expect(monitoringPoints(null)).toEqual([])
  })
})

describe('fault location marks', () => {
  const result = {
    faults: [
      { kind: 'trip', power: true, node: { type: 'circuit', id: 2, code: 'F1', name: '照明干线' },
        affected_circuits: [4, 5], reasoning: [] },
      { kind: 'sag', power: true, node: { type: 'board', id: 9, code: 'AL2', name: 'AL2' },
        affected_circuits: [5, 7], reasoning: [] },
      { kind: 'gateway_offline', power: false, node: { type: 'gateway', id: 1, code: '网关1' },
        affected_circuits: [8], reasoning: [] },
      { kind: 'communication', power: false, node: { type: 'device', id: 12, code: 'Q12' }, affected_circuits: [] },
    ],
  }

  it('marks the located nodes and shades what power faults affect', () => {
    const m = faultMarks(result)
    expect(m.circuits).toEqual({ 2: 0 })
    expect(m.boards).toEqual({ 9: 1 })
    expect(m.affected).toEqual({ 4: 0, 5: 0, 7: 1 })    // the first fault wins; a gateway's circuits are unknown, not shaded
    expect(m.gateways).toEqual({ 1: 2 })
    expect(m.devices).toEqual({ 12: 3 })
    expect(faultMarks(null)).toEqual({ circuits: {}, boards: {}, affected: {}, devices: {}, gateways: {} })
  })

  it('titles a fault by its node', () => {
    expect(faultTitle(result.faults[0])).toEqual({ kind: 'trip', type: 'circuit', where: '照明干线 F1' })
    expect(faultTitle(result.faults[1]).where).toBe('AL2')
  })
})
