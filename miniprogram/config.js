// The one place to point the mini-program at a server (README.md). In WeChat DevTools
// tick "不校验合法域名" for a local http:// server; a released mini-program needs an
// https:// domain listed in the mini-program's admin console (request 合法域名).
module.exports = {
  apiBaseUrl: 'http://127.0.0.1:8000',
  timeoutMs: 15000,        // a request that has not answered by then fails with "timeout"
  alarmPollMs: 15000,      // my alarms: refreshed this often while the page is shown
  livePollMs: 10000,       // a board's live values: refreshed this often while shown
  commandPollMs: 1000,     // a command being followed: its state read this often
}
