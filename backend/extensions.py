"""Extensions created unbound and bound to the app in ``create_app``.

Each app keeps its own engine and Redis client in ``app.extensions``; the module-level
``db`` and ``redis`` resolve to the current app's (or, outside an app context, to the
last app created: the one a worker or CLI process made).
"""
from __future__ import annotations

import redis as redis_lib
from flask import current_app, has_app_context
from flask_jwt_extended import JWTManager
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker


class Database:
    """One engine per app and one scoped session, removed at app-context teardown."""

    def __init__(self) -> None:
        self._engine = None
        database = self

        class _AppSession(Session):
            def get_bind(self, mapper=None, clause=None, **kw):
                return database.current_engine()

        self.session = scoped_session(sessionmaker(class_=_AppSession, expire_on_commit=False))

    def init_app(self, app, url: str) -> None:
        engine = create_engine(url, pool_pre_ping=True)
        app.extensions["gw_engine"] = engine
        self._engine = engine
        app.teardown_appcontext(self._teardown)

    def current_engine(self):
        if has_app_context() and "gw_engine" in current_app.extensions:
            return current_app.extensions["gw_engine"]
        if self._engine is None:
            raise RuntimeError("the database is not bound: call create_app() first")
        return self._engine

    @property
    def engine(self):
        return self.current_engine()

    def _teardown(self, exc) -> None:
        if exc is not None:
            self.session.rollback()
        self.session.remove()


class RedisProxy:
    def __init__(self) -> None:
        self.client: redis_lib.Redis | None = None

    def init_app(self, app, url: str) -> None:
        client = redis_lib.Redis.from_url(url, decode_responses=True)
        app.extensions["gw_redis"] = client
        # RQ does its own decoding: it needs a client that returns bytes.
        app.extensions["gw_redis_raw"] = redis_lib.Redis.from_url(url)
        self.client = client

    def current(self) -> redis_lib.Redis:
        if has_app_context() and "gw_redis" in current_app.extensions:
            return current_app.extensions["gw_redis"]
        if self.client is None:
            raise RuntimeError("Redis is not bound: call create_app() first")
        return self.client

    def raw(self) -> redis_lib.Redis:
        """The same server without response decoding (for RQ queues)."""
        return current_app.extensions["gw_redis_raw"]

    def __getattr__(self, name):
        return getattr(self.current(), name)


db = Database()
jwt = JWTManager()
redis = RedisProxy()
