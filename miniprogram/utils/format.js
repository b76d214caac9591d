// Times shown in China time (the API speaks UTC ISO 8601).
function pad(n) { return String(n).padStart(2, '0') }

function shortTime(iso) {
  if (!iso) return ''
  const d = new Date(new Date(iso).getTime() + 8 * 3600 * 1000)   // UTC+8, no DST
  if (Number.isNaN(d.getTime())) return ''
  return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
}

module.exports = { shortTime }
