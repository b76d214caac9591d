"""WeChat channels: official-account template messages and mini-program subscribe messages.

Why this shape (MISSION.md, "WeChat facts"):
- Mini-programs cannot send template messages any more; alarms go out as *template
  messages* from the service official account (users who follow it), and as *subscribe
  messages* from the mini-program only while the user holds a one-time grant.
- Since 2023-05 template fields are at most 20 characters, with no first/remark/colour;
  fields are therefore truncated here (``truncate``) and no first/remark is ever sent.
- The access token lives 2 h and must be shared by every process: it lives only in Redis
  (wechatpy ``RedisStorage``), refreshed under a Redis lock by whichever process needs
  it first, 5 minutes before it expires. Fetching it per call burns the daily quota (45009).
- wechatpy's own ``auto_retry`` refreshes on 40001/40014/42001 *recursively without a
  limit* (wechatpy 1.8.18 ``_handle_result``) and fetches without a timeout, so it is
  switched off: we refresh and retry exactly once. wechatpy 1.8.18 also has no
  ``api_base_url`` argument, so ``SharedTokenClient`` sets the base URL per instance.

Field maps (template keys depend on the template picked in the WeChat admin console) are
``key=source`` lists, e.g. ``GW_WECHAT_TEMPLATE_FIELDS="thing2=title,thing5=location"``.
Sources: title, level, site, location, site_location, value, time, state, alarm_id.
Defaults: template ``thing1=title,thing2=site,thing3=location,character_string4=value,
time5=time``; subscribe ``thing1=title,thing2=location,character_string3=value,time4=time,
phrase5=state``.
"""
from __future__ import annotations

import logging

import redis as redis_lib
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.redisstorage import RedisStorage

from backend.config import ConfigError
from backend.notify.base import (
    LEVEL_LABELS,
    STATE_LABELS,
    Delivery,
    Message,
    local_time,
    log_once,
    seconds_until_quota_reset,
    truncate,
)
from backend.settings import setting

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com/"
TOKEN_ERRORS = {40001: "access token invalid", 40014: "access token invalid",
                42001: "access token expired"}
FALLBACK_ERRORS = {43101: "user refused the subscription (no grant)",
                   43004: "user does not follow the official account",
                   43019: "recipient is in the account's blacklist"}
RETRY_ERRORS = {-1: ("WeChat system busy", 10.0), 45011: ("API minute quota reached", 60.0),
                45047: ("API minute quota reached", 60.0)}
FAILED_ERRORS = {40003: "invalid openid", 40013: "invalid appid", 40125: "invalid appsecret",
                 40164: "server IP not in the account's whitelist", 40037: "invalid template_id",
                 41030: "invalid mini-program page", 47003: "template data invalid",
                 48001: "API not authorized for this account"}
TEMPLATE_FIELDS = "thing1=title,thing2=site,thing3=location,character_string4=value,time5=time"
SUBSCRIBE_FIELDS = ("thing1=title,thing2=location,character_string3=value,time4=time,"
                    "phrase5=state")
SOURCES = ("title", "level", "site", "location", "site_location", "value", "time", "state",
           "alarm_id")
# Subscribe message value limits by key type (WeChat subscribe-message docs); template
# messages cap every field at 20 characters.
TYPE_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "name": 10, "symbol": 5,
               "car_number": 8, "phone_number": 17, "number": 32, "letter": 32}
TOKEN_MARGIN = 300   # seconds before expiry at which the shared token is renewed


def parse_fields(spec: str) -> dict[str, str]:
    """``"thing1=title,time4=time"`` -> ``{"thing1": "title", "time4": "time"}``."""
    out = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, sep, source = (x.strip() for x in part.partition("="))
        if not sep or not key or source not in SOURCES:
            raise ConfigError(f"bad WeChat field {part!r}: expected KEY=SOURCE with SOURCE "
                              f"one of {', '.join(SOURCES)}")
        out[key] = source
    return out


def _source_value(message: Message, source: str, key: str) -> str:
    if source == "time":
        fmt = "%Y-%m-%d %H:%M" if key.startswith(("time", "date")) else "%m-%d %H:%M:%S"
        return local_time(message.occurred_at, fmt)
    return {
        "title": message.title, "site": message.site, "location": message.location,
        "site_location": f"{message.site} {message.location}".strip(),
        "value": message.value, "alarm_id": str(message.alarm_id),
        "level": LEVEL_LABELS.get(message.level, message.level),
        "state": STATE_LABELS.get(message.state, message.state),
    }[source]


def build_data(message: Message, fields: dict[str, str], *, limit: int | None) -> dict:
    """Template/subscribe ``data``: ``{key: {"value": ...}}``, each value within its limit.

    ``limit`` caps every field (template messages: 20); ``None`` uses the subscribe
    message limit of the key's type (``thing`` 20, ``phrase`` 5, ...).
    """
    data = {}
    for key, source in fields.items():
        kind = key.rstrip("0123456789")
        cap = limit if limit is not None else TYPE_LIMITS.get(kind, 20)
        data[key] = {"value": truncate(_source_value(message, source, key), cap)}
    return data


