import { createApp } from 'vue'
import { createPinia } from 'pinia'
import {
  Button, Cell, CellGroup, Empty, Field, Form, Icon, Loading, NavBar, NoticeBar, Popup, Picker,
  Radio, RadioGroup, Slider, Stepper, Tab, Tabs, Tabbar, TabbarItem, Tag, showFailToast, showToast,
} from 'vant'
import 'vant/lib/index.css'
import './styles.css'
import App from './App.vue'
import { makeRouter } from './router.js'
import { i18n, t } from './i18n/index.js'
import { configureApi, reloadSession } from './api/client.js'
import { describeError } from './api/errors.js'
import { useAuthStore } from './stores/auth.js'
import { useNetStore } from './stores/net.js'
import { SESSION_KEY } from './api/tokens.js'

const app = createApp(App)
const pinia = createPinia()
const router = makeRouter()
app.use(pinia).use(router).use(i18n)
for (const c of [Button, Cell, CellGroup, Empty, Field, Form, Icon, Loading, NavBar, NoticeBar, Popup,
  Picker, Radio, RadioGroup, Slider, Stepper, Tab, Tabs, Tabbar, TabbarItem, Tag]) app.use(c)

const auth = useAuthStore()
const net = useNetStore()
auth.init()

async function toLogin() {
  auth.forget()
  await router.isReady() // the first navigation may still be under way: its target counts
  const here = router.currentRoute.value
  if (here.name === 'login') return
  showToast(t('login.expired'))
  // Keep the page the user was on: they come back to it after logging in again.
  router.replace({ name: 'login', query: { redirect: here.fullPath } })
}

configureApi({
  notify: (err) => showFailToast({ message: describeError(err), wordBreak: 'break-word' }),
  onExpired: toLogin,
  onFresh: () => net.fresh(),
  onStale: (at) => net.fromCache(at),
  onOffline: () => net.wentOffline(),
})

// Another tab logged out or rotated the tokens.
window.addEventListener('storage', (e) => {
  if (e.key !== SESSION_KEY) return
  if (!reloadSession() && auth.loggedIn) toLogin()
})

app.mount('#app')

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  import('virtual:pwa-register').then(({ registerSW }) => registerSW({ immediate: true }))
}
