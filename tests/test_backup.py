"""``gridwarden backup`` / ``gridwarden restore`` (backend/runtime/backup.py), run as the
command a person types: a world (facility, accounts, readings, an alarm with its timeline
and notifications) is backed up and restored into an empty embedded data directory and
into an empty database of the configured server, and every row comes back; a person can
log in on the restored database. Refusals have their exit codes and messages."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from backend import create_app
from backend.migrate import upgrade_head
from backend.runtime import embedded
from tests.alarm_world import T0, breaker, build, feed
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[1]
# What a restore must bring back: the facility, accounts, history, alarms, the outbox.
TABLES = ("sites", "gateways", "boards", "circuits", "devices", "users", "user_sites",
          "notify_profiles", "readings", "device_status", "alarms", "alarm_events",
          "notifications", "refresh_families", "alembic_version")


def _cli(*args: str, database_url: str | None = None, data_dir: Path | None = None):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")
           and not k.startswith("GW_")}
    env["PYTHONPATH"] = str(ROOT)
    if database_url:
        env["DATABASE_URL"] = database_url
    if data_dir:
        env["GW_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _snapshot(database_url: str) -> dict:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                      for t in TABLES}
            users = conn.execute(text(
                "SELECT username, password_hash, role FROM users ORDER BY id")).all()
            alarms = conn.execute(text(
                "SELECT id, rule, level, state, value, raised_at FROM alarms ORDER BY id")).all()
            readings = conn.execute(text(
                "SELECT device_id, ts FROM readings ORDER BY device_id, ts")).all()
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    return {"counts": counts, "users": users, "alarms": alarms, "readings": readings,
            "version": version}


def _seed(settings) -> None:
    """The alarm tests' world, an over-voltage trip raised and notified, in ``settings``'
    database."""
    app = create_app(settings)
    with app.app_context():
        from backend.extensions import db

        w = build()
        feed(T0, {w["d4"]: breaker(), w["d1"]: breaker()})
        tripped = breaker(voltage_a=280.0, switch_state="open", trip_cause="over_voltage",
                          current_a=0.0, current_b=0.0, current_c=0.0)
        feed(T0 + timedelta(seconds=2), {w["d4"]: tripped})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _login(settings, database_url: str) -> int:
    app = create_app(settings.with_overrides(database_url=database_url))
    with app.app_context():
        resp = app.test_client().post("/api/v1/auth/login",
                                      json={"username": "s1", "password": PASSWORD})
        from backend.extensions import db

        db.session.remove()
        db.engine.dispose()
    return resp.status_code


@pytest.fixture
def dirs():
    """Two data directories pgserver's postgres user may enter (it runs as "pgserver"
    when the tests run as root)."""
    base = Path(tempfile.mkdtemp(prefix="gw-backup-"))
    base.chmod(0o755)
    yield base / "source", base / "restored", base
    for name in ("source", "restored"):
        pidfile = base / name / "postgres" / "postmaster.pid"
        try:
            os.kill(int(pidfile.read_text().split()[0]), 2)
        except (OSError, ValueError, IndexError):
            pass
    shutil.rmtree(base, ignore_errors=True)


def test_restore_into_an_empty_data_directory_brings_everything_back(settings, app, dirs):
    source, restored, base = dirs
    server, url = embedded.start_postgres(source)
    try:
        upgrade_head(url)
        _seed(settings.with_overrides(database_url=url, data_dir=source))
        before = _snapshot(url)
        assert before["counts"]["alarms"] >= 1 and before["counts"]["readings"] >= 3
        assert before["counts"]["notifications"] >= 1 and before["counts"]["users"] >= 4
        archive = base / "backup.dump"
        out = _cli("backup", "--output", str(archive), data_dir=source)  # embedded, running
        assert out.returncode == 0, out.stderr
        assert f"backup written to {archive}" in out.stdout
        assert archive.stat().st_size > 0
        assert not list(base.glob("*.partial"))
    finally:
        server.cleanup()

    out = _cli("restore", str(archive), data_dir=restored)          # a new, empty data dir
    assert out.returncode == 0, out.stderr
    assert "restored" in out.stdout
    server, url = embedded.start_postgres(restored)
    try:
        after = _snapshot(url)
        assert after == before
        assert _login(settings, url) == 200                         # the account works
        logged_in = _snapshot(url)                                  # (its login is a row)
        # a second restore into the now full database is refused, and changes nothing
        again = _cli("restore", str(archive), data_dir=restored)
        assert again.returncode == 3, again.stderr
        assert "is not empty" in again.stderr
        assert _snapshot(url) == logged_in
    finally:
        server.cleanup()


@pytest.fixture
def empty_database(urls):
    """A new, empty database on the configured test server, dropped afterwards."""
    url = make_url(urls["database_url"])
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_backup_and_restore_on_the_configured_server(settings, app, urls, empty_database,
                                                     dirs):
    _, _, base = dirs
    _seed(settings)
    before = _snapshot(urls["database_url"])
    archive = base / "configured.dump"
    out = _cli("backup", "-o", str(archive), database_url=urls["database_url"])
    assert out.returncode == 0, out.stderr
    out = _cli("restore", str(archive), database_url=empty_database)
    assert out.returncode == 0, out.stderr
    assert _snapshot(empty_database) == before
    assert _login(settings, empty_database) == 200


def test_refusals_say_why_with_their_exit_codes(dirs):
    _, _, base = dirs
    junk = base / "junk.dump"
    junk.write_text("not an archive\n")
    out = _cli("restore", str(junk), database_url="postgresql+psycopg2://x@127.0.0.1:1/x")
    assert out.returncode == 1
    assert "does not appear to be a valid archive" in out.stderr   # before connecting
    out = _cli("restore", str(base / "missing.dump"), data_dir=base / "d")
    assert out.returncode == 2
    assert "does not exist" in out.stderr
    out = _cli("backup", "-o", str(base / "b.dump"),
               database_url="postgresql+psycopg2://gw:secret-pw@127.0.0.1:1/gw")
    assert out.returncode == 1
    assert "cannot connect to the database" in out.stderr
    assert "secret-pw" not in out.stderr                           # the password is masked
    assert not (base / "b.dump").exists()
