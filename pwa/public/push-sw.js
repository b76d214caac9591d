/* Web Push for the service worker (pulled in by workbox's importScripts, see
   vite.config.js). The payload is backend/notify/webpush.py push_payload():
   {title, body, url, tag, alarm_id, level, state, occurred_at}. */
/* eslint-env serviceworker */
function alarmUrl(data) {
  if (data.url) {
    try {
      const u = new URL(data.url, self.location.origin)
      if (u.origin === self.location.origin) return u.pathname + u.search
    } catch (e) { /* not a URL */ }
  }
  return data.alarm_id ? '/alarms/' + data.alarm_id : '/alarms'
}

self.addEventListener('push', function (event) {
  var data = {}
  try { data = event.data ? event.data.json() : {} } catch (e) { data = { body: event.data ? event.data.text() : '' } }
  var options = {
    body: data.body || '', tag: data.tag || undefined, renotify: !!data.tag,
    icon: '/icons/icon-192.png', badge: '/icons/icon-192.png', lang: 'zh-CN',
    requireInteraction: data.level === 'alarm' && data.state === 'active',
    vibrate: data.level === 'alarm' ? [200, 100, 200] : [150],
    timestamp: data.occurred_at ? Date.parse(data.occurred_at) : Date.now(),
    data: { url: alarmUrl(data), alarm_id: data.alarm_id || null },
  }
  event.waitUntil(self.registration.showNotification(data.title || 'GridWarden', options))
})

self.addEventListener('notificationclick', function (event) {
  event.notification.close()
  var target = new URL((event.notification.data && event.notification.data.url) || '/alarms', self.location.origin).href
  event.waitUntil(self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (wins) {
    for (var i = 0; i < wins.length; i++) {
      var w = wins[i]
      if (new URL(w.url).origin === self.location.origin && 'focus' in w) {
        return w.focus().then(function (c) { return c && 'navigate' in c ? c.navigate(target) : c })
          .catch(function () { return self.clients.openWindow(target) })
      }
    }
    return self.clients.openWindow(target)
  }))
})
