import { describe, expect, it } from 'vitest'
import { balanceFeeders, buildTrendSeries, energyNodes, fmtKwh, fmtPct, overviewRows, slotLabel,
  trendOption } from '../../src/lib/energy.js'
import { topology } from './fixtures.js'

const pt = (start, kwh, estimated = false) => ({ start, import_kwh: kwh, export_kwh: 0, reactive_kvarh: 0,
  demand_kw: null, estimated })

describe('energy formatting', () => {
  it('formats kWh by size, with grouped thousands', () => {
    expect(fmtKwh(1.234)).toBe('1.23')
    expect(fmtKwh(0)).toBe('0.00')
    expect(fmtKwh(123.456)).toBe('123.5')
    expect(fmtKwh(12345.6)).toBe('12,346')
    expect(fmtKwh(null)).toBe('—')
    expect(fmtKwh(Number.NaN)).toBe('—')
    expect(fmtPct(10)).toBe('10.0%')
    expect(fmtPct(-2.345)).toBe('-2.3%')
    expect(fmtPct(null)).toBe('—')
  })
  it('labels periods in the site zone, not the browser\'s', () => {
    // 16:00 UTC is the next local day in Shanghai
    expect(slotLabel('2026-11-30T16:00:00Z', 'day', 'Asia/Shanghai')).toBe('12-01')
    expect(slotLabel('2026-11-30T16:00:00Z', 'month', 'Asia/Shanghai')).toBe('2026-12')
    expect(slotLabel('2026-11-30T16:15:00Z', '15min', 'Asia/Shanghai')).toBe('12-01 00:15')
    expect(slotLabel('2026-11-30T16:15:00Z', 'hour', 'UTC')).toBe('11-30 16:15')
    expect(slotLabel('nonsense', 'day', 'UTC')).toBe('')
  })
})

describe('trend series', () => {
  it('splits estimated slots from measured ones and leaves unknown slots empty', () => {
    const s = buildTrendSeries({ interval: '15min', timezone: 'UTC', points: [
      pt('2026-12-01T00:00:00+00:00', 1), pt('2026-12-01T00:15:00+00:00', 0.5, true),
      pt('2026-12-01T00:30:00+00:00', 0.5, true), pt('2026-12-01T01:00:00+00:00', 2)] })
    expect(s.labels).toEqual(['12-01 00:00', '12-01 00:15', '12-01 00:30', '12-01 00:45', '12-01 01:00'])
    expect(s.measured).toEqual([1, null, null, null, 2])
    expect(s.estimated).toEqual([null, 0.5, 0.5, null, null])
    expect(s.estimatedCount).toBe(2)
    expect(s.missingCount).toBe(1)
  })
  it('sorts the points and keeps one off the grid in its place', () => {
    const s = buildTrendSeries({ interval: 'hour', timezone: 'UTC', points: [
      pt('2026-12-01T02:00:00Z', 3), pt('2026-12-01T00:00:00Z', 1), pt('2026-12-01T01:30:00Z', 9)] })
    expect(s.labels).toEqual(['12-01 00:00', '12-01 01:00', '12-01 01:30', '12-01 02:00'])
    expect(s.measured).toEqual([1, null, 9, 3])
  })
  it('does not fill days and months (one row a period already)', () => {
    const s = buildTrendSeries({ interval: 'day', timezone: 'Asia/Shanghai', points: [
      pt('2026-11-29T00:00:00+08:00', 10.12345), pt('2026-12-01T00:00:00+08:00', 4, true)] })
    expect(s.labels).toEqual(['11-29', '12-01'])
    expect(s.measured).toEqual([10.123, null])
    expect(s.estimated).toEqual([null, 4])
    expect(buildTrendSeries({ interval: 'day', points: [] }).labels).toEqual([])
    expect(buildTrendSeries(null).labels).toEqual([])
  })
  it('draws the estimated series apart, named in the legend, hatched', () => {
    const s = buildTrendSeries({ interval: 'hour', timezone: 'UTC', points: [
      pt('2026-12-01T00:00:00Z', 1), pt('2026-12-01T01:00:00Z', 2, true)] })
    const o = trendOption(s, { measured: '实测', estimated: '估算' })
    expect(o.legend.data).toEqual(['实测', '估算'])
    expect(o.series.map((x) => [x.name, x.data])).toEqual([['实测', [1, null]], ['估算', [null, 2]]])
    expect(o.series[1].itemStyle.color).not.toBe(o.series[0].itemStyle.color)
    expect(o.series[1].itemStyle.decal).toBeTruthy()
    expect(o.xAxis.data).toEqual(['12-01 00:00', '12-01 01:00'])
  })
})