class _TokenStorage(RedisStorage):
    """RedisStorage whose TTL ends TOKEN_MARGIN early, so nobody uses a dying token.

    Works with ``decode_responses=True`` clients: values are JSON text either way.
    """

    def set(self, key, value, ttl=None):
        if ttl:
            ttl = max(int(ttl) - TOKEN_MARGIN, 60)
        super().set(key, value, ttl)


class SharedTokenClient(WeChatClient):
    """``WeChatClient`` with a configurable base URL and a token shared through Redis."""

    def __init__(self, appid: str, secret: str, redis_client, *,
                 api_base_url: str = DEFAULT_API_BASE, prefix: str = "gw:wechat",
                 timeout: float = 10.0) -> None:
        super().__init__(appid, secret, session=_TokenStorage(redis_client, prefix),
                         timeout=timeout, auto_retry=False)
        self.api_base_url = api_base_url.rstrip("/") + "/"
        self.API_BASE_URL = self.api_base_url + "cgi-bin/"
        self.wxa.API_BASE_URL = self.api_base_url
        self._redis = redis_client
        self._lock_name = f"{prefix}:{appid}:token-lock"

    def fetch_access_token(self) -> dict:
        res = self._http.get(self.api_base_url + "cgi-bin/token", timeout=self.timeout,
                             params={"grant_type": "client_credential", "appid": self.appid,
                                     "secret": self.secret})
        if res.status_code >= 400:
            raise WeChatClientException(None, None, client=self, request=res.request,
                                        response=res)
        result = res.json()
        if result.get("errcode"):
            raise WeChatClientException(int(result["errcode"]), result.get("errmsg"),
                                        client=self, request=res.request, response=res)
        self.session.set(self.access_token_key, result["access_token"],
                         int(result.get("expires_in", 7200)))
        log.info("fetched a new WeChat access token for %s", self.appid)
        return result

    @property
    def access_token(self) -> str:
        return self.session.get(self.access_token_key) or self.refresh_access_token(None)

    def refresh_access_token(self, stale: str | None) -> str:
        """Fetch a new token unless another process already replaced ``stale``."""
        with self._redis.lock(self._lock_name, timeout=30, blocking_timeout=30):
            current = self.session.get(self.access_token_key)
            if current and current != stale:
                return current
            self.fetch_access_token()
            return self.session.get(self.access_token_key)


class _WeChatChannel:
    name = "wechat"

    def __init__(self, redis_client, *, appid: str, secret: str, template_id: str,
                 fields: str | dict, api_base_url: str, timeout: float,
                 prefix: str) -> None:
        if not (appid and secret and template_id):
            raise ConfigError(f"{self.name}: appid, secret and template id are required")
        self.client = SharedTokenClient(appid, secret, redis_client, api_base_url=api_base_url,
                                        prefix=prefix, timeout=timeout)
        self.redis = redis_client
        self.template_id = template_id
        self.fields = parse_fields(fields) if isinstance(fields, str) else dict(fields)
        self._quota_key = f"{prefix}:{appid}:quota-exhausted"

    def _call(self, fn) -> Delivery:
        """One attempt; on a stale token, refresh it and try exactly once more."""
        try:
            wait = self.redis.ttl(self._quota_key)
            if wait and wait > 0:
                return Delivery("fallback", "errcode 45009: daily quota reached (backing off)",
                                retry_after=float(wait), code="wechat_45009")
            token = self.client.access_token
            try:
                result = fn()
            except WeChatClientException as exc:
                if exc.errcode not in TOKEN_ERRORS:
                    raise
                log.info("%s: errcode %s, refreshing the token and retrying once",
                         self.name, exc.errcode)
                self.client.refresh_access_token(stale=token)
                result = fn()
        except WeChatClientException as exc:
            return self._classify(exc)
        except (requests.RequestException, redis_lib.RedisError, ValueError) as exc:
            return Delivery("retry", f"network error: {type(exc).__name__}: {exc}"[:200],
                            code="network")
        msgid = result.get("msgid") if isinstance(result, dict) else None
        return Delivery("sent", "ok", provider_ref=None if msgid is None else str(msgid))

    def _classify(self, exc: WeChatClientException) -> Delivery:
        code = exc.errcode
        if code is None:
            status = getattr(exc.response, "status_code", None)
            transient = status is None or status >= 500 or status == 429
            return Delivery("retry" if transient else "failed", f"HTTP {status} from WeChat",
                            code=f"http_{status}")
        text = f"errcode {code}: "
        tag = f"wechat_{code}"
        if code in FALLBACK_ERRORS:
            return Delivery("fallback", text + FALLBACK_ERRORS[code], code=tag)
        if code == 45009:
            wait = seconds_until_quota_reset()
            self.redis.set(self._quota_key, "1", ex=int(wait))
            log.warning("%s: daily quota reached (45009); backing off %.0f s", self.name, wait)
            return Delivery("fallback", text + "daily quota reached", retry_after=wait,
                            code=tag)
        if code in RETRY_ERRORS:
            reason, wait = RETRY_ERRORS[code]
            return Delivery("retry", text + reason, retry_after=wait, code=tag)
        if code in TOKEN_ERRORS:
            return Delivery("retry", text + TOKEN_ERRORS[code] + " again after a refresh",
                            retry_after=60.0, code=tag)
        reason = FAILED_ERRORS.get(code) or str(exc.errmsg or "")[:120]
        return Delivery("failed", text + reason, code=tag)


