// The action kinds the console edits (docs/automation.md "Actions"), one small descriptor
// each, so ActionsEditor.vue stays generic: a new kind (the linkage rules' ``alarm``,
// ``popup``) is a descriptor here (``registerKind``), not a new editor.
//
// A descriptor: ``label`` (i18n key), ``fields`` [{name, type, ...}] where ``type`` is
// - ``device``: a device of the site (``filter(device, can)`` narrows the choice; ``can.controls(d)``:
//   the actions it accepts: its record's ``actions``, else its profile's controls);
// - ``control``: an action the device accepts;
// - ``level``: 0..100 (``when(action)``: only shown, and sent, when it applies);
// - ``settings``: name -> value rows (numbers, true/false, or text);
// - ``scene``: a scene of the site (never the scene being edited);
// - ``select`` (``options`` [{value, label}]), ``text``, ``number``, ``bool`` (a checkbox);
// ``blank()``: a new action; ``describe(action, ctx)``: one line for lists and sheets
// (``ctx``: {t, device(id), scene(id)}); ``ruleOnly``: only a linkage rule's firing can run
// it (the server refuses it elsewhere with ``linkage_only``), so scenes don't offer it.

import { fieldMessage } from '../../api/errors.js'

/** A device a command can reach: a KNX group through its KNX gateway, any other through
 *  its (Modbus) gateway. */
export const commandable = (d) => (d.kind === 'knx_group' ? !!d.knx_gateway_id : !!d.gateway_id)

const deviceText = (ctx, id) => {
  const d = ctx.device(id)
  return d ? `${d.code} ${d.name}` : `#${id ?? '?'}`
}

export const ACTION_KINDS = {
  command: {
    label: 'admin.automation.kinds.command',
    fields: [
      { name: 'device_id', type: 'device', filter: (d, can) => commandable(d) && can.controls(d).length > 0 },
      { name: 'action', type: 'control' },
      { name: 'value', type: 'level', when: (a) => a.action === 'dim' },
    ],
    blank: () => ({ kind: 'command', device_id: null, action: null }),
    describe: (a, ctx) => `${ctx.t(`control.actions.${a.action || 'open'}`)}${a.action === 'dim' ? ` ${a.value ?? ''}%` : ''}`
      + ` · ${deviceText(ctx, a.device_id)}`,
  },
  settings: {
    label: 'admin.automation.kinds.settings',
    fields: [
      { name: 'device_id', type: 'device', filter: (d) => !!d.profile && !!d.gateway_id },
      { name: 'values', type: 'settings' },
    ],
    blank: () => ({ kind: 'settings', device_id: null, values: {} }),
    describe: (a, ctx) => `${ctx.t('control.actions.settings')} · ${deviceText(ctx, a.device_id)} · `
      + Object.entries(a.values || {}).map(([k, v]) => `${k}=${v}`).join(', '),
  },
  scene: {
    label: 'admin.automation.kinds.scene',
    fields: [{ name: 'scene_id', type: 'scene' }],
    blank: () => ({ kind: 'scene', scene_id: null }),
    describe: (a, ctx) => ctx.t('automation.runsScene', { name: ctx.scene(a.scene_id)?.name || `#${a.scene_id ?? '?'}` }),
  },
  alarm: {
    label: 'admin.linkage.kinds.alarm',
    ruleOnly: true,
    fields: [
      { name: 'level', type: 'select', options: [{ value: 'warning', label: 'admin.enums.level.warning' },
        { value: 'alarm', label: 'admin.enums.level.alarm' }] },
      { name: 'message', type: 'text', maxlength: 200 },
      { name: 'clear', type: 'bool' },
    ],
    blank: () => ({ kind: 'alarm', level: 'alarm', message: '', clear: true }),
    describe: (a, ctx) => `${ctx.t('admin.linkage.kinds.alarm')} · ${ctx.t(`admin.enums.level.${a.level || 'alarm'}`)}`
      + (a.message ? ` · ${a.message}` : ''),
  },
  popup: {
    label: 'admin.linkage.kinds.popup',
    ruleOnly: true,
    fields: [],
    blank: () => ({ kind: 'popup' }),
    describe: (a, ctx) => ctx.t('admin.linkage.kinds.popup'),
  },
}

/** The kinds a scene or a schedule may hold: every kind but the linkage rules' own. */
export const sceneKinds = () => Object.keys(ACTION_KINDS).filter((k) => !ACTION_KINDS[k].ruleOnly)
/** The kinds a linkage rule may hold (its actions and its clear actions). */
export const ruleKinds = () => Object.keys(ACTION_KINDS)

/** Add (or replace) a kind's descriptor. */
export function registerKind(name, descriptor) {
  ACTION_KINDS[name] = descriptor
}

export function blankAction(kind) {
  return ACTION_KINDS[kind].blank()
}

export function describeAction(action, ctx) {
  const kind = ACTION_KINDS[action?.kind]
  return kind ? kind.describe(action, ctx) : String(action?.kind)
}

/** The fields of an action that apply now (a dim level only for dim). */
export function visibleFields(action) {
  const kind = ACTION_KINDS[action?.kind]
  return kind ? kind.fields.filter((f) => !f.when || f.when(action)) : []
}

/** The action as sent: only its kind's fields that apply, empty ones left out. */
export function cleanAction(action) {
  const out = { kind: action.kind }
  for (const f of visibleFields(action)) {
    const v = action[f.name]
    if (v !== null && v !== undefined && v !== '') out[f.name] = v
  }
  return out
}

/** A setting's text as typed -> the value sent: a number, true/false, or the text. */
export function parseValue(text) {
  const s = String(text).trim()
  if (s === 'true' || s === 'false') return s === 'true'
  if (s !== '' && !Number.isNaN(Number(s))) return Number(s)
  return s
}

/** A 422's errors (dotted ``actions.1.device_id``, or nested as marshmallow gives them)
 *  as {dotted field: message}. */
export function flatErrors(errors, prefix = '') {
  const out = {}
  if (!errors || typeof errors !== 'object') return out
  for (const [k, v] of Object.entries(errors)) {
    const name = prefix ? `${prefix}.${k}` : k
    if (Array.isArray(v)) out[name] = v.map(fieldMessage).join('; ')
    else if (v && typeof v === 'object') Object.assign(out, flatErrors(v, name))
    else out[name] = fieldMessage(v)
  }
  return out
}

/** The message for ``actions.<index>.<field>`` (or anything under it: ``values.x``). */
export function errorFor(flat, path, index, field) {
  const key = `${path}.${index}.${field}`
  return Object.entries(flat).filter(([k]) => k === key || k.startsWith(`${key}.`)).map(([, v]) => v).join('; ')
}

/** Where a save's note points, for people: ``actions.0`` -> 动作 1, ``clear_actions.1.x`` ->
 *  解除动作 2; anything else as it is. */
export function notePlace(path, t) {
  const m = /^(clear_)?actions\.(\d+)/.exec(path || '')
  if (!m) return path
  return t(m[1] ? 'admin.automation.clearActionN' : 'admin.automation.actionN', { n: Number(m[2]) + 1 })
}
