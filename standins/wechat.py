"""WeChat API stand-in: access tokens, template and subscribe messages, mini-program login
(``GET /sns/jscode2session``) and the official account's followers (``GET
/cgi-bin/user/get``, ``POST /cgi-bin/user/info/batchget``).

Follows the documented wire protocol (GET /cgi-bin/token, POST
/cgi-bin/message/template/send and /cgi-bin/message/subscribe/send with
``?access_token=``; JSON answers with ``errcode``/``errmsg``), so wechatpy runs unchanged.
Token semantics as WeChat's: a new token leaves the previous one valid for 5 minutes,
then 40001; past ``expires_in`` a token answers 42001. A ``wx.login`` code (made by
``POST /_standin/wxa/login``) lives 5 minutes and is good once: an unknown or expired code
answers 40029, a used one 40163, a code of a user marked risky 40226; 45011 (minute quota)
and any other errcode through the faults of channel ``wechat_session``. (wechatpy 1.8.18 never calls
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
    47001: "data format error", 40029: "invalid code", 40163: "code been used",
    40226: "high risk user", 45011: "api minute-quota reach limit  mustslower  retry next minute",
}
CODE_TTL = 300          # a wx.login code is valid for 5 minutes
FOLLOWERS_PAGE = 10000  # cgi-bin/user/get pages by 10 000 openids
BATCH_LIMIT = 100       # cgi-bin/user/info/batchget takes at most 100
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


# --- mini-program login ---------------------------------------------------------------

def issue_login_code(appid: str, openid: str, unionid: str | None = None,
                     risky: bool = False) -> str:
    """What ``wx.login`` would give the phone of ``openid``: a one-time code."""
    code = "CODE_" + secrets.token_urlsafe(16)
    with _state().lock:
        _state().login_codes[code] = {"appid": appid, "openid": openid, "unionid": unionid,
                                      "risky": bool(risky), "expires_at": time.time() + CODE_TTL,
                                      "used": False}
    return code


@bp.get("/sns/jscode2session")
def jscode2session():
    state = _state()
    state.count("wechat_session")
    if (rsp := _fault("wechat_session")) is not None:
        return rsp
    args = request.args
    if args.get("grant_type") != "authorization_code":
        return _err(40002)
    appid, secret = args.get("appid", ""), args.get("secret", "")
    apps = state.config.wechat_apps
    if not appid or (apps and appid not in apps):
        return _err(40013)
    if secret != apps.get(appid, state.config.wechat_secret):
        return _err(40125)
    with state.lock:
        info = state.login_codes.get(args.get("js_code", ""))
        if info is None or info["appid"] != appid or time.time() >= info["expires_at"]:
            return _err(40029)
        if info["used"]:
            return _err(40163)
        info["used"] = True
    if info["risky"]:
        return _err(40226)
    body = {"openid": info["openid"], "session_key": secrets.token_urlsafe(16)}
    if info["unionid"]:
        body["unionid"] = info["unionid"]
    return jsonify(body)


# --- official-account followers ---------------------------------------------------------

def add_follower(openid: str, unionid: str | None = None) -> dict:
    with _state().lock:
        _state().followers[openid] = {"openid": openid, "unionid": unionid}
    return {"openid": openid, "unionid": unionid}


@bp.get("/cgi-bin/user/get")
def followers():
    _state().count("wechat_followers")
    if (rsp := _check_token()) is not None:
        return rsp
    with _state().lock:
        ids = sorted(_state().followers)
    after = request.args.get("next_openid") or ""
    if after:
        ids = [i for i in ids if i > after]
    page = ids[:FOLLOWERS_PAGE]
    more = len(ids) > FOLLOWERS_PAGE
    body = {"total": len(_state().followers), "count": len(page),
            "next_openid": page[-1] if more else ""}
    if page:   # as WeChat: no "data" when there is nobody (left)
        body["data"] = {"openid": page}
    return jsonify(body)


@bp.post("/cgi-bin/user/info/batchget")
def followers_info():
    _state().count("wechat_followers")
    if (rsp := _check_token()) is not None:
        return rsp
    body = _body()
    users = body.get("user_list") if body else None
    if not isinstance(users, list) or not users or len(users) > BATCH_LIMIT:
        return _err(47001)
    out = []
    with _state().lock:
        for item in users:
            openid = item.get("openid") if isinstance(item, dict) else None
            known = _state().followers.get(openid or "")
            if known is None:
                out.append({"subscribe": 0, "openid": openid})
                continue
            info = {"subscribe": 1, "openid": openid, "language": "zh_CN"}
            if known["unionid"]:
                info["unionid"] = known["unionid"]
            out.append(info)
    return jsonify({"user_info_list": out})
