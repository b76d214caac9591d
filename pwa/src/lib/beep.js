// A short two-tone beep made with WebAudio (no sound file), and a vibration.
// Browsers start an AudioContext only after a user gesture: the first tap unlocks it.
let ctx = null

function context() {
  const AC = globalThis.AudioContext || globalThis.webkitAudioContext
  if (!AC) return null
  if (!ctx) ctx = new AC()
  return ctx
}

export function unlockAudio() {
  if (typeof window === 'undefined') return
  const unlock = () => {
    try { context()?.resume?.() } catch { /* no audio */ }
  }
  window.addEventListener('pointerdown', unlock, { once: true, capture: true })
  window.addEventListener('keydown', unlock, { once: true, capture: true })
}

/** Beep (alarm: higher and twice) and vibrate when the device can. */
export function alertNewAlarm(level = 'alarm') {
  try {
    const ac = context()
    if (ac && ac.state !== 'suspended') {
      const tones = level === 'alarm' ? [[0, 880], [0.22, 1175]] : [[0, 660]]
      for (const [at, freq] of tones) {
        const osc = ac.createOscillator()
        const gain = ac.createGain()
        osc.type = 'square'
        osc.frequency.value = freq
        const start = ac.currentTime + at
        gain.gain.setValueAtTime(0.0001, start)
        gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02)
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.18)
        osc.connect(gain).connect(ac.destination)
        osc.start(start)
        osc.stop(start + 0.2)
      }
    }
  } catch { /* no sound: fine */ }
  try { globalThis.navigator?.vibrate?.(level === 'alarm' ? [200, 100, 200] : 150) } catch { /* none */ }
}