class WeChatTemplateChannel(_WeChatChannel):
    """Template messages from the service official account; ``send(openid, message)``.

    The message opens the mini-program page ``message.url_path`` (when ``wxa_appid`` is
    set; the mini-program must be linked to the official account) and otherwise, or on
    clients without mini-program support, ``message.web_url``.
    """
    name = "wechat_template"

    def __init__(self, redis_client, *, appid: str, secret: str, template_id: str,
                 wxa_appid: str = "", fields: str | dict = "",
                 api_base_url: str = DEFAULT_API_BASE, timeout: float = 10.0,
                 prefix: str = "gw:wechat") -> None:
        super().__init__(redis_client, appid=appid, secret=secret, template_id=template_id,
                         fields=fields or TEMPLATE_FIELDS, api_base_url=api_base_url,
                         timeout=timeout, prefix=prefix)
        self.wxa_appid = wxa_appid

    def template_data(self, message: Message) -> dict:
        return build_data(message, self.fields, limit=20)

    def send(self, openid: str, message: Message) -> Delivery:
        mini = ({"appid": self.wxa_appid, "pagepath": message.url_path}
                if self.wxa_appid and message.url_path else None)
        data = self.template_data(message)
        return self._call(lambda: self.client.message.send_template(
            openid, self.template_id, data, url=message.web_url or None, mini_program=mini))


class WeChatSubscribeChannel(_WeChatChannel):
    """Mini-program subscribe messages; each one consumes one of the user's grants."""
    name = "wechat_subscribe"

    def __init__(self, redis_client, *, appid: str, secret: str, template_id: str,
                 fields: str | dict = "", api_base_url: str = DEFAULT_API_BASE,
                 timeout: float = 10.0, prefix: str = "gw:wechat") -> None:
        super().__init__(redis_client, appid=appid, secret=secret, template_id=template_id,
                         fields=fields or SUBSCRIBE_FIELDS, api_base_url=api_base_url,
                         timeout=timeout, prefix=prefix)

    def subscribe_data(self, message: Message) -> dict:
        return build_data(message, self.fields, limit=None)

    def send(self, openid: str, message: Message) -> Delivery:
        data = self.subscribe_data(message)
        return self._call(lambda: self.client.wxa.send_subscribe_message(
            openid, self.template_id, data, page=message.url_path or None))


def template_channel(redis_client) -> WeChatTemplateChannel | None:
    """The configured template channel (app context settings), or None when unconfigured."""
    if not (setting("wechat_appid") and setting("wechat_secret")
            and setting("wechat_template_alarm")):
        log_once(log, logging.WARNING, "WeChat template channel off: GW_WECHAT_APPID, "
                 "GW_WECHAT_SECRET and GW_WECHAT_TEMPLATE_ALARM are not all set")
        return None
    return WeChatTemplateChannel(
        redis_client, appid=setting("wechat_appid"), secret=setting("wechat_secret"),
        template_id=setting("wechat_template_alarm"), wxa_appid=setting("wxa_appid"),
        fields=setting("wechat_template_fields"), api_base_url=setting("wechat_api_base_url"))


def subscribe_channel(redis_client) -> WeChatSubscribeChannel | None:
    """The configured subscribe channel, or None when the mini-program is unconfigured."""
    if not (setting("wxa_appid") and setting("wxa_secret")
            and setting("wxa_subscribe_template")):
        log_once(log, logging.WARNING, "WeChat subscribe channel off: GW_WXA_APPID, "
                 "GW_WXA_SECRET and GW_WXA_SUBSCRIBE_TEMPLATE are not all set")
        return None
    return WeChatSubscribeChannel(
        redis_client, appid=setting("wxa_appid"), secret=setting("wxa_secret"),
        template_id=setting("wxa_subscribe_template"), fields=setting("wxa_subscribe_fields"),
        api_base_url=setting("wechat_api_base_url"))
