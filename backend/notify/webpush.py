"""Web Push channel (PWA): VAPID-signed, aes128gcm-encrypted pushes through pywebpush.

Why these choices:
- The push service (FCM, Mozilla, Apple...) is whatever the browser picked; the
  subscription ``{endpoint, keys: {p256dh, auth}}`` is all we need. 404/410 mean the
  subscription is gone for good: ``Delivery("failed", code="http_410")`` and the caller
  deletes it. 429/5xx are transient and honour ``Retry-After``.
- Alarms use ``Urgency: high`` (warnings ``normal``), a 12 h TTL (an alarm older than
  that is better read in the app) and ``Topic: alarm-<id>`` so a newer state of the same
  alarm replaces an undelivered older one on the push service.
- The VAPID key pair identifies this server to push services. Development and test
  generate one on first use and keep it in the data dir (like ``_dev_secret`` in
  backend/config.py) so browser subscriptions survive restarts; production must
  configure ``GW_VAPID_PRIVATE_KEY``, and without it the channel is off (logged), never
  a crash. ``vapid_public_key()`` is the PWA's ``applicationServerKey``.

Payload (JSON, read by the PWA service worker): ``{"title", "body", "url", "tag",
"alarm_id", "level", "state", "occurred_at"}``.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid
from py_vapid.utils import b64urlencode
from pywebpush import WebPushException, webpush

from backend.notify.base import LEVEL_LABELS, STATE_LABELS, Delivery, Message, local_time, log_once
from backend.settings import setting

log = logging.getLogger(__name__)

DEV_KEY_FILE = "vapid-private.pem"
GONE = (404, 410)


def load_vapid(private_key: str) -> Vapid:
    """A Vapid from PEM, base64url DER or base64url raw (32-byte) private key text."""
    text = private_key.strip()
    if "-----BEGIN" in text:
        return Vapid.from_pem(text.encode())
    return Vapid.from_string(text)


def public_key_of(vapid: Vapid) -> str:
    """base64url (unpadded) uncompressed P-256 point: the browser's applicationServerKey."""
    raw = vapid.public_key.public_bytes(serialization.Encoding.X962,
                                        serialization.PublicFormat.UncompressedPoint)
    return b64urlencode(raw)


def dev_vapid(data_dir: Path) -> Vapid:
    """The development/test key pair, generated once and kept in ``data_dir``."""
    path = Path(data_dir) / DEV_KEY_FILE
    if path.exists():
        return load_vapid(path.read_text())
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    vapid = Vapid()
    vapid.generate_keys()
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(vapid.private_pem())
    tmp.chmod(0o600)
    tmp.replace(path)   # atomic: two processes starting together keep one key
    log.info("generated a development VAPID key pair in %s", path)
    return load_vapid(path.read_text())


def configured_vapid() -> Vapid | None:
    """The VAPID key from the settings (app context); generated in development/test."""
    key = setting("vapid_private_key")
    if key:
        vapid = load_vapid(key)
        declared = setting("vapid_public_key")
        if declared and declared.rstrip("=") != public_key_of(vapid):
            log.error("GW_VAPID_PUBLIC_KEY does not match GW_VAPID_PRIVATE_KEY; using the "
                      "public key derived from the private key")
        return vapid
    if setting("env") == "production":
        log_once(log, logging.ERROR,
                 "Web Push channel off: GW_VAPID_PRIVATE_KEY is not set in production "
                 "(generate a pair with `vapid --gen` from py-vapid and set "
                 "GW_VAPID_PRIVATE_KEY / GW_VAPID_PUBLIC_KEY)")
        return None
    return dev_vapid(setting("data_dir"))


def vapid_public_key() -> str | None:
    """applicationServerKey for the PWA's ``pushManager.subscribe``; None when off."""
    vapid = configured_vapid()
    return public_key_of(vapid) if vapid else None


def push_payload(message: Message) -> str:
    label = LEVEL_LABELS.get(message.level, message.level)
    state = STATE_LABELS.get(message.state, message.state)
    body = f"{message.site} {message.location}：{message.value}（{state}）" \
           f" {local_time(message.occurred_at, '%m-%d %H:%M:%S')}"
    return json.dumps({
        "title": f"[{label}] {message.title}", "body": body.strip(), "url": message.web_url,
        "tag": f"{message.kind}-{message.alarm_id}", "alarm_id": message.alarm_id,
        "kind": message.kind,
        "level": message.level, "state": message.state,
        "occurred_at": message.occurred_at.isoformat(),
    }, ensure_ascii=False)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(timezone.utc)).total_seconds(), 0.0)


class WebPushChannel:
    """``send(subscription, message)``; subscription is the browser's PushSubscription JSON."""
    name = "webpush"

    def __init__(self, vapid: Vapid | str, *, subject: str, ttl: int = 12 * 3600,
                 timeout: float = 10.0, session: requests.Session | None = None) -> None:
        self.vapid = load_vapid(vapid) if isinstance(vapid, str) else vapid
        self.subject, self.ttl, self.timeout = subject, ttl, timeout
        self.http = session or requests.Session()

    @property
    def public_key(self) -> str:
        return public_key_of(self.vapid)

    def send(self, subscription: dict, message: Message | str) -> Delivery:
        data = message if isinstance(message, str) else push_payload(message)
        urgency = "high" if getattr(message, "level", "alarm") == "alarm" else "normal"
        headers = {"Urgency": urgency}
        if isinstance(message, Message):
            headers["Topic"] = f"{message.kind}-{message.alarm_id}"
        try:
            rsp = webpush(subscription, data, vapid_private_key=self.vapid,
                          vapid_claims={"sub": self.subject}, ttl=self.ttl,
                          timeout=self.timeout, headers=headers,
                          requests_session=self.http)
        except WebPushException as exc:
            return self._classify(exc)
        except requests.RequestException as exc:
            return Delivery("retry", f"network error: {type(exc).__name__}", code="network")
        except (ValueError, TypeError, KeyError) as exc:
            # Malformed keys/endpoint in the stored subscription: it can never work.
            return Delivery("failed", f"invalid subscription: {exc}"[:200],
                            code="bad_subscription")
        return Delivery("sent", f"HTTP {rsp.status_code}",
                        provider_ref=rsp.headers.get("Location"))

    @staticmethod
    def _classify(exc: WebPushException) -> Delivery:
        status = exc.status_code
        if status is None:   # raised before sending: malformed subscription keys/endpoint
            return Delivery("failed", f"invalid subscription: {exc.message}"[:200],
                            code="bad_subscription")
        code = f"http_{status}"
        if status in GONE:
            return Delivery("failed", f"HTTP {status}: subscription expired or unsubscribed",
                            code=code)
        if status == 429 or status >= 500:
            return Delivery("retry", f"HTTP {status} from the push service",
                            retry_after=_retry_after(exc.retry_after), code=code)
        # 400 bad request, 403 VAPID key mismatch, 413 payload too large: permanent.
        return Delivery("failed", f"HTTP {status} from the push service", code=code)


def webpush_channel() -> WebPushChannel | None:
    """The configured channel (app context settings), or None when no key is available."""
    vapid = configured_vapid()
    return WebPushChannel(vapid, subject=setting("vapid_subject")) if vapid else None
