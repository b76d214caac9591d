// What the admin console knows about each resource: its path, list columns and form
// fields (named as in the API's schemas; enums as in backend/models). Options named by a
// string come from the admin store's lookups of the current site.
export const ENUMS = {
  role: ['staff', 'manager', 'admin'],
  areaKind: ['area', 'department', 'building', 'room'],
  roomKind: ['high_voltage', 'low_voltage', 'secondary', 'generator', 'other'],
  boardLevel: [1, 2, 3],
  category: ['incomer', 'lighting', 'power', 'socket', 'ac', 'pump', 'fan', 'heating', 'security_critical',
    'kitchen', 'elevator', 'fire', 'it', 'other'],
  transport: ['tcp', 'rtu_over_tcp'],
  knxMode: ['tunneling', 'routing'],
  deviceKind: ['breaker', 'meter', 'env_sensor', 'temp_sensor', 'load', 'knx_group', 'camera'],
  poles: ['1P', '1P+N', '3P', '3P+N'],
  tripCurve: ['B', 'C', 'D'],
  scope: ['site', 'category', 'device'],
  level: ['warning', 'alarm'],
  channel: ['wechat_template', 'wxa_subscribe', 'webpush', 'sms'],
  tier: [1, 2, 3, 4, 5],
  kpiKind: ['persons', 'floor_m2', 'detainee_days'],
}

const code = { key: 'code', type: 'text', required: true }
const isKnx = (v) => v.kind === 'knx_group'
export const KNX_ADDRESSES = ['switch', 'switch_state', 'brightness', 'brightness_state']
const name = { key: 'name', type: 'text', required: true }
const cols = (...keys) => keys.map((k) => (typeof k === 'string' ? { key: k } : k))

