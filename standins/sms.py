"""Tencent Cloud SMS stand-in: ``SendSms`` (API 3.0, 2021-01-11) on ``POST /``.

Verifies the TC3-HMAC-SHA256 signature independently of the client (canonical headers
rebuilt from the request's own SignedHeaders, credential scope date checked against
X-TC-Timestamp) and answers the documented shape: ``{"Response": {"SendStatusSet":
[{"SerialNo", "PhoneNumber", "Fee", "SessionContext", "Code", "Message", "IsoCode"}],
"RequestId"}}`` or ``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}``, always
with HTTP 200 as the real API does.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from datetime import datetime, timezone

from flask import Blueprint, current_app, jsonify, request

bp = Blueprint("standin_sms", __name__)

AUTH_RE = re.compile(r"^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([\w-]+)/"
                     r"tc3_request, SignedHeaders=([\w;-]+), Signature=([0-9a-f]{64})$")
MAINLAND = re.compile(r"^\+861\d{10}$")
ERROR_PREFIXES = ("AuthFailure", "InternalError", "RequestLimitExceeded", "InvalidParameter.",
                  "MissingParameter", "UnauthorizedOperation", "InvalidAction")


def _answer(request_id: str, *, error: tuple[str, str] | None = None, statuses=None):
    body = {"RequestId": request_id}
    if error:
        body["Error"] = {"Code": error[0], "Message": error[1]}
    else:
        body["SendStatusSet"] = statuses
    return jsonify({"Response": body})


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def verify_signature(secret_id: str, secret_key: str) -> tuple[str, str] | None:
    """None when the request is signed with this key pair, else (Error.Code, Message)."""
    match = AUTH_RE.match(request.headers.get("Authorization", ""))
    if not match:
        return ("AuthFailure.InvalidAuthorization", "Authorization header is malformed")
    sid, date, service, signed, signature = match.groups()
    try:
        timestamp = int(request.headers.get("X-TC-Timestamp", ""))
    except ValueError:
        return ("AuthFailure.InvalidAuthorization", "X-TC-Timestamp is missing")
    if abs(time.time() - timestamp) > 300:
        return ("AuthFailure.SignatureExpire", "signature expired: timestamp off by > 5 min")
    if sid != secret_id:
        return ("AuthFailure.SecretIdNotFound", "the SecretId is not found")
    if date != datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d"):
        return ("AuthFailure.InvalidAuthorization", "credential date != X-TC-Timestamp date")
    names = signed.split(";")
    if "content-type" not in names or "host" not in names:
        return ("AuthFailure.InvalidAuthorization", "content-type and host must be signed")
    headers = "".join(f"{n}:{request.headers.get(n, '').strip().lower()}\n" for n in names)
    canonical = "\n".join([request.method, request.path, request.query_string.decode(),
                           headers, signed, hashlib.sha256(request.get_data()).hexdigest()])
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), f"{date}/{service}/tc3_request",
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        return ("AuthFailure.SignatureFailure", "the provided credentials could not be "
                                                "validated: check your signature")
    return None


@bp.post("/")
def send_sms():
    state = current_app.extensions["standin_state"]
    state.count("sms")
    request_id = str(uuid.uuid4())
    if request.headers.get("X-TC-Action") != "SendSms":
        return _answer(request_id, error=("InvalidAction", "only SendSms is served here"))
    if request.headers.get("X-TC-Version") != "2021-01-11":
        return _answer(request_id, error=("NoSuchVersion", "use version 2021-01-11"))
    problem = verify_signature(state.config.sms_secret_id, state.config.sms_secret_key)
    if problem:
        return _answer(request_id, error=problem)
    try:
        body = json.loads(request.get_data())
    except ValueError:
        return _answer(request_id, error=("InvalidParameter", "body is not JSON"))
    for name in ("PhoneNumberSet", "SmsSdkAppId", "TemplateId"):
        if not body.get(name):
            return _answer(request_id, error=("MissingParameter", f"{name} is required"))
    phones, params = body["PhoneNumberSet"], body.get("TemplateParamSet") or []
    if not isinstance(phones, list) or len(phones) > 200 or not all(
            isinstance(p, str) for p in phones + list(params)):
        return _answer(request_id, error=("InvalidParameter", "bad PhoneNumberSet/params"))
    fault = state.take_fault("sms")
    if fault and str(fault.get("code", "")).startswith(ERROR_PREFIXES):
        return _answer(request_id, error=(fault["code"], "injected fault"))
    if fault and "http_status" in fault:
        return ("injected fault", int(fault["http_status"]))
    statuses = []
    for phone in phones:
        status = {"SerialNo": "", "PhoneNumber": phone, "Fee": 0,
                  "SessionContext": body.get("SessionContext", ""), "IsoCode": "CN"}
        if fault and fault.get("code"):
            status.update(Code=fault["code"], Message="injected fault")
        elif not MAINLAND.match(phone):
            status.update(Code="InvalidParameterValue.IncorrectPhoneNumber",
                          Message="incorrect phone number", IsoCode="")
        elif phone.startswith("+86") and not body.get("SignName"):
            status.update(Code="MissingParameter.EmptySignName", Message="SignName is empty")
        else:
            serial = f"2433:{secrets.randbelow(10**20):020d}"
            status.update(SerialNo=serial, Fee=1, Code="Ok", Message="send success")
            state.record("sms", phone, {"sign_name": body.get("SignName"),
                                        "template_id": body["TemplateId"],
                                        "sdk_app_id": body["SmsSdkAppId"],
                                        "params": params}, serial)
        statuses.append(status)
    return _answer(request_id, statuses=statuses)
