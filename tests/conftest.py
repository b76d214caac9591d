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
    _no_commit_waits(db_url)
    yield {"database_url": db_url, "redis_url": redis_url}
    embedded.stop_process(proc)
    del server


def _no_commit_waits(db_url: str) -> None:
    """The test database's commits do not wait for the WAL to reach the disk (every
    connection, the platforms the tests start included): a test's data need not survive
    a crash of the server, and a loaded machine's disk made each commit cost milliseconds."""
    engine = create_engine(db_url)
    with engine.begin() as conn:
        name = conn.execute(text("SELECT current_database()")).scalar()
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    engine.dispose()


@pytest.fixture(scope="session")
def settings(urls, tmp_path_factory):
    return Settings.from_env().with_overrides(
        env="test", database_url=urls["database_url"], redis_url=urls["redis_url"],
        data_dir=tmp_path_factory.mktemp("gw-data"), secret_key="test-secret-" + "x" * 32,
        jwt_secret_key="test-jwt-secret-" + "y" * 32)


@pytest.fixture(scope="session")
def app(settings):
    return create_app(settings)


TABLES = ("config_state", "config_users", "config_items", "site_config_versions", "uplink_outbox", "uplink_state", "uplink_received", "site_uplinks",
          "site_credentials", "quality_intervals", "quality_daily", "energy_reports", "energy_denominators", "energy_carbon_factors",
          "energy_tariffs", "energy_slots", "energy_days", "energy_months", "energy_day_periods",
          "energy_month_periods", "energy_state",
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
    """Empty every table and the Redis database (inside an app context).

    What ``TRUNCATE <TABLES> RESTART IDENTITY CASCADE`` does, but only the tables that hold
    rows are truncated: a TRUNCATE of ~60 empty tables costs about a second on a loaded
    2-core machine, and this runs after every test. Every identity/serial sequence of those
    tables (and of the tables referencing them) starts again, as RESTART IDENTITY would.
    """
    from backend.extensions import db, redis

    db.session.remove()
    with db.current_engine().begin() as conn:
        tables, sequences = _cleared(conn)
        full = conn.execute(text(" UNION ALL ".join(
            f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM {t})" for t in tables))).scalars().all()
        if full and _superuser(conn):
            # DELETE, with the foreign-key triggers off (every referencing table is in the
            # list): far cheaper than TRUNCATE for the few rows a test leaves
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in full:
                conn.execute(text(f"DELETE FROM {table}"))
        elif full:
            conn.execute(text(f"TRUNCATE {', '.join(full)} CASCADE"))
        if sequences:
            conn.execute(text("SELECT setval(seqrelid, seqstart, false) FROM pg_sequence "
                              "WHERE seqrelid = ANY(:oids)"), {"oids": sequences})
    redis.flushdb()


_CLEARED: dict[str, tuple[list[str], list[int]]] = {}


def _superuser(conn) -> bool:
    key = f"super:{conn.engine.url}"
    if key not in _SUPER:
        _SUPER[key] = bool(conn.execute(text(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar())
    return _SUPER[key]


_SUPER: dict[str, bool] = {}


def _cleared(conn) -> tuple[list[str], list[int]]:
    """TABLES and every table referencing one of them, transitively (what TRUNCATE ...
    CASCADE empties; partitions are emptied with their parent), and their sequences."""
    key = str(conn.engine.url)
    if key not in _CLEARED:
        oids = conn.execute(text("""
            WITH RECURSIVE t(oid) AS (
                SELECT c.oid FROM pg_class c
                WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(:names)
              UNION
                SELECT con.conrelid FROM pg_constraint con JOIN t ON con.confrelid = t.oid
                WHERE con.contype = 'f')
            SELECT c.oid, c.relname FROM t JOIN pg_class c ON c.oid = t.oid
            WHERE NOT c.relispartition"""), {"names": list(TABLES)}).all()
        seqs = conn.execute(text("""
            SELECT DISTINCT d.objid::int FROM pg_depend d
            JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
            WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
              AND d.deptype IN ('a', 'i') AND d.refobjid = ANY(:oids)"""),
            {"oids": [o for o, _ in oids]}).scalars().all()
        _CLEARED[key] = ([name for _, name in oids], list(seqs))
    return _CLEARED[key]


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
