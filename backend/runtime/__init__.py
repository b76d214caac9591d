"""Running the platform: embedded servers, the supervisor and ``gridwarden up``, the demo
seeder, the one app-context bootstrap for code outside requests, console logging, and the
poll cycle (``poll_cycle``: poll, store, evaluate alarms, then automation) that the poll
jobs run: it sits above every domain it drives."""
