"""Swagger UI's assets, served by us: /api/docs must work on a closed network (no CDN)."""
from __future__ import annotations

from flask import Blueprint
from swagger_ui_bundle import swagger_ui_path

docs_assets_bp = Blueprint("docs_assets", __name__, static_folder=swagger_ui_path,
                           static_url_path="/api/docs/assets")