export const RESOURCES = {
  sites: {
    path: '/sites', siteScoped: false,
    columns: cols('code', 'name', 'address', 'timezone'),
    fields: [code, name, { key: 'address', type: 'text' }, { key: 'timezone', type: 'text', default: 'Asia/Shanghai' },
      { key: 'latitude', type: 'number', nullable: true }, { key: 'longitude', type: 'number', nullable: true }, { key: 'floor_area_m2', type: 'number', nullable: true }],
  },
  areas: {
    path: '/areas', siteScoped: true,
    columns: cols('code', 'name', { key: 'kind', enum: 'areaKind' }, { key: 'parent_id', ref: 'areas' }),
    fields: [code, name, { key: 'kind', type: 'select', options: 'areaKind', default: 'area' },
      { key: 'parent_id', type: 'select', options: 'areas', nullable: true }],
  },
  rooms: {
    path: '/rooms', siteScoped: true,
    columns: cols('code', 'name', { key: 'kind', enum: 'roomKind' }, { key: 'area_id', ref: 'areas' }),
    fields: [code, name, { key: 'kind', type: 'select', options: 'roomKind', default: 'low_voltage' },
      { key: 'area_id', type: 'select', options: 'areas', nullable: true }],
  },
  boards: {
    path: '/boards', siteScoped: true,
    columns: cols('code', 'name', 'level', { key: 'room_id', ref: 'rooms' }, { key: 'feeder_circuit_id', ref: 'circuits' }),
    fields: [code, name, { key: 'level', type: 'select', options: 'boardLevel', default: 1 },
      { key: 'room_id', type: 'select', options: 'rooms', nullable: true },
      { key: 'area_id', type: 'select', options: 'areas', nullable: true },
      { key: 'feeder_circuit_id', type: 'select', options: 'circuits', nullable: true }],
  },
  circuits: {
    path: '/circuits', siteScoped: true,
    columns: cols('code', 'name', { key: 'board_id', ref: 'boards' }, { key: 'parent_id', ref: 'circuits' },
      { key: 'category', enum: 'category' }, { key: 'protected', bool: true }),
    fields: [code, name, { key: 'board_id', type: 'select', options: 'boards', required: true },
      { key: 'parent_id', type: 'select', options: 'circuits', nullable: true },
      { key: 'area_id', type: 'select', options: 'areas', nullable: true },
      { key: 'category', type: 'select', options: 'category', default: 'power' },
      { key: 'protected', type: 'bool', default: false }],
  },
  gateways: {
    path: '/gateways', siteScoped: true,
    columns: cols('code', 'name', 'host', 'port', 'transport', { key: 'enabled', bool: true }),
    fields: [code, name, { key: 'host', type: 'text', required: true }, { key: 'port', type: 'number', default: 502 },
      { key: 'transport', type: 'select', options: 'transport', default: 'tcp' },
      { key: 'timeout_ms', type: 'number', default: 1000 }, { key: 'enabled', type: 'bool', default: true }],
  },
  knx_gateways: {
    path: '/knx-gateways', siteScoped: true,
    columns: cols('code', 'name', { key: 'mode', enum: 'knxMode' }, 'host', 'port', { key: 'enabled', bool: true },
      { key: 'connected', state: 'connection' }, { key: 'changed_at', time: true }),
    fields: [code, name, { key: 'mode', type: 'select', options: 'knxMode', default: 'tunneling' },
      { key: 'host', type: 'text', required: true }, { key: 'port', type: 'number', default: 3671 },
      { key: 'local_ip', type: 'text', nullable: true },
      { key: 'individual_address', type: 'text', nullable: true, showIf: (v) => v.mode === 'routing' },
      { key: 'enabled', type: 'bool', default: true }],
  },
  devices: {
    path: '/devices', siteScoped: true,
    columns: cols('code', 'name', { key: 'kind', enum: 'deviceKind' }, { key: 'circuit_id', ref: 'circuits' },
      { key: 'gateway_id', ref: 'gateways' }, 'unit_id', { key: 'knx_gateway_id', ref: 'knx_gateways' }, { key: 'enabled', bool: true }),
    fields: [code, name, { key: 'kind', type: 'select', options: 'deviceKind', required: true, default: 'breaker' },
      { key: 'circuit_id', type: 'select', options: 'circuits', nullable: true },
      { key: 'gateway_id', type: 'select', options: 'gateways', nullable: true },
      { key: 'unit_id', type: 'number', nullable: true }, { key: 'area_id', type: 'select', options: 'areas', nullable: true },
      { key: 'profile', type: 'text', nullable: true }, { key: 'enabled', type: 'bool', default: true },
      { key: 'poles', type: 'select', options: 'poles', nullable: true },
      { key: 'rated_current', type: 'number', nullable: true }, { key: 'trip_curve', type: 'select', options: 'tripCurve', nullable: true },
      { key: 'rated_residual_current', type: 'number', nullable: true }, { key: 'rated_power', type: 'number', nullable: true },
      { key: 'stream_url', type: 'text', nullable: true, showIf: (v) => v.kind === 'camera' },
      // a KNX group: its gateway and group addresses (docs/knx.md), kept in ``attributes``
      { key: 'knx_gateway_id', type: 'select', options: 'knx_gateways', nullable: true, showIf: isKnx },
      ...KNX_ADDRESSES.map((a) => ({ key: `attributes.${a}`, type: 'text', required: a === 'switch', showIf: isKnx,
        placeholder: '1/2/3' }))],
  },
  users: {
    path: '/users', siteScoped: false,
    columns: cols('username', 'display_name', { key: 'role', enum: 'role' }, { key: 'site_ids', ref: 'sites' },
      { key: 'is_active', bool: true }),
    fields: [{ key: 'username', type: 'text', required: true, createOnly: true },
      { key: 'display_name', type: 'text' }, { key: 'role', type: 'select', options: 'role', default: 'staff' },
      { key: 'password', type: 'password', requiredOnCreate: true, hint: 'passwordHint' },
      { key: 'site_ids', type: 'multi', options: 'sites' }, { key: 'phone', type: 'text', nullable: true },
      { key: 'is_active', type: 'bool', default: true }],
  },
  rules: {
    path: '/alarm-rules', siteScoped: true,
    columns: cols({ key: 'scope', enum: 'scope' }, { key: 'category', enum: 'category' }, { key: 'device_id', ref: 'devices' },
      { key: 'rule', ref: 'rules' }, { key: 'level', enum: 'level' }, { key: 'enabled', bool: true },
      'threshold', 'clear_threshold', 'hold_seconds'),
    fields: [{ key: 'scope', type: 'select', options: 'scope', default: 'site', required: true },
      { key: 'category', type: 'select', options: 'category', nullable: true, showIf: (v) => v.scope === 'category' },
      { key: 'device_id', type: 'select', options: 'devices', nullable: true, showIf: (v) => v.scope === 'device' },
      { key: 'rule', type: 'select', options: 'rules', required: true },
      { key: 'level', type: 'select', options: 'level', default: 'warning', required: true },
      { key: 'enabled', type: 'tristate', nullable: true }, { key: 'threshold', type: 'number', nullable: true },
      { key: 'clear_threshold', type: 'number', nullable: true }, { key: 'hold_seconds', type: 'number', nullable: true }],
  },
  recipients: {
    path: '/alarm-recipients', siteScoped: true,
    columns: cols({ key: 'user_id', ref: 'users' }, { key: 'area_id', ref: 'areas' }, 'tier', { key: 'min_level', enum: 'level' }),
    fields: [{ key: 'user_id', type: 'select', options: 'users', required: true },
      { key: 'area_id', type: 'select', options: 'areas', nullable: true },
      { key: 'tier', type: 'select', options: 'tier', default: 1 },
      { key: 'min_level', type: 'select', options: 'level', default: 'warning' }],
  },
  windows: {
    path: '/maintenance-windows', siteScoped: true,
    columns: cols({ key: 'board_id', ref: 'boards' }, { key: 'circuit_id', ref: 'circuits' },
      { key: 'starts_at', time: true }, { key: 'ends_at', time: true }, 'reason'),
    fields: [{ key: 'board_id', type: 'select', options: 'boards', nullable: true },
      { key: 'circuit_id', type: 'select', options: 'circuits', nullable: true },
      { key: 'starts_at', type: 'datetime', required: true }, { key: 'ends_at', type: 'datetime', required: true },
      { key: 'reason', type: 'text' }],
  },
}

