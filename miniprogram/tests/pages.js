// Loading pages and components with miniprogram-simulate (WeChat's own wcc compiler): the
// @vant/weapp components they use come from miniprogram_npm/, as in DevTools after
// "构建 npm" (`npm test` runs scripts/build-npm.mjs first).
const path = require('node:path')
const fs = require('node:fs')

const ROOT = path.join(__dirname, '..')
const NPM = path.join(ROOT, 'miniprogram_npm')

// ``stubs``: {tag: definition} replaces a custom component by a plain one (only the chart,
// whose canvas does not exist in jsdom, is stubbed, and only in page tests).
function load(relPath, { stubs = {} } = {}) {
  const simulate = require('miniprogram-simulate')
  const file = path.join(ROOT, relPath)
  const json = JSON.parse(fs.readFileSync(`${file}.json`, 'utf8'))
  const usingComponents = {}
  for (const [tag, target] of Object.entries(json.usingComponents || {})) {
    if (target.startsWith('@')) {
      usingComponents[tag] = path.relative(path.dirname(file), path.join(NPM, target))
    }
  }
  for (const [tag, definition] of Object.entries(stubs)) usingComponents[tag] = simulate.load(definition)
  const id = simulate.load(file, { usingComponents, rootPath: ROOT })
  const page = simulate.render(id)
  page.attach(document.createElement('parent-wrapper'))
  return { page, simulate }
}

module.exports = { load, ROOT }
