"""The one way code outside a request gets the Flask app: RQ jobs, the command line and
the demo seeder.

- ``app_context()``: the current app if there is one (tests, a request), else this
  process's app, built once from the environment (``gridwarden up`` hands
  DATABASE_URL / REDIS_URL to the workers). ``preload_app()`` builds it early: a forking
  worker does it before its first fork, so each job inherits it.
- ``app_context(settings)``: a new app for these settings (the demo seeder).
- ``platform_context(settings)``: for the command line: embedded or configured servers,
  migrated to the latest revision, and an app context on them.
"""
from __future__ import annotations

import contextlib

from flask import Flask, current_app, has_app_context

_app: Flask | None = None


def preload_app() -> Flask:
    """This process's app, built now if it was not yet."""
    global _app
    if _app is None:
        from backend import create_app

        _app = create_app()
    return _app


@contextlib.contextmanager
def app_context(settings=None):
    if settings is None and has_app_context():
        yield current_app
        return
    if settings is None:
        app = preload_app()
    else:
        from backend import create_app

        app = create_app(settings)
    with app.app_context():
        yield app


@contextlib.contextmanager
def platform_context(settings):
    """Yield the settings with the servers' URLs, inside an app context on a migrated
    database; embedded servers this started are stopped after."""
    from backend.migrate import upgrade_head
    from backend.runtime.embedded import platform_servers

    with platform_servers(settings) as resolved:
        upgrade_head(resolved.database_url)
        with app_context(resolved):
            yield resolved
