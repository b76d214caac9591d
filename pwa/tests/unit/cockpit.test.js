import { describe, expect, it } from 'vitest'
import { CARDS, mergeCards, moveCard, rankSites, todayCost, toggleCard, visibleCards } from '../../src/lib/cockpit.js'
import { breakerMark, elbow, fitZoom, flowing, inAlarm, layoutOneLine, newlyAlarmed, shortLabel, strokeForKw } from '../../src/lib/oneLine.js'

// site S: board AA1 (IN -> WL1, WL2; WL2 feeds board AL2 with L1, L2), board AA2 (C1)
const topo = {
  site: { id: 1, code: 'S', name: '看守所' },
  boards: [
    { id: 10, code: 'AA1', name: '总柜', circuits: [
      { id: 100, code: 'IN', name: '总进线', devices: [], circuits: [
        { id: 101, code: 'WL1', name: '监区', devices: [], circuits: [], boards: [] },
        { id: 102, code: 'WL2', name: '办公', devices: [], circuits: [], boards: [
          { id: 11, code: 'AL2', name: '照明箱', circuits: [
            { id: 110, code: 'L1', name: '照明一', devices: [], circuits: [], boards: [] },
            { id: 111, code: 'L2', name: '照明二', devices: [], circuits: [], boards: [] },
          ] },
        ] },
      ], boards: [] },
    ] },
    { id: 20, code: 'AA2', name: '备用柜', circuits: [{ id: 200, code: 'C1', name: '水泵', devices: [], circuits: [], boards: [] }] },
  ],
}

describe('layoutOneLine', () => {
  const L = layoutOneLine(topo, { colW: 100, rowH: 100, pad: 0 })
  const at = (key) => L.nodes.find((n) => n.key === key)

  it('puts the supply on top, boards and circuits below, one column per leaf', () => {
    expect(L.nodes.map((n) => n.key)).toEqual(['source', 'board:10', 'circuit:100', 'circuit:101', 'circuit:102',
      'board:11', 'circuit:110', 'circuit:111', 'board:20', 'circuit:200'])
    // leaves WL1, L1, L2, C1 in columns 0..3 (centres 50, 150, 250, 350)
    expect([at('circuit:101').x, at('circuit:110').x, at('circuit:111').x, at('circuit:200').x]).toEqual([50, 150, 250, 350])
    // a parent centred over its first and last child: AL2 over L1, L2; WL2 over AL2; IN over WL1, WL2
    expect(at('board:11').x).toBe(200)
    expect(at('circuit:102').x).toBe(200)
    expect(at('circuit:100').x).toBe(125)
    expect(at('source').x).toBe((125 + 350) / 2)
    expect(L.nodes.map((n) => n.y)).toEqual([0, 100, 200, 300, 300, 400, 500, 500, 100, 200])
    expect(L.width).toBe(400)
    expect(L.height).toBe(540)
  })

  it('draws each board as a busbar its circuits drop from, each line carrying its circuit', () => {
    expect(L.buses.map((b) => [b.boardId, b.x1, b.x2, b.y]).sort((a, b) => a[0] - b[0])).toEqual([[10, 117, 133, 135], [11, 142, 258, 435], [20, 342, 358, 135]])
    const into = (key) => L.edges.filter((e) => e.to === key)
    expect(into('circuit:110')).toMatchObject([{ from: 'bus:11', circuitId: 110, x1: 150, y1: 435, x2: 150, y2: 500 }])
    expect(into('circuit:101')).toMatchObject([{ from: 'circuit:100', circuitId: 101 }])
    // a downstream board's line carries its feeder circuit's power, a root board's the site's
    expect(into('board:11')).toMatchObject([{ from: 'circuit:102', circuitId: 102 }])
    expect(into('board:10')).toMatchObject([{ from: 'source', circuitId: null }])
  })

  it('draws branches as elbows, never diagonals', () => {
    expect(L.edges.find((e) => e.to === 'circuit:101').d).toBe('M125 200 V235 H50 V300')
    expect(L.edges.find((e) => e.to === 'circuit:110').d).toBe('M150 435 V500')
    expect(elbow({ x1: 0, y1: 0, x2: 10, y2: 40 }, 100)).toBe('M0 0 V20 H10 V40')
  })

  it('fits the zoom to the box within limits', () => {
    expect(fitZoom(1000, 500)).toBe(0.5)
    expect(fitZoom(1000, 2000)).toBe(1)
    expect(fitZoom(10000, 390)).toBe(0.45)
    expect(fitZoom(0, 390)).toBe(1)
  })

  it('scales to a few hundred circuits without overlap', () => {
    const many = { site: { id: 1, code: 'S', name: 's' }, boards: Array.from({ length: 10 }, (_, b) => ({ id: b, code: `B${b}`, name: 'b',
      circuits: Array.from({ length: 30 }, (_, c) => ({ id: b * 100 + c, code: `C${c}`, name: 'c', devices: [] })) })) }
    const big = layoutOneLine(many, { colW: 10, pad: 0 })
    const xs = big.nodes.filter((n) => n.kind === 'circuit').map((n) => n.x)
    expect(xs.length).toBe(300)
    expect(new Set(xs).size).toBe(300)
    expect(big.width).toBe(3000)
  })

  it('has nothing to draw without a topology', () => {
    expect(layoutOneLine(null)).toEqual({ nodes: [], edges: [], buses: [], width: 0, height: 0 })
    expect(layoutOneLine({ site: { id: 1, code: 'S', name: 's' }, boards: [] }).nodes.length).toBe(1)
  })
})

