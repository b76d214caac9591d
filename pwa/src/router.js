import { createRouter, createWebHistory } from 'vue-router'
import { useAuthStore } from './stores/auth.js'

const routes = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  { path: '/', name: 'overview', component: () => import('./views/OverviewView.vue'), meta: { tabbar: true } },
  { path: '/facility', name: 'facility', component: () => import('./views/FacilityView.vue'), meta: { tabbar: true } },
  { path: '/devices/:id(\\d+)', name: 'device', component: () => import('./views/DeviceView.vue'), props: (r) => ({ id: Number(r.params.id) }) },
  { path: '/me', name: 'me', component: () => import('./views/MeView.vue'), meta: { tabbar: true } },
  { path: '/:rest(.*)*', redirect: '/' },
]

/** Where to go after logging in: only a path inside this app (no open redirect). */
export function safeRedirect(value) {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/login')
    ? value : '/'
}

export function makeRouter(history = createWebHistory()) {
  const router = createRouter({ history, routes })
  router.beforeEach((to) => {
    const auth = useAuthStore()
    if (!to.meta.public && !auth.loggedIn) {
      return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
    }
    if (to.name === 'login' && auth.loggedIn) return safeRedirect(to.query.redirect)
    return true
  })
  return router
}
