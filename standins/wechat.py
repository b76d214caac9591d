"""WeChat API stand-in: access tokens, template messages, subscribe messages.

Follows the documented wire protocol (GET /cgi-bin/token, POST
/cgi-bin/message/template/send and /cgi-bin/message/subscribe/send with
``?access_token=``; JSON answers with ``errcode``/``errmsg``), so wechatpy runs unchanged.
Token semantics as WeChat's: a new token leaves the previous one valid for 5 minutes,
then 40001; past ``expires_in`` a token answers 42001. (wechatpy 1.8.18 never calls
/cgi-bin/stable_token, so it is not served.)
"""
from __future__ import annotations

import json
import secrets
import time

from flask import Blueprint, current_app, jsonify, request

bp = Blueprint("standin_wechat", __name__)

ERRMSG = {
    -1: "system error", 40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type", 40003: "invalid openid", 40013: "invalid appid",
    40037: "invalid template_id", 40125: "invalid appsecret", 40165: "invalid weapp pagepath",
    41001: "access_token missing", 42001: "access_token expired",
    43101: "user refuse to accept the msg", 45009: "reach max api daily quota limit",
    47001: "data format error",
}
OLD_TOKEN_GRACE = 300
TEMPLATE_LIMIT = 20
SUBSCRIBE_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "name": 10,
                    "symbol": 5, "car_number": 8, "phone_number": 17, "number": 32,
                    "letter": 32, "time": 40, "date": 40, "amount": 32}


def _state():
    return current_app.extensions["standin_state"]


def _err(code: int, msg: str | None = None):
    return jsonify({"errcode": code, "errmsg": msg or ERRMSG.get(code, "error")})


def _fault(channel: str):
    fault = _state().take_fault(channel)
    if fault is None:
        return None
    if "http_status" in fault:
        return ("injected fault", int(fault["http_status"]))
    return _err(int(fault["errcode"]), fault.get("errmsg"))


@bp.get("/cgi-bin/token")
def token():
    state = _state()
    state.count("wechat_token")
    if (rsp := _fault("wechat_token")) is not None:
        return rsp
    args = request.args
    if args.get("grant_type") != "client_credential":
        return _err(40002)
    appid, secret = args.get("appid", ""), args.get("secret", "")
    apps = state.config.wechat_apps
    if not appid or (apps and appid not in apps):
        return _err(40013)
    if secret != apps.get(appid, state.config.wechat_secret):
        return _err(40125)
    now = time.time()
    value = "ACCESS_TOKEN_" + secrets.token_urlsafe(32)
    with state.lock:
        for info in state.tokens.values():
            if info["appid"] == appid:
                info["expires_at"] = min(info["expires_at"], now + OLD_TOKEN_GRACE)
                info["superseded"] = True
        state.tokens[value] = {"appid": appid, "expires_at": now + state.config.token_ttl}
    return jsonify({"access_token": value, "expires_in": state.config.token_ttl})


def _check_token():
    value = request.args.get("access_token")
    if not value:
        return _err(41001)
    info = _state().tokens.get(value)
    if info is None:
        return _err(40001)
    if time.time() >= info["expires_at"]:
        # Superseded tokens die as "not latest" (40001); outlived ones as expired (42001).
        return _err(40001 if info.get("superseded") else 42001)
    return None


def _body():
    try:
        body = json.loads(request.get_data().decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return body if isinstance(body, dict) else None


def _check_data(data, limit_of) -> str | None:
    if not isinstance(data, dict) or not data:
        return "argument invalid! data is empty"
    for key, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str):
            return f"argument invalid! data.{key}.value invalid"
        if len(value) > limit_of(key):
            return f"argument invalid! data.{key}.value exceeds limit {limit_of(key)}"
    return None


def _common(channel: str):
    """Fault, token and body checks shared by both senders; (error response, body)."""
    _state().count(channel)
    for check in (lambda: _fault(channel), _check_token):
        if (rsp := check()) is not None:
            return rsp, None
    body = _body()
    if body is None:
        return _err(47001), None
    if not body.get("touser"):
        return _err(40003), None
    if not body.get("template_id"):
        return _err(40037), None
    return None, body


@bp.post("/cgi-bin/message/template/send")
def template_send():
    rsp, body = _common("wechat_template")
    if rsp is not None:
        return rsp
    data = dict(body.get("data") or {})
    # Since 2023-05 first/remark are no longer shown: accepted and dropped, as WeChat does.
    ignored = [k for k in ("first", "remark") if data.pop(k, None) is not None]
    if (problem := _check_data(data, lambda key: TEMPLATE_LIMIT)) is not None:
        return _err(47003, problem)
    mini = body.get("miniprogram")
    if mini is not None and not (isinstance(mini, dict) and mini.get("appid")
                                 and mini.get("pagepath")):
        return _err(40165)
    msgid = _state().next_id() + 2_000_000_000
    _state().record("wechat_template", body["touser"], body, str(msgid), ignored=ignored)
    return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})


@bp.post("/cgi-bin/message/subscribe/send")
def subscribe_send():
    rsp, body = _common("wechat_subscribe")
    if rsp is not None:
        return rsp

    def limit_of(key: str) -> int:
        return SUBSCRIBE_LIMITS.get(key.rstrip("0123456789"), 20)

    if (problem := _check_data(body.get("data"), limit_of)) is not None:
        return _err(47003, problem)
    if not _state().use_grant(body["touser"], body["template_id"]):
        return _err(43101)
    msgid = _state().next_id() + 3_000_000_000
    _state().record("wechat_subscribe", body["touser"], body, str(msgid))
    return jsonify({"errcode": 0, "errmsg": "ok", "msgid": msgid})


def expire_tokens() -> int:
    """Make every issued token expired now (the next call answers 42001)."""
    state = _state()
    with state.lock:
        for info in state.tokens.values():
            info["expires_at"] = 0
            info.pop("superseded", None)
        return len(state.tokens)