describe('energy nodes', () => {
  it('lists the site, boards, circuits and metering devices in tree order', () => {
    const withArea = { ...topology, areas: [{ id: 5, code: 'A1', name: '监区', children: [{ id: 6, code: 'A1-1', name: '一监区', children: [] }] }] }
    expect(energyNodes(withArea).map((n) => [n.key, n.depth])).toEqual([
      ['site:1', 0], ['area:5', 1], ['area:6', 2], ['board:1', 1], ['circuit:10', 2], ['device:100', 3],
      ['circuit:11', 3], ['device:101', 4], ['board:2', 4], ['circuit:21', 5], ['device:201', 6],
      ['circuit:12', 3], ['device:102', 4]])
    expect(energyNodes(null)).toEqual([])
  })
  it('offers boards and circuits with something downstream as feeders', () => {
    expect(balanceFeeders(topology).map((f) => f.key)).toEqual(['board:1', 'circuit:10', 'circuit:11', 'board:2'])
  })
  it('shows a total across sites only when there are several', () => {
    const one = { sites: [{ site_id: 1 }], total: { today_kwh: 1 } }
    expect(overviewRows(one).total).toBeNull()
    expect(overviewRows({ ...one, sites: [{ site_id: 1 }, { site_id: 2 }] }).total).toEqual({ today_kwh: 1 })
  })
})

describe('balance query', () => {
  it('leaves the last day to the server and rounds longer periods to the hour', async () => {
    const { balanceQuery } = await import('../../src/stores/energy.js')
    expect(balanceQuery('board:3', '1d')).toEqual({ board_id: 3 })
    const q = balanceQuery('circuit:7', '7d', Date.parse('2026-12-01T10:20:00Z'))
    expect(q).toEqual({ circuit_id: 7, end: '2026-12-01T11:00:00.000Z', start: '2026-11-24T11:00:00.000Z' })
  })
})

describe('meter replacement form', () => {
  it('sends only the counters typed, numbers parsed, the time as ISO', async () => {
    const { replacementBody, readingsText } = await import('../../src/lib/energy.js')
    const body = replacementBody({ device_id: 7, at: '2026-12-01T10:20:00Z', note: '换表',
      readings: { energy_import: { old_final: '5020.5', new_initial: ' 3 ' }, energy_export: { old_final: '', new_initial: '' },
        reactive_energy: { old_final: 'abc', new_initial: '' } } })
    expect(body).toEqual({ device_id: 7, at: '2026-12-01T10:20:00.000Z', note: '换表', readings: {
      energy_import: { old_final: 5020.5, new_initial: 3 }, reactive_energy: { old_final: 'abc', new_initial: '' } } })
    expect(replacementBody({ readings: {} })).toEqual({ device_id: null, at: null, readings: {}, note: '' })
    expect(readingsText(body.readings, (c) => c.slice(0, 3))).toBe('ene 5020.5 → 3；rea abc → ')
  })
  it('reads the typed time as the site\'s wall clock and shows it back the same', async () => {
    const { replacementBody, zonedInput, zonedInputInstant } = await import('../../src/lib/energy.js')
    // 10:20 in Shanghai is 02:20 UTC, whatever the browser's zone
    expect(replacementBody({ at: '2026-12-01T10:20', readings: {} }, 'Asia/Shanghai').at).toBe('2026-12-01T02:20:00.000Z')
    expect(replacementBody({ at: '2026-12-01T00:20', readings: {} }, 'Asia/Shanghai').at).toBe('2026-11-30T16:20:00.000Z')
    expect(replacementBody({ at: 'soon', readings: {} }, 'Asia/Shanghai').at).toBe('soon') // the server names it
    expect(zonedInputInstant('2026-07-01T12:00', 'Europe/Berlin')).toBe('2026-07-01T10:00:00.000Z')
    expect(zonedInputInstant('', 'UTC')).toBeNull()
    expect(zonedInput('2026-12-01T02:20:00Z', 'Asia/Shanghai')).toBe('2026-12-01T10:20')
    expect(zonedInput('2026-11-30T16:20:00+00:00', 'Asia/Shanghai', ' ')).toBe('2026-12-01 00:20')
    expect(zonedInput('nonsense', 'UTC')).toBe('')
  })
})

describe('energy strings', () => {
  it('has every zh-CN string in English too', async () => {
    const { energyMessages } = await import('../../src/i18n/energy.js')
    const keys = (o, p = '') => Object.entries(o).flatMap(([k, v]) => (typeof v === 'object' ? keys(v, `${p}${k}.`) : [`${p}${k}`]))
    expect(keys(energyMessages.en).sort()).toEqual(keys(energyMessages['zh-CN']).sort())
  })
})
