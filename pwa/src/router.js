import { createRouter, createWebHistory } from 'vue-router'
import { useAuthStore } from './stores/auth.js'

/** Who sees the energy tab (the API itself lets every role of a site read it). */
export const MANAGERS = ['manager', 'admin', 'superadmin']

const routes = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  { path: '/', name: 'overview', component: () => import('./views/OverviewView.vue'), meta: { tabbar: true } },
  { path: '/facility', name: 'facility', component: () => import('./views/FacilityView.vue'), meta: { tabbar: true } },
  { path: '/devices/:id(\\d+)', name: 'device', component: () => import('./views/DeviceView.vue'), props: (r) => ({ id: Number(r.params.id) }) },
  { path: '/devices/:id(\\d+)/settings', name: 'device-settings', component: () => import('./views/DeviceSettingsView.vue'), props: (r) => ({ id: Number(r.params.id) }) },
  { path: '/alarms', name: 'alarms', component: () => import('./views/AlarmsView.vue'), meta: { tabbar: true } },
  { path: '/alarms/:id(\\d+)', name: 'alarm', component: () => import('./views/AlarmDetailView.vue'), props: (r) => ({ id: Number(r.params.id) }) },
  { path: '/approvals', name: 'approvals', component: () => import('./views/ApprovalsView.vue') },
  { path: '/commands/:id(\\d+)', name: 'command', component: () => import('./views/CommandDetailView.vue'), props: (r) => ({ id: Number(r.params.id) }) },
  { path: '/scenes', name: 'scenes', component: () => import('./views/ScenesView.vue') },
  { path: '/schedules', name: 'schedules', component: () => import('./views/SchedulesView.vue') },
  { path: '/energy', name: 'energy', component: () => import('./views/EnergyView.vue'), meta: { tabbar: true, manager: true } },
  { path: '/quality', name: 'quality', component: () => import('./views/QualityView.vue') },
  { path: '/inspections', name: 'inspections', component: () => import('./views/InspectionsView.vue') },
  { path: '/me', name: 'me', component: () => import('./views/MeView.vue'), meta: { tabbar: true } },
  // The admin console (admins and system administrators only: see the guard below).
  { path: '/admin/cockpit', name: 'admin-cockpit', component: () => import('./admin/views/AdminCockpit.vue'), meta: { admin: true } },
  {
    path: '/admin', component: () => import('./admin/views/AdminLayout.vue'), meta: { admin: true },
    children: [
      { path: '', redirect: '/admin/users' },
      { path: 'users', name: 'admin-users', component: () => import('./admin/views/AdminUsers.vue') },
      { path: 'facility/:kind?', name: 'admin-facility', component: () => import('./admin/views/AdminFacility.vue') },
      { path: 'topology', name: 'admin-topology', component: () => import('./admin/views/AdminTopology.vue') },
      { path: 'transfer', name: 'admin-transfer', component: () => import('./admin/views/AdminTransfer.vue') },
      { path: 'rules', name: 'admin-rules', component: () => import('./admin/views/AdminRules.vue') },
      { path: 'linkage', name: 'admin-linkage', component: () => import('./admin/views/AdminLinkage.vue') },
      { path: 'notify', name: 'admin-notify', component: () => import('./admin/views/AdminNotify.vue') },
      { path: 'audit', name: 'admin-audit', component: () => import('./admin/views/AdminAudit.vue') },
      { path: 'profiles', name: 'admin-profiles', component: () => import('./admin/views/AdminProfiles.vue') },
      { path: 'scenes', name: 'admin-scenes', component: () => import('./admin/views/AdminScenes.vue') },
      { path: 'schedules', name: 'admin-schedules', component: () => import('./admin/views/AdminSchedules.vue') },
      { path: 'meters', name: 'admin-meters', component: () => import('./admin/views/AdminMeters.vue') },
      { path: 'energy', name: 'admin-energy', component: () => import('./admin/views/AdminEnergy.vue') },
      { path: 'quality', name: 'admin-quality', component: () => import('./admin/views/AdminQuality.vue') },
      { path: 'inspections', name: 'admin-inspections', component: () => import('./admin/views/AdminInspections.vue') },
      { path: 'uplink', name: 'admin-uplink', component: () => import('./admin/views/AdminUplink.vue') },
    ],
  },
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
    if (to.meta.admin && !['admin', 'superadmin'].includes(auth.roleKey)) return { name: 'overview' }
    if (to.meta.manager && !MANAGERS.includes(auth.roleKey)) return { name: 'overview' }
    return true
  })
  return router
}
