"""What a stand-in server remembers: received messages, injected faults, grants, counters.

One ``State`` per server, shared by its request threads under one lock. Everything is in
memory: a stand-in is for demos, tests and benchmarks, and restarts empty.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

CHANNELS = ("wechat_token", "wechat_template", "wechat_subscribe", "wechat_session", "sms",
            "webpush")


@dataclass
class StandinConfig:
    """Credentials the stand-in accepts (the clients must be configured the same way)."""
    wechat_secret: str = "standin-wechat-secret"     # accepted for any appid ...
    wechat_apps: dict = field(default_factory=dict)  # ... unless appid -> secret given
    token_ttl: int = 7200
    sms_secret_id: str = "standin-sms-id"
    sms_secret_key: str = "standin-sms-key"
    keep_messages: int = 10_000


class State:
    def __init__(self, config: StandinConfig) -> None:
        self.config = config
        self.lock = threading.Lock()
        self.messages: list[dict] = []
        self.faults: dict[str, list[dict]] = {}
        self.grants: Counter = Counter()              # (openid, template_id) -> count
        self.tokens: dict[str, dict] = {}             # token -> {appid, expires_at}
        self.subscriptions: dict[str, dict] = {}      # push id -> keys
        self.stats: Counter = Counter()               # requests per endpoint
        self.login_codes: dict[str, dict] = {}        # wx.login code -> {appid, openid, ...}
        self.followers: dict[str, dict] = {}          # official-account openid -> user info
        self._seq = 0

    def next_id(self) -> int:
        with self.lock:
            self._seq += 1
            return self._seq

    def count(self, name: str) -> None:
        with self.lock:
            self.stats[name] += 1

    def record(self, channel: str, recipient: str, payload, ref: str | None = None,
               **extra) -> dict:
        now = time.time()
        entry = {"id": self.next_id(), "channel": channel, "recipient": recipient,
                 "payload": payload, "provider_ref": ref, "received_at": now,
                 "received_at_iso": datetime.fromtimestamp(now, timezone.utc).isoformat(),
                 **extra}
        with self.lock:
            self.messages.append(entry)
            del self.messages[: max(len(self.messages) - self.config.keep_messages, 0)]
        return entry

    def list_messages(self, channel: str | None = None, since: float | None = None) -> list:
        with self.lock:
            return [m for m in self.messages
                    if (not channel or m["channel"] == channel)
                    and (since is None or m["received_at"] > since)]

    def add_fault(self, fault: dict) -> dict:
        channel = fault.get("channel")
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)}")
        if not any(k in fault for k in ("errcode", "http_status", "code")):
            raise ValueError("give errcode (WeChat), code (SMS) or http_status")
        entry = {**fault, "times": int(fault.get("times", 1))}
        with self.lock:
            self.faults.setdefault(channel, []).append(entry)
        return entry

    def take_fault(self, channel: str) -> dict | None:
        """The next injected fault of ``channel`` (consumes one of its ``times``)."""
        with self.lock:
            queue = self.faults.get(channel) or []
            while queue and queue[0]["times"] <= 0:
                queue.pop(0)
            if not queue:
                return None
            queue[0]["times"] -= 1
            return dict(queue[0])

    def add_grant(self, openid: str, template_id: str, count: int = 1) -> int:
        with self.lock:
            self.grants[(openid, template_id)] += count
            return self.grants[(openid, template_id)]

    def use_grant(self, openid: str, template_id: str) -> bool:
        with self.lock:
            if self.grants[(openid, template_id)] <= 0:
                return False
            self.grants[(openid, template_id)] -= 1
            return True

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()
            self.faults.clear()
            self.grants.clear()
            self.tokens.clear()
            self.stats.clear()
            self.login_codes.clear()
            self.followers.clear()
