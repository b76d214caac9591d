"""Extensions created unbound and bound to the app in ``create_app``."""
from __future__ import annotations

import redis as redis_lib
from flask_jwt_extended import JWTManager
from sqlalchemy import create_engine
from sqlalchemy.orm import scoped_session, sessionmaker


class Database:
    """One engine and one scoped session per app; the session is removed at teardown."""

    def __init__(self) -> None:
        self.engine = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False, autoflush=True))

    def init_app(self, app, url: str) -> None:
        self.engine = create_engine(url, pool_pre_ping=True, future=True)
        self.session.configure(bind=self.engine)
        app.teardown_appcontext(self._teardown)

    def _teardown(self, exc) -> None:
        if exc is not None:
            self.session.rollback()
        self.session.remove()


class RedisHolder:
    def __init__(self) -> None:
        self.client: redis_lib.Redis | None = None

    def init_app(self, app, url: str) -> None:
        self.client = redis_lib.Redis.from_url(url, decode_responses=True)

    def __getattr__(self, name):
        if self.client is None:
            raise RuntimeError("Redis is not bound: call create_app() first")
        return getattr(self.client, name)


db = Database()
jwt = JWTManager()
redis = RedisHolder()
