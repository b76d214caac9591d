"""Tests run against real PostgreSQL and Redis.

When DATABASE_URL / REDIS_URL are set the tests use them (and EMPTY them: point them at
scratch databases); otherwise embedded servers are started under .gw-test-data/.
"""
from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis as redis_lib
from flask import Flask
from sqlalchemy import create_engine, text

from backend import create_app
from backend.config import Settings
from backend.migrate import upgrade_head
from backend.runtime import embedded

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / ".gw-test-data"
TEST_DB = "gw_test"


@pytest.fixture(scope="session")
def urls():
    settings = Settings.from_env()
    server = proc = None
    db_url, redis_url = settings.database_url, settings.redis_url
    if db_url is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server, _ = embedded.start_postgres(TEST_DATA)
        server.psql(f"DROP DATABASE IF EXISTS {TEST_DB} WITH (FORCE);")
        server.psql(f"CREATE DATABASE {TEST_DB};")
        db_url = server.get_uri(TEST_DB).replace("postgresql://", "postgresql+psycopg2://", 1)
    else:
        engine = create_engine(db_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
        engine.dispose()
    if redis_url is None:
        rdir = TEST_DATA / "redis"
        shutil.rmtree(rdir, ignore_errors=True)
        proc, redis_url = embedded.start_redis(TEST_DATA)
    upgrade_head(db_url)
    yield {"database_url": db_url, "redis_url": redis_url}
    embedded.stop_process(proc)
    del server


@pytest.fixture(scope="session")
def settings(urls, tmp_path_factory):
    return Settings.from_env().with_overrides(
        env="test", database_url=urls["database_url"], redis_url=urls["redis_url"],
        data_dir=tmp_path_factory.mktemp("gw-data"), secret_key="test-secret-" + "x" * 32,
        jwt_secret_key="test-jwt-secret-" + "y" * 32)


@pytest.fixture(scope="session")
def app(settings):
    return create_app(settings)


TABLES = ("quality_intervals", "quality_daily", "energy_reports", "energy_denominators", "energy_carbon_factors",
          "energy_tariffs", "energy_slots", "energy_days", "energy_months", "energy_state",
          "meter_replacements", "linkage_firings", "linkage_rule_states", "linkage_rules", "command_events", "commands", "control_grants", "device_profiles",
          "notification_attempts", "notifications", "webpush_subscriptions", "subscribe_grants",
          "notify_profiles", "wechat_bindings", "alarm_recipients", "repair_photos", "repair_orders",
          "alarm_events", "alarms", "alarm_rule_states", "alarm_rules", "maintenance_windows",
          "readings", "device_status_events", "device_status", "audit_log", "user_sites",
          "devices", "knx_gateways", "gateways", "circuits", "boards", "distribution_rooms", "areas",
          "refresh_families", "users", "sites")


@pytest.fixture(autouse=True)
def _clean(request):
    """Empty every table and Redis after each test that used the app."""
    yield
    if "app" not in request.fixturenames:
        return
    with request.getfixturevalue("app").app_context():
        truncate_all()


def truncate_all() -> None:
    """Empty every table and the Redis database (inside an app context)."""
    from backend.extensions import db, redis

    db.session.remove()
    with db.current_engine().begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    redis.flushdb()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def raw_redis(urls):
    return redis_lib.Redis.from_url(urls["redis_url"], decode_responses=True)


@pytest.fixture
def root(ctx):
    """Authorization header of a system administrator."""
    from backend.models import Role
    from tests.factories import auth, make_user

    return auth(make_user("root", Role.admin, superadmin=True))


@pytest.fixture(scope="session")
def standin_server():
    """The WeChat / SMS / Web Push stand-in (standins/), one per test session."""
    from types import SimpleNamespace

    from standins import serve_in_thread

    server, url = serve_in_thread()
    yield SimpleNamespace(url=url, state=server.app.extensions["standin_state"])
    server.shutdown()


@pytest.fixture
def notify_standin(app, standin_server):
    """Every notification channel pointed at the stand-in (emptied) for one test."""
    from tests.alarm_world import point_notifications_at

    standin_server.state.reset()
    keys = point_notifications_at(app, standin_server.url)
    yield standin_server
    for key in keys:
        app.config.pop(key, None)


# --- the WeChat / SMS / Web Push stand-in, for the channel tests -------------------------
@pytest.fixture(scope="module")
def standin_args():
    """Arguments of the module's stand-in server (a module overrides this fixture)."""
    return {}


@pytest.fixture(scope="module")
def server(standin_args):
    from standins import serve_in_thread

    srv, url = serve_in_thread(**standin_args)
    yield SimpleNamespace(url=url, state=srv.app.extensions["standin_state"])
    srv.shutdown()


@pytest.fixture
def standin(server):
    """The stand-in with its messages and faults cleared."""
    server.state.reset()
    return server


@pytest.fixture
def settings_app(settings):
    """An app context with the test Settings (all ``setting()`` reads), without the API."""
    app = Flask(__name__)
    app.config["GW_SETTINGS"] = settings
    with app.app_context():
        yield app
