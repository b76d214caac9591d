// What WeChat DevTools' "工具 → 构建 npm" does for our dependencies: copy each package's
// mini-program build (its package.json "miniprogram" folder, @vant/weapp's lib/) to
// miniprogram_npm/<name>/, where `"usingComponents": {"van-button": "@vant/weapp/button/index"}`
// is resolved. The tests (miniprogram-simulate) and miniprogram-ci use it too.
//
// Then ECharts for ec-canvas (components/ec-canvas, vendored from ecomfe/echarts-for-weixin,
// whose docs say: put an ECharts build as ec-canvas/echarts.js): the Apache-2.0 build
// dist/echarts.min.js of the pinned `echarts` devDependency is copied there. It is ~1 MB of
// generated code, so it is not committed (.gitignore) but made from package-lock.json.
import { cpSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
for (const name of Object.keys(pkg.dependencies || {})) {
  const dir = join(root, 'node_modules', name)
  const meta = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  const out = join(root, 'miniprogram_npm', name)
  rmSync(out, { recursive: true, force: true })
  cpSync(join(dir, meta.miniprogram || 'miniprogram_dist'), out, { recursive: true })
}
cpSync(join(root, 'node_modules', 'echarts', 'dist', 'echarts.min.js'),
  join(root, 'components', 'ec-canvas', 'echarts.js'))
