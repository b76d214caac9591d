"""Two platforms in one test process: the site box (the tests' own database and Redis db)
and a centre (a second database, ``<db>_c``, and the Redis db eight further on), the centre's API
served over real HTTP by a werkzeug server in a thread, which the tests stop and start
again to cut the link. Both import the example facility (identity is by codes)."""
from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis as redis_lib
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from backend import create_app
from backend.accounts.security import Actor
from backend.clock import utcnow
from backend.extensions import db, redis
from backend.facility.transfer import import_yaml
from backend.migrate import upgrade_head
from backend.models import Device, Role, Site
from backend.sitelink import credentials
from backend.sitelink.shipper import Shipper
from backend.telemetry.ingest import ingest
from tests.conftest import truncate_all
from tests.factories import make_user

FACILITY = Path(__file__).resolve().parent.parent / "examples" / "facility.yaml"


def centre_urls(urls: dict) -> dict:
    """A second database on the tests' server and the next Redis db, emptied and migrated."""
    url = make_url(urls["database_url"])
    name = f"{url.database}_c"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    db_url = url.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
    engine.dispose()
    upgrade_head(db_url)
    parts = urlsplit(urls["redis_url"])
    # Not the next db: on a shared machine each person's tests own one db (1, 2, ...);
    # eight further on is clear of them (Redis has 16).
    index = (redis_lib.Redis.from_url(urls["redis_url"]).connection_pool
             .connection_kwargs.get("db", 0) + 8) % 16
    if parts.scheme == "unix":       # the embedded Redis: a socket, the db in the query
        other = f"{urls['redis_url'].split('?')[0]}?db={index}"  # urlunsplit drops unix:// 's //
    else:
        other = urlunsplit(parts._replace(path=f"/{index}"))
    return {"database_url": db_url, "redis_url": other}


class CentreServer:
    """The centre's WSGI app on 127.0.0.1 (a port of its own, kept across restarts)."""

    def __init__(self, app):
        self.app, self.port, self.server = app, 0, None

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def platforms(urls, settings, app):
    c_urls = centre_urls(urls)
    centre = create_app(settings.with_overrides(role="central", **c_urls))
    server = CentreServer(centre)
    server.start()
    site = create_app(settings.with_overrides(role="site", central_url=server.url,
                                              site_token="set-per-test"))
    yield SimpleNamespace(site=site, centre=centre, server=server)
    server.stop()
    # Outside an app context the extensions resolve to the last app created: give the
    # rest of the session its own app back.
    db._engine, redis.client = app.extensions["gw_engine"], app.extensions["gw_redis"]
    for other in (site, centre):
        other.extensions["gw_engine"].dispose()


@pytest.fixture
def link(platforms, app):
    """Both platforms emptied, the facility imported in each, a credential for the site."""
    p = platforms
    if p.server.server is None:
        p.server.start()
    with p.centre.app_context():
        truncate_all()
        import_yaml(Actor.system("test"), FACILITY.read_text(encoding="utf-8"))
        admin = make_user("central-admin", Role.admin, superadmin=True)
        site_id = db.session.scalar(select(Site.id))
        token = credentials.create(Actor.of(admin), site_id)["token"]
        db.session.commit()
    with p.site.app_context():
        truncate_all()
        import_yaml(Actor.system("test"), FACILITY.read_text(encoding="utf-8"))
        make_user("duty", Role.staff, [db.session.scalar(select(Site))])
        db.session.commit()
        ids = {d.code: d.id for d in db.session.scalars(select(Device))}
    yield SimpleNamespace(**vars(p), token=token, site_id=site_id, ids=ids,
                          shipper=lambda: Shipper(p.server.url, token))
    with p.centre.app_context():
        truncate_all()


T0 = (utcnow() - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)


def feed_energy(w, start: int, stop: int, codes=("PM-AA1-IN", "QF-AA1-WL3")) -> None:
    """Counter readings every 5 minutes from T0 + start to T0 + stop (site)."""
    with w.site.app_context():
        for minute in range(start, stop, 5):
            ingest([(w.ids[c], T0 + timedelta(minutes=minute),
                     {"energy_import": 1000.0 + i * 7 + minute * (0.5 + i),
                      "voltage_a": 229.0 + i})
                    for i, c in enumerate(codes)])


def drain(w, shipper, steps: int = 60) -> None:
    """Step the shipper until the centre holds everything."""
    from backend.sitelink import outbox
    for _ in range(steps):
        with w.site.app_context():
            shipper.step()
            st = outbox.status()
        if st["backlog"] == 0 and st["state"] == "up":
            return
    raise AssertionError(f"the outbox did not drain: {st}")
