"""SMS channel: the fallback that reaches anyone with a phone.

``SmsProvider.send(phone, params) -> Delivery`` is the interface; the provider is picked by
the ``sms_provider`` setting (``tencent`` or ``none``; another vendor is one more class
with ``send``). ``TencentSms`` calls Tencent Cloud SMS API 3.0 ``SendSms`` directly with
``requests`` and the documented TC3-HMAC-SHA256 signature, which keeps the vendor SDK out
of the dependencies and lets the endpoint point at the local stand-in.

The alarm template registered with Tencent takes four variables, built by
``alarm_params(message)``, e.g. ``{1}：{2}，数值{3}，时间{4}，请及时处理。``
(title, site + location, value, time); each variable is kept to 20 characters.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import datetime, timezone
from urllib.parse import urlparse

import requests

from backend.notify.base import (
    Delivery,
    Message,
    local_time,
    log_once,
    seconds_until_quota_reset,
    truncate,
)
from backend.settings import setting

log = logging.getLogger(__name__)

ACTION, VERSION, SERVICE = "SendSms", "2021-01-11", "sms"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNED_HEADERS = "content-type;host;x-tc-action"
# SendStatusSet[].Code values that mean "this number cannot get an SMS for a while".
LIMIT_WAITS = {"LimitExceeded.PhoneNumberThirtySecondLimit": ("retry", 30.0),
               "LimitExceeded.DeliveryFrequencyLimit": ("retry", 60.0),
               "LimitExceeded.PhoneNumberOneHourLimit": ("fallback", 3600.0)}
RETRY_ERRORS = ("InternalError", "RequestLimitExceeded", "ResourceUnavailable",
                "ServiceUnavailable", "FailedOperation.ServiceSuspend")


class SmsProvider:
    """One SMS vendor. ``send`` never raises for provider or network trouble."""
    name = "sms"

    def send(self, phone: str, params: list[str]) -> Delivery:  # pragma: no cover - interface
        raise NotImplementedError


def normalize_phone(phone: str) -> str:
    """E.164: mainland numbers (11 digits) get +86; others must already carry their +code."""
    digits = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    if digits.startswith("+"):
        return digits
    if digits.startswith("86") and len(digits) == 13:
        return "+" + digits
    return "+86" + digits


def alarm_params(message: Message) -> list[str]:
    """The four variables of the alarm SMS template, each at most 20 characters."""
    where = f"{message.site} {message.location}".strip()
    return [truncate(message.title, 20), truncate(where, 20), truncate(message.value, 20),
            truncate(local_time(message.occurred_at, "%m-%d %H:%M:%S"), 20)]


def tc3_authorization(secret_id: str, secret_key: str, *, host: str, payload: bytes,
                      timestamp: int, action: str = ACTION, service: str = SERVICE,
                      content_type: str = CONTENT_TYPE) -> str:
    """The ``Authorization`` header of Tencent Cloud API 3.0 (TC3-HMAC-SHA256).

    Canonical request (POST, URI "/", empty query, headers content-type/host/x-tc-action
    lower-cased, SHA-256 of the body), string to sign with the credential scope
    ``<UTC date>/<service>/tc3_request``, and a key derived by HMAC chaining from
    ``"TC3" + SecretKey``. The stand-in verifies with the same function.
    """
    date = datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d")
    headers = f"content-type:{content_type.lower()}\nhost:{host.lower()}\n" \
              f"x-tc-action:{action.lower()}\n"
    canonical = "\n".join(["POST", "/", "", headers, SIGNED_HEADERS,
                           hashlib.sha256(payload).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])

    def _hmac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
            f"SignedHeaders={SIGNED_HEADERS}, Signature={signature}")


class TencentSms(SmsProvider):
    """Tencent Cloud SMS ``SendSms`` (API 3.0, version 2021-01-11), one number per call."""
    name = "sms_tencent"

    def __init__(self, *, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str,
                 template_id: str, region: str = "ap-guangzhou",
                 endpoint: str = "https://sms.tencentcloudapi.com/", timeout: float = 10.0,
                 session: requests.Session | None = None) -> None:
        self.secret_id, self.secret_key = secret_id, secret_key
        self.sdk_app_id, self.sign_name, self.template_id = sdk_app_id, sign_name, template_id
        self.region, self.endpoint, self.timeout = region, endpoint, timeout
        self.host = urlparse(endpoint).netloc
        self.http = session or requests.Session()

    def send(self, phone: str, params: list[str]) -> Delivery:
        body = {"PhoneNumberSet": [normalize_phone(phone)], "SmsSdkAppId": self.sdk_app_id,
                "SignName": self.sign_name, "TemplateId": self.template_id,
                "TemplateParamSet": [str(p) for p in params]}
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(time.time())
        headers = {
            "Authorization": tc3_authorization(self.secret_id, self.secret_key, host=self.host,
                                               payload=payload, timestamp=timestamp),
            "Content-Type": CONTENT_TYPE, "Host": self.host, "X-TC-Action": ACTION,
            "X-TC-Version": VERSION, "X-TC-Region": self.region,
            "X-TC-Timestamp": str(timestamp),
        }
        try:
            rsp = self.http.post(self.endpoint, data=payload, headers=headers,
                                 timeout=self.timeout)
        except requests.RequestException as exc:
            return Delivery("retry", f"network error: {type(exc).__name__}", code="network")
        if rsp.status_code >= 500 or rsp.status_code == 429:
            return Delivery("retry", f"HTTP {rsp.status_code} from Tencent Cloud",
                            code=f"http_{rsp.status_code}")
        try:
            result = rsp.json()["Response"]
        except (ValueError, KeyError, TypeError):
            return Delivery("retry", f"unreadable answer (HTTP {rsp.status_code})",
                            code=f"http_{rsp.status_code}")
        return classify(result)


def classify(response: dict) -> Delivery:
    """Map a SendSms ``Response`` (one number) to a Delivery.

    The same codes can come as ``Response.Error`` (whole request refused: AuthFailure,
    InternalError, LimitExceeded...) or as ``SendStatusSet[0].Code`` (this number).
    """
    ref = response.get("RequestId")
    error = response.get("Error")
    if error:
        code, text = error.get("Code", "Unknown"), error.get("Message", "")
    else:
        statuses = response.get("SendStatusSet") or []
        if not statuses:
            return Delivery("retry", "no SendStatusSet in the answer", provider_ref=ref,
                            code="sms_NoStatus")
        code, text = statuses[0].get("Code", ""), statuses[0].get("Message", "")
        if code == "Ok":
            return Delivery("sent", "ok", provider_ref=statuses[0].get("SerialNo") or ref)
    detail, tag = f"{code}: {text}"[:200], f"sms_{code}"
    if code in LIMIT_WAITS:
        outcome, wait = LIMIT_WAITS[code]
        return Delivery(outcome, detail, provider_ref=ref, retry_after=wait, code=tag)
    if code.startswith("LimitExceeded"):   # daily limits (per number, per app)
        return Delivery("fallback", detail, provider_ref=ref,
                        retry_after=seconds_until_quota_reset(), code=tag)
    if code.startswith(RETRY_ERRORS):
        return Delivery("retry", detail, provider_ref=ref, retry_after=5.0, code=tag)
    # AuthFailure.*, FailedOperation.*, InvalidParameter*, MissingParameter, Unauthorized*
    return Delivery("failed", detail, provider_ref=ref, code=tag)


def sms_provider() -> SmsProvider | None:
    """The configured provider (app context settings), or None when SMS is off."""
    name = setting("sms_provider")
    if name == "none":
        return None
    required = ("sms_secret_id", "sms_secret_key", "sms_sdk_app_id", "sms_sign_name",
                "sms_template_id")
    missing = [n for n in required if not setting(n)]
    if name != "tencent" or missing:
        log_once(log, logging.WARNING, f"SMS channel off: provider {name!r}, missing "
                 + (", ".join(f"GW_{n.upper()}" for n in missing) or "-"))
        return None
    return TencentSms(secret_id=setting("sms_secret_id"), secret_key=setting("sms_secret_key"),
                      sdk_app_id=setting("sms_sdk_app_id"), sign_name=setting("sms_sign_name"),
                      template_id=setting("sms_template_id"), region=setting("sms_region"),
                      endpoint=setting("sms_endpoint"))
