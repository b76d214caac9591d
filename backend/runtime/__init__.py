"""Running the platform: embedded servers, the supervisor and ``gridwarden up``, the demo
seeder, the one app-context bootstrap for code outside requests, and console logging."""