describe('one-line styling', () => {
  it('widens lines by the square root of kW, thin when nothing is known', () => {
    expect(strokeForKw(null, 100)).toBe(1.5)
    expect(strokeForKw(0, 100)).toBe(1.5)
    expect(strokeForKw(100, 100)).toBe(8)
    expect(strokeForKw(25, 100)).toBe(4.8) // 1.5 + 6.5 * 0.5 = 4.75
    expect(strokeForKw(500, 100)).toBe(8)
  })
  it('animates flow only on a closed line carrying power', () => {
    expect(flowing(3, 'closed')).toBe(true)
    expect(flowing(3, 'tripped')).toBe(false)
    expect(flowing(3, 'open')).toBe(false)
    expect(flowing(0, 'closed')).toBe(false)
    expect(flowing(null, 'closed')).toBe(false)
  })
  it('marks breakers and alarms', () => {
    expect(breakerMark('tripped').symbol).toBe('tripped')
    expect(breakerMark('open').symbol).toBe('open')
    expect(breakerMark('closed').symbol).toBe('closed')
    expect(breakerMark('unknown').symbol).toBe('unknown')
    expect(inAlarm('tripped', null)).toBe(true)
    expect(inAlarm('closed', 'alarm')).toBe(true)
    expect(inAlarm('closed', 'warning')).toBe(false)
    expect(newlyAlarmed(['a'], ['a', 'b'])).toEqual(['b'])
    expect(newlyAlarmed(['a', 'b'], ['a'])).toEqual([])
    expect(shortLabel('一二三四五六七八九十', 5)).toBe('一二三四…')
  })
})

describe('cockpit cards', () => {
  it('merges the saved choice with every card, dropping unknown and repeated ones', () => {
    const m = mergeCards([{ key: 'trend', hidden: false }, { key: 'weather' }, { key: 'ranking', hidden: true }, { key: 'trend' }])
    expect(m.map((c) => c.key)).toEqual(['trend', 'ranking', ...CARDS.filter((k) => !['trend', 'ranking'].includes(k))])
    expect(m[1].hidden).toBe(true)
    expect(mergeCards(null).map((c) => c.key)).toEqual(CARDS)
    expect(visibleCards(m)).not.toContain('ranking')
  })
  it('moves and hides cards', () => {
    const base = mergeCards([])
    expect(moveCard(base, 'oneline', -1).slice(0, 2).map((c) => c.key)).toEqual(['oneline', 'ranking'])
    expect(moveCard(base, 'ranking', -1)).toBe(base)
    expect(moveCard(base, 'top_circuits', 5)).toBe(base)
    expect(moveCard(base, 'energy', 2).map((c) => c.key).indexOf('energy')).toBe(4)
    const hid = toggleCard(base, 'alarms')
    expect(hid.find((c) => c.key === 'alarms').hidden).toBe(true)
    expect(toggleCard(hid, 'alarms').find((c) => c.key === 'alarms').hidden).toBe(false)
  })
  it('ranks sites by today or this month with their open alarms; intensity and cost only when given', () => {
    const ov = { sites: [
      { site_id: 1, name: '甲', today_kwh: 10, month_kwh: 900 },
      { site_id: 2, name: '乙', today_kwh: 30, month_kwh: 300, month_kwh_per_m2: 2.5, today_cost: 12.3 },
      { site_id: 3, name: '丙', today_kwh: null, month_kwh: 600 },
    ] }
    const today = rankSites(ov, { 1: 2, 2: 0 }, 'today')
    expect(today.map((r) => [r.site_id, r.rank, r.kwh, r.alarms])).toEqual([[2, 1, 30, 0], [1, 2, 10, 2], [3, 3, null, null]])
    expect(today[1].share).toBeCloseTo(1 / 3)
    expect(today[0].intensity).toBe(2.5)
    expect(today[1].intensity).toBe(null)
    expect(today[0].cost).toBe(12.3)
    expect(rankSites(ov, {}, 'month').map((r) => r.site_id)).toEqual([1, 3, 2])
    expect(todayCost(ov.sites[1])).toBe(12.3)
    expect(todayCost(ov.sites[0])).toBe(null)
  })
})
