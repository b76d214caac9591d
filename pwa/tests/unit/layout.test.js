// The source layout's rules, read from the files themselves (node fs + regexes):
// - only the API modules (src/api/, src/admin/api/) know paths: no other file holds a raw
//   /api/v1 path, calls the client (or fetch, EventSource) with a string literal path, or
//   imports the client's path-taking members;
// - the i18n modules (src/i18n/*, src/admin/i18n.js) import only downward: nothing from
//   views, components, stores, API modules or lib, only other i18n modules and packages.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const SRC = join(ROOT, 'src')
const API_DIRS = [join(SRC, 'api'), join(SRC, 'admin', 'api')]
const I18N = [join(SRC, 'i18n'), join(SRC, 'admin', 'i18n.js')]

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name)
    if (e.isDirectory()) return walk(p)
    return /\.(js|mjs|vue)$/.test(e.name) ? [p] : []
  })
}
const under = (file, dirs) => dirs.some((d) => file === d || file.startsWith(d + sep))
const rel = (file) => relative(ROOT, file).split(sep).join('/')
const files = walk(SRC)
const outsideApi = files.filter((f) => !under(f, API_DIRS))

/** ``[{names, from}]`` of a file's static and dynamic imports (and re-exports). */
function imports(text) {
  const out = []
  const re = /(?:^|[\s;])(?:import|export)\s*(?:([\w*{}\s,$]+?)\s*from\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g
  for (const m of text.matchAll(re)) {
    const names = (m[1] || '').replace(/[{}]/g, ',').split(',').map((n) => n.trim().split(/\s+as\s+/)[0])
      .filter(Boolean)
    out.push({ names, from: m[2] || m[3] })
  }
  return out
}

// The client called with a literal: api.get('/x'), request(`/x`), fetch('/x'), crud('/x')...
const LITERAL_CALL = /(?:\bapi\s*(?:\.\s*(?:get|post|put|patch|del)|\[[^\]]+\])|(?<![.\w])(?:request|rawRequest|listPage|listAll|crud|fetch)|\bnew\s+EventSource)\s*\(\s*['"`]/
// What takes a path: the client's own calls and base, and the admin API's generic helpers.
const PATH_TAKERS = {
  'api/client.js': ['api', 'request', 'BASE', 'buildPath'],
  'admin/api/admin.js': ['crud', 'listPage', 'listAll', 'rawRequest'],
}

describe('only the API modules know paths', () => {
  it('finds the source files', () => {
    expect(files.some((f) => rel(f) === 'src/router.js')).toBe(true)
    expect(outsideApi.length).toBeGreaterThan(40)
  })

  it('no raw /api/v1 path outside src/api and src/admin/api', () => {
    const bad = outsideApi.filter((f) => readFileSync(f, 'utf8').includes('/api/v1')).map(rel)
    expect(bad).toEqual([])
  })

  it('no call of the client with a string literal path outside the API modules', () => {
    const bad = []
    for (const f of outsideApi) {
      readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
        if (LITERAL_CALL.test(line)) bad.push(`${rel(f)}:${i + 1}: ${line.trim()}`)
      })
    }
    expect(bad).toEqual([])
  })

  it('no import of what takes a path outside the API modules', () => {
    const bad = []
    for (const f of outsideApi) {
      for (const { names, from } of imports(readFileSync(f, 'utf8'))) {
        if (!from.startsWith('.')) continue
        const target = rel(resolve(dirname(f), from)).replace(/^src\//, '')
        const banned = PATH_TAKERS[target] || []
        const used = names.includes('*') ? banned : names.filter((n) => banned.includes(n))
        if (used.length) bad.push(`${rel(f)}: ${used.join(', ')} from ${from}`)
      }
    }
    expect(bad).toEqual([])
  })

  it('the rules catch what they are meant to', () => {
    for (const line of ["api.get('/sites')", 'await api.post(`/alarms/${id}/take`)', "api[m]('/x', b)",
      "request('/auth/me')", "fetch('/api/v1/x')", "listAll(`/${k}`, q)", "crud('/users')", "new EventSource('/api/v1/stream')"]) {
      expect(LITERAL_CALL.test(line), line).toBe(true)
    }
    for (const line of ['listSites({ page_size: 100 })', "router.push('/alarms')", "locks.request('gw-lock', run)",
      "Notification.requestPermission()", 'records.page(q, 1, 20)']) {
      expect(LITERAL_CALL.test(line), line).toBe(false)
    }
    expect(imports("import { api, getSession } from '../api/client.js'\nimport * as a from './x.js'"))
      .toEqual([{ names: ['api', 'getSession'], from: '../api/client.js' }, { names: ['*'], from: './x.js' }])
  })
})

describe('i18n imports only downward', () => {
  const modules = files.filter((f) => under(f, I18N))

  it('imports nothing but other i18n modules and packages', () => {
    expect(modules.map(rel)).toEqual(expect.arrayContaining(['src/i18n/index.js', 'src/i18n/messages.js', 'src/admin/i18n.js']))
    const bad = []
    for (const f of modules) {
      for (const { from } of imports(readFileSync(f, 'utf8'))) {
        if (!from.startsWith('.')) continue // a package (vue, vant)
        if (!under(resolve(dirname(f), from), I18N)) bad.push(`${rel(f)} imports ${from}`)
      }
    }
    expect(bad).toEqual([])
  })
})
