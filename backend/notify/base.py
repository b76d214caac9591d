"""What every channel takes (``Message``) and returns (``Delivery``).

Channels are transport only: they format a ``Message`` for their provider, make one
attempt (WeChat: plus one token refresh) and classify the answer. Deciding what to do
next (retry later, try the next channel, drop a dead subscription) is the outbox's job,
so the classification is the contract:

- ``sent``: the provider accepted it (``provider_ref``: msgid / SerialNo / push Location).
- ``retry``: transient (network, 5xx, provider busy): try this channel again later,
  after ``retry_after`` seconds when the provider said so.
- ``fallback``: this channel cannot reach this person now (no grant, quota spent, not
  following the account): try the next channel; ``retry_after`` says when this one
  may work again (quota reset).
- ``failed``: permanent for this recipient/configuration; do not retry. ``code``
  ``http_404``/``http_410`` from Web Push means the subscription is gone: delete it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

OUTCOMES = ("sent", "retry", "fallback", "failed")
# Provider quotas (WeChat 45009, SMS daily limits) reset at midnight China time.
CHINA_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Delivery:
    outcome: str                       # "sent" | "retry" | "fallback" | "failed"
    detail: str                        # short English text for logs and the outbox row
    provider_ref: str | None = None    # msgid / SerialNo / push Location
    retry_after: float | None = None   # seconds (retry, or fallback caused by a quota)
    code: str | None = None            # machine code: "wechat_43101", "http_410", ...

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown delivery outcome {self.outcome!r}")

    @property
    def ok(self) -> bool:
        return self.outcome == "sent"


@dataclass
class Message:
    """One notification, channel-neutral; each channel formats it its own way. Most are
    alarms; ``kind`` "command" is a switching command awaiting the recipient's approval
    (``alarm_id`` then holds the command's id)."""
    title: str                # "过压报警"
    level: str                # "warning" | "alarm"
    site: str
    location: str             # board / circuit / device name
    value: str                # "280.1 V"
    occurred_at: datetime     # aware (shown in China time) or naive (shown as is)
    alarm_id: int
    state: str = "active"     # "active" | "cleared" | ...
    url_path: str = ""        # mini-program page, "pages/alarm/detail?id=12"
    web_url: str = ""         # PWA URL of the same alarm
    kind: str = "alarm"       # "alarm" | "command"


LEVEL_LABELS = {"warning": "预警", "alarm": "报警"}
STATE_LABELS = {"active": "未处理", "acknowledged": "已确认", "cleared": "已恢复",
                "closed": "已关闭", "awaiting_approval": "待审批"}


def truncate(text, limit: int) -> str:
    """At most ``limit`` characters (code points, as WeChat counts), ending in "…" if cut.

    Cutting by code point never splits a character; surrogate-free Python strings
    make this safe for Chinese and emoji alike.
    """
    text = "" if text is None else str(text)
    text = " ".join(text.split())          # newlines/tabs are rejected by template fields
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…" if limit > 0 else ""


def local_time(moment: datetime, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """Aware datetimes in China time (what the recipient reads); naive ones unchanged."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TZ)
    return moment.strftime(fmt)


def seconds_until_quota_reset(now: datetime | None = None) -> float:
    """Seconds until the next 00:00 China time, when daily provider quotas reset."""
    now = (now or datetime.now(timezone.utc)).astimezone(CHINA_TZ)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max((midnight - now).total_seconds(), 1.0)


_LOGGED: set[str] = set()


def log_once(logger: logging.Logger, level: int, text: str) -> None:
    """Log why a channel is off once per process, not on every message."""
    if text not in _LOGGED:
        _LOGGED.add(text)
        logger.log(level, text)
