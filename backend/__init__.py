"""GridWarden backend: ``create_app(settings=None)`` builds the Flask API."""
from __future__ import annotations

import logging
import logging.config
from datetime import timedelta

from flask import Flask

from backend.config import Settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None, *, database_url: str | None = None,
               redis_url: str | None = None) -> Flask:
    settings = settings or Settings.from_env()
    database_url = database_url or settings.database_url
    redis_url = redis_url or settings.redis_url
    if not database_url or not redis_url:
        from backend.config import ConfigError

        raise ConfigError("DATABASE_URL and REDIS_URL must be set for the API process "
                          "(`gridwarden up` sets them when it starts embedded servers)")

    app = Flask(__name__)
    from backend.api.converters import Int4Converter

    app.url_map.converters["int"] = Int4Converter   # /devices/<int:id> fits an id column
    if settings.log_format == "json" and not logging.getLogger().handlers:
        from backend.runtime.logs import dict_config

        logging.config.dictConfig(dict_config(settings.log_level, "json"))
    logging.basicConfig(level=settings.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app.config.update(
        GW_SETTINGS=settings,
        SECRET_KEY=settings.secret_key,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        JWT_SECRET_KEY=settings.jwt_secret_key,
        JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=settings.access_token_minutes),
        JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=settings.refresh_token_days),
        JWT_TOKEN_LOCATION=["headers"],
        JWT_ERROR_MESSAGE_KEY="message",
        API_TITLE="GridWarden API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Served by us (backend/api/docs.py): the customer's network is closed, no CDN.
        OPENAPI_SWAGGER_UI_URL="/api/docs/assets/",
        API_SPEC_OPTIONS={
            "info": {"description": "GridWarden electrical-safety and energy platform. "
                                    "Errors: {code, status, error, message, errors}."},
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
            "security": [{"bearerAuth": []}],
        },
    )

    from backend.errors import GridWardenApi
    from backend.extensions import db, jwt, redis

    db.init_app(app, database_url)
    redis.init_app(app, redis_url)
    jwt.init_app(app)
    api = GridWardenApi(app)
    api.register_converter(Int4Converter, Int4Converter.openapi)

    from backend.accounts import security
    from backend.api import register_blueprints
    from backend.api.docs import docs_assets_bp
    from backend.api.health import health_bp
    from backend.api.metrics import metrics_bp
    from backend.web import web_bp

    security.init_jwt(jwt)
    register_blueprints(api)
    app.register_blueprint(health_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(docs_assets_bp)
    app.register_blueprint(web_bp)  # the built PWA at / (pwa/dist), when it exists
    return app
