import { describe, expect, it } from 'vitest'
import { circuitLoad, circuitPower, circuitState, deviceState, flattenCircuits, primaryDevice,
  sitePower, topCircuits } from '../../src/lib/power.js'
import { cell, latest, topology } from './fixtures.js'

const incomer = topology.boards[0].circuits[0]
const wl1 = incomer.circuits[0]

describe('power and load', () => {
  it('flattens the tree through fed boards', () => {
    expect(flattenCircuits(topology).map((r) => [r.circuit.code, r.depth]))
      .toEqual([['AA1-IN', 0], ['WL1', 1], ['AP1-WL1', 2], ['WL2', 1]])
  })
  it('takes the metered power of a circuit, else the sum downstream', () => {
    expect(sitePower(topology, latest())).toBe(50)
    const noMeter = latest({ 100: { device_id: 100, online: true, values: {} } })
    expect(circuitPower(incomer, noMeter)).toBe(50) // 30 + 20
    expect(sitePower({ boards: [] }, latest())).toBeNull()
  })
  it('loads by the highest phase current over the rating', () => {
    expect(circuitLoad(wl1, latest())).toBeCloseTo(0.6)
    expect(topCircuits(topology, latest(), 2).map((r) => r.circuit.code)).toEqual(['WL2', 'WL1'])
  })
})

describe('live state', () => {
  it('tells tripped from open, fault and offline', () => {
    expect(deviceState(undefined)).toBe('unknown')
    expect(deviceState({ online: false, values: {} })).toBe('offline')
    expect(deviceState({ online: true, values: { switch_state: cell('open'), trip_cause: cell('over_voltage') } })).toBe('tripped')
    expect(deviceState({ online: true, values: { switch_state: cell('open'), trip_cause: cell('none') } })).toBe('open')
    expect(deviceState({ online: true, values: { switch_state: cell('closed'), fault_indicators: cell(['voltage']) } })).toBe('fault')
    expect(deviceState({ online: true, values: { switch_state: cell('closed'), fault_indicators: cell([]) } })).toBe('closed')
  })
  it('gives a circuit its most severe device state', () => {
    const tripped = latest({ 101: { device_id: 101, online: true, values: { switch_state: cell('open'), trip_cause: cell('overload') } } })
    expect(circuitState(wl1, tripped)).toBe('tripped')
    expect(circuitState(wl1, latest())).toBe('closed')
    expect(primaryDevice(wl1).id).toBe(101)
  })
})
