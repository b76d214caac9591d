"""Bulk import/export of a site's description (YAML) and device list (CSV). Thin: read the
raw body, call one service, commit (or roll back on a dry run)."""
from __future__ import annotations

import re

from flask import Response, request
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.api.blueprint import Blueprint
from backend.api.transfer.schemas import (
    CSV_BODY,
    FACILITY_DOCUMENT,
    IMPORT_ERRORS_DESCRIPTION,
    TIMEOUT_DESCRIPTION,
    TOO_LARGE_DESCRIPTION,
    YAML_BODY,
    ImportErrorSchema,
    ImportQueryArgsSchema,
    ImportResultSchema,
    text_response,
)
from backend.errors import ErrorSchema
from backend.extensions import db
from backend.facility import sites, transfer
from backend.facility.transfer_limits import check_bytes, max_bytes
from backend.facility.transfer_yaml import invalid
from backend.models import Role, Site

blp = Blueprint("transfer", __name__, url_prefix="/api/v1",
                description="Bulk import and export of a site's whole description "
                            "(YAML) and of its device list (CSV)")


def _body_text(*, legacy_encoding: str | None = None) -> str:
    """The uploaded file (multipart field ``file``) or the raw body, as text."""
    check_bytes(request.content_length)      # 413 before reading a body that is too large
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise invalid([{"line": 1, "path": "", "message": "no multipart field 'file'"}],
                          "a multipart upload needs the file in the field 'file'")
        data = upload.read(max_bytes() + 1)
    else:
        data = request.stream.read(max_bytes() + 1)
    check_bytes(len(data))                   # a chunked body has no Content-Length
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if legacy_encoding:
            try:
                return data.decode(legacy_encoding)
            except UnicodeDecodeError:
                pass
        line = data[:exc.start].count(b"\n") + 1
        raise invalid([{"line": line, "path": "", "message": "the file is not UTF-8 text"}],
                      f"the file is not UTF-8 text (line {line})") from None


def _finish(dry_run: bool) -> None:
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()


def _download(text: str, mimetype: str, site_id: int, suffix: str) -> Response:
    code = re.sub(r"[^A-Za-z0-9._-]", "_", db.session.get(Site, site_id).code)
    return Response(text, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{code}{suffix}"'})


@blp.route("/facility/import")
class FacilityImport(MethodView):
    @access(Role.admin)
    @blp.arguments(ImportQueryArgsSchema, location="query")
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(422, schema=ImportErrorSchema, description=IMPORT_ERRORS_DESCRIPTION)
    @blp.alt_response(413, schema=ErrorSchema, description=TOO_LARGE_DESCRIPTION)
    @blp.alt_response(503, schema=ErrorSchema, description=TIMEOUT_DESCRIPTION)
    @blp.doc(requestBody=YAML_BODY)
    def post(self, args):
        """Import a site's whole description (YAML); all-or-nothing, idempotent

        Creates the site if its code is new (system administrators only), else updates it
        (its admins). Records are matched by code and created or updated; records missing
        from the file are left alone. Any error: nothing is written and the 422 lists
        every error with its line. At most `GW_IMPORT_MAX_RECORDS` records (413 above).
        """
        result = transfer.import_yaml(current_actor(), _body_text(), dry_run=args["dry_run"])
        _finish(args["dry_run"])
        return result


@blp.route("/sites/<int:site_id>/export")
class SiteExport(MethodView):
    @access(Role.admin)
    @blp.response(200, content_type="application/yaml")
    @blp.doc(responses=text_response("application/yaml", "The site's description, in the "
                                                         "format the import reads",
                                     FACILITY_DOCUMENT))
    def get(self, site_id):
        """Export a site's whole description (YAML)"""
        text = transfer.export_yaml(current_actor(), site_id)
        return _download(text, "application/yaml; charset=utf-8", site_id, ".yaml")


@blp.route("/sites/<int:site_id>/devices.csv")
class SiteDevicesCsv(MethodView):
    @access(Role.admin)
    @blp.response(200, content_type="text/csv")
    @blp.doc(responses=text_response("text/csv", "The site's devices, one per line"))
    def get(self, site_id):
        """Export a site's device list (CSV, UTF-8 with BOM for spreadsheets)"""
        text = transfer.export_devices_csv(current_actor(), site_id)
        return _download("\ufeff" + text, "text/csv", site_id, "-devices.csv")

    @access(Role.admin)
    @blp.arguments(ImportQueryArgsSchema, location="query")
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(422, schema=ImportErrorSchema, description=IMPORT_ERRORS_DESCRIPTION)
    @blp.alt_response(413, schema=ErrorSchema, description=TOO_LARGE_DESCRIPTION)
    @blp.alt_response(503, schema=ErrorSchema, description=TIMEOUT_DESCRIPTION)
    @blp.doc(requestBody=CSV_BODY)
    def post(self, args, site_id):
        """Import a site's device list (CSV); all-or-nothing, idempotent

        At most `GW_IMPORT_MAX_RECORDS` rows (413 above).
        """
        actor = current_actor()
        sites.get_site(actor, site_id)        # 404 before anything is said about the body
        text = _body_text(legacy_encoding="gb18030")
        result = transfer.import_devices_csv(actor, site_id, text, dry_run=args["dry_run"])
        _finish(args["dry_run"])
        return result
