// A duty-staff shift through the mini-program's own services against a running server,
// the simulator's breakers and the WeChat stand-in (driven by
// tests/test_miniprogram_flow.py): WeChat login, bind, the new alarm seen and
// acknowledged and taken, a repair order opened from it WITH A PHOTO (chosen, uploaded, read back),
// moved on with a note; then 配电: the area -> board -> circuit walk with live values and
// the granted breaker switched (confirmation facts, command followed to its end), and a
// breaker not granted refused with the Chinese reason.
//   node duty.cjs API STANDIN APPID OPENID USERNAME PASSWORD ALARM_DEVICE BOARD SWITCH_CODE DENIED_CODE PHOTO
const fs = require('node:fs')

const [apiBase, standin, appid, openid, username, password, alarmDevice, boardCode,
  switchCode, deniedCode, photo] = process.argv.slice(2)
const { toasts } = require('./wx-node.cjs').install({ standin, appid, openid, chosen: [photo] })

require('../../config').apiBaseUrl = apiBase
require('../../config').commandPollMs = 200
const auth = require('../../services/auth')
const alarms = require('../../services/alarms')
const repair = require('../../services/repair')
const facility = require('../../services/facility')
const control = require('../../services/control')
const topo = require('../../utils/topology')
const wxp = require('../../utils/wxp')

;(async () => {
  const out = {}
  const first = await auth.wechatLogin()
  out.user = (await auth.bind(first.ticket, username, password)).username

  const mine = await alarms.mine()
  const alarm = mine.find((a) => a.device_id === Number(alarmDevice) && a.state === 'active')
  out.alarm = alarm && { id: alarm.id, rule: alarm.rule, level: alarm.level }
  out.acknowledged = (await alarms.acknowledge(alarm.id)).state
  out.taken_by = (await alarms.take(alarm.id)).assignee_id

  const order = await repair.open(alarm.id)
  await repair.move(order.id, 'in_progress')
  await repair.setNote(order.id, '已更换浪涌保护器')
  const [file] = await wxp.chooseImages(1)
  const uploaded = await repair.upload(order.id, file)
  const photos = await repair.photos(order.id)
  const back = await repair.photoFile(order.id, photos[0].id)
  out.order = { id: order.id, title: order.title, assignee: order.assignee_id,
    status: (await repair.get(order.id)).status, photo: uploaded.content_type,
    photos: photos.length, same_bytes: fs.readFileSync(back).equals(fs.readFileSync(photo)) }
  out.timeline = (await alarms.detail(alarm.id)).timeline.map((e) => e.kind)

  // 配电: my site, its areas, the board, its circuits with live values
  const { site } = await facility.currentSite()
  const topology = await facility.topology(site.id)
  const board = topo.allBoards(topology).find((b) => b.code === boardCode)
  const area = topo.flattenAreas(topology.areas).find((a) => topo.boardsOfArea(topology, a.id)
    .some((b) => b.id === board.id))
  const latest = await facility.latest(site.id)
  const rows = topo.boardCircuits(board).map(({ circuit }) => {
    const d = topo.primaryDevice(circuit)
    return { code: circuit.code, device: d && d.code, deviceId: d && d.id,
      live: topo.liveLine(d && latest[d.id]) }
  })
  out.area = area ? area.code : null
  out.circuits = rows.map((r) => [r.device, r.live.state])
  const target = rows.find((r) => r.device === switchCode)
  const { circuit } = topo.findCircuitOfDevice(topology, target.deviceId)
  const entry = await facility.deviceLatest(target.deviceId)
  out.confirmation = { circuit: circuit.code, protected: circuit.protected,
    mode: topo.value(entry, 'mode'), state: topo.deviceState(entry),
    actions: topo.breakerActions(topo.deviceState(entry)), feeds: topo.downstream(circuit).length }

  const cmd = await control.send(target.deviceId, 'open', '更换灯具')
  const seen = [cmd.state]
  const settled = await control.follow(cmd.id, (c) => seen.push(c.state)).done
  out.command = { id: cmd.id, states: seen, end: settled.state }

  const denied = topo.allBoards(topology).flatMap((b) => topo.boardCircuits(b))
    .flatMap(({ circuit: c }) => c.devices).find((d) => d.code === deniedCode)
  try {
    await control.send(denied.id, 'open', '试一下')
    out.denied = 'sent'
  } catch (err) {
    out.denied = { status: err.status, code: err.code, text: control.reasonOf(err) }
  }
  out.toasts = toasts
  process.stdout.write(JSON.stringify(out))
})().catch((err) => {
  process.stdout.write(JSON.stringify({ error: err.code || String(err), text: err.text,
    stack: err.stack, toasts }))
  process.exit(1)
})