// the energy parameters (docs/energy.md): carbon factors per year, KPI denominators per month
RESOURCES.carbon_factors = {
  path: '/carbon-factors', siteScoped: true,
  columns: cols('year', 'kg_per_kwh', 'source'),
  fields: [{ key: 'year', type: 'number', required: true }, { key: 'kg_per_kwh', type: 'number', required: true },
    { key: 'source', type: 'text' }],
}
RESOURCES.denominators = {
  path: '/energy-denominators', siteScoped: true,
  columns: cols('month', { key: 'kind', enum: 'kpiKind' }, { key: 'area_id', ref: 'areas' }, 'value'),
  fields: [{ key: 'month', type: 'month', required: true }, { key: 'kind', type: 'select', options: 'kpiKind', default: 'persons' },
    { key: 'area_id', type: 'select', options: 'areas', nullable: true }, { key: 'value', type: 'number', required: true }],
}

export const FACILITY_KINDS = ['sites', 'areas', 'rooms', 'boards', 'circuits', 'gateways', 'knx_gateways', 'devices']

// A field ``attributes.NAME`` edits one key of the record's ``attributes`` (the others kept).
const ATTR = 'attributes.'
const attrKey = (f) => (f.key.startsWith(ATTR) ? f.key.slice(ATTR.length) : null)

/** Form values for a record (or the defaults of a new one). */
export function initialValues(def, record = null) {
  const v = {}
  if (def.fields.some(attrKey)) v._attributes = { ...(record?.attributes || {}) }
  for (const f of def.fields) {
    if (attrKey(f)) v[f.key] = record?.attributes?.[attrKey(f)] ?? null
    else if (f.type === 'password') v[f.key] = ''
    else if (record && f.key in record) {
      v[f.key] = f.type === 'datetime' ? toLocalInput(record[f.key])
        : f.type === 'month' && record[f.key] ? String(record[f.key]).slice(0, 7) : record[f.key]
    }
    else v[f.key] = f.default ?? (f.type === 'multi' ? [] : f.type === 'bool' ? false : null)
  }
  return v
}

/** The body to send: fields shown, typed; empty optional values null; blank password left out. */
export function toBody(def, values, { creating = true, siteId = null } = {}) {
  const body = {}
  for (const f of def.fields) {
    if (f.createOnly && !creating) continue
    const attr = attrKey(f)
    if (attr) {
      if (f.showIf && !f.showIf(values)) continue
      const a = body.attributes || (body.attributes = { ...(values._attributes || {}) })
      const text = typeof values[f.key] === 'string' ? values[f.key].trim() : values[f.key]
      if (text) a[attr] = text
      else delete a[attr]
      continue
    }
    let v = values[f.key]
    if (f.showIf && !f.showIf(values)) v = null
    if (f.type === 'password') { if (v) body[f.key] = v; continue }
    if (v === '' || v === undefined) v = null
    if (v === null) {
      if (f.nullable) body[f.key] = null
      else if (f.type === 'text') body[f.key] = ''
      continue
    }
    if (f.type === 'number') v = Number(v)
    if (f.type === 'datetime') v = new Date(v).toISOString()
    if (f.type === 'month' && /^\d{4}-\d{2}$/.test(v)) v = `${v}-01` // the API's month: its 1st
    body[f.key] = v
  }
  if (def.siteScoped && creating && siteId) body.site_id = siteId
  return body
}

export function toLocalInput(iso) {
  if (!iso) return ''
  const d = new Date(iso)
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`
}
