"""WeChat calls of the mini-program login, through wechatpy (against WeChat, or the
stand-in at ``WECHAT_API_BASE_URL``), and what each documented error means to a client.

- ``code_to_session``: ``GET sns/jscode2session``. Its errors become 4xx with stable
  codes: 40029 (invalid code) and 40163 (code already used) ``wechat_code_invalid``
  (422; the client calls ``wx.login`` again), 45011 (minute quota) ``wechat_rate_limited``
  (429, Retry-After 60), 40226 (high-risk user, WeChat's own block) ``wechat_user_blocked``
  (403). Anything else is ours or WeChat's trouble: 503 ``wechat_unavailable``.
- ``official_account_openid``: the openid of a UnionID at the service official account,
  looked up in its followers (``cgi-bin/user/get`` + ``user/info/batchget``, 100 at a
  time). WeChat has no UnionID -> openid lookup; a duty-staff account has few followers,
  and this runs at binding time only.

wechatpy's ``code_to_session`` attaches an access token; it is the shared one of
``SharedTokenClient`` (Redis), so no extra token fetch happens per login.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import islice

import redis as redis_lib
import requests
from wechatpy.exceptions import WeChatClientException

from backend.errors import DomainError, Forbidden, TooManyRequests, Unavailable, ValidationFailed
from backend.extensions import redis
from backend.notify.wechat import SharedTokenClient
from backend.settings import setting

log = logging.getLogger(__name__)

RATE_LIMIT_WAIT = 60


@dataclass(frozen=True)
class Identity:
    appid: str
    openid: str
    unionid: str | None


def _client(appid: str, secret: str) -> SharedTokenClient:
    return SharedTokenClient(appid, secret, redis.current(),
                             api_base_url=setting("wechat_api_base_url"), timeout=10.0)


def wxa_appid() -> str:
    """The mini-program's appid; 503 when the mini-program login is not configured."""
    if not (setting("wxa_appid") and setting("wxa_secret")):
        raise Unavailable("WeChat login is not configured (GW_WXA_APPID, GW_WXA_SECRET)",
                          error="wechat_not_configured")
    return setting("wxa_appid")


def login_error(exc: WeChatClientException) -> DomainError:
    """The client-facing error of a failed jscode2session."""
    code = exc.errcode
    if code in (40029, 40163):
        return ValidationFailed("code: invalid, expired or already used; call wx.login again",
                                errors={"code": [f"WeChat errcode {code}"]},
                                error="wechat_code_invalid")
    if code == 45011:
        return TooManyRequests("WeChat login rate limit reached; try again in a minute",
                               error="wechat_rate_limited",
                               headers={"Retry-After": str(RATE_LIMIT_WAIT)})
    if code == 40226:
        return Forbidden("WeChat marks this user as high-risk and refuses the login",
                         error="wechat_user_blocked")
    what = f"errcode {code}" if code is not None else \
        f"HTTP {getattr(exc.response, 'status_code', None)}"
    log.warning("jscode2session failed: %s %s", what, exc.errmsg)
    return Unavailable(f"WeChat login failed ({what})", error="wechat_unavailable",
                       headers={"Retry-After": "10"})


def code_to_session(code: str) -> Identity:
    appid = wxa_appid()
    client = _client(appid, setting("wxa_secret"))
    try:
        result = client.wxa.code_to_session(code)
    except WeChatClientException as exc:
        raise login_error(exc) from None
    except (requests.RequestException, redis_lib.RedisError, ValueError) as exc:
        log.warning("jscode2session failed: %s: %s", type(exc).__name__, exc)
        raise Unavailable("WeChat cannot be reached", error="wechat_unavailable",
                          headers={"Retry-After": "10"}) from None
    openid = result.get("openid") if isinstance(result, dict) else None
    if not openid:
        raise Unavailable("WeChat answered without an openid", error="wechat_unavailable")
    return Identity(appid, openid, result.get("unionid") or None)


def official_account_openid(unionid: str) -> str | None:
    """The follower of the service official account with this UnionID, if any (None also
    when the official account is not configured or cannot be reached: best effort)."""
    if not (unionid and setting("wechat_appid") and setting("wechat_secret")):
        return None
    client = _client(setting("wechat_appid"), setting("wechat_secret"))
    try:
        followers = client.user.iter_followers()
        while batch := list(islice(followers, 100)):
            for info in client.user.get_batch(batch):
                if info.get("unionid") == unionid and info.get("subscribe"):
                    return info["openid"]
    except (WeChatClientException, requests.RequestException, redis_lib.RedisError,
            ValueError) as exc:
        log.warning("official-account follower lookup failed: %s", exc)
    return None
