"""Web Push channel: pywebpush encrypts and signs, the stand-in verifies and decrypts."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timezone

import pytest
import requests
from py_vapid import Vapid
from py_vapid.utils import b64urlencode

from backend.notify.base import Message
from backend.notify.webpush import (
    DEV_KEY_FILE,
    WebPushChannel,
    public_key_of,
    push_payload,
    vapid_public_key,
    webpush_channel,
)


@pytest.fixture(scope="module")
def vapid():
    key = Vapid()
    key.generate_keys()
    return key


@pytest.fixture
def channel(vapid):
    return WebPushChannel(vapid, subject="mailto:ops@gridwarden.local", timeout=5)


def subscribe(standin, **body):
    rsp = requests.post(standin.url + "/_standin/push/subscriptions", json=body, timeout=5)
    assert rsp.status_code == 201
    return rsp.json()


@pytest.fixture
def message():
    return Message(title="温度超限", level="alarm", site="一号楼", location="2号柜 B相接线端子",
                   value="95.2 ℃", occurred_at=datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc),
                   alarm_id=7, state="active", web_url="https://gw.example/alarms/7")


def test_push_is_decrypted_to_the_payload(standin, channel, message):
    sub = subscribe(standin)
    delivery = channel.send(sub, message)
    assert delivery.outcome == "sent" and "/message/" in delivery.provider_ref
    [got] = requests.get(standin.url + "/_standin/messages?channel=webpush", timeout=5).json()
    assert got["payload"] == json.loads(push_payload(message))
    assert got["payload"]["url"] == "https://gw.example/alarms/7"
    assert got["payload"]["title"] == "[报警] 温度超限"
    assert (got["urgency"], got["topic"], got["ttl"]) == ("high", "alarm-7", "43200")
    assert got["vapid_sub"] == "mailto:ops@gridwarden.local"


def test_plain_text_payload(standin, channel):
    assert channel.send(subscribe(standin), "你好").outcome == "sent"
    assert standin.state.list_messages("webpush")[0]["payload"] == "你好"


def test_gone_subscription_fails_http_410(standin, channel, message):
    sub = subscribe(standin)
    sub_id = sub["endpoint"].rsplit("/", 1)[1]
    requests.delete(f"{standin.url}/_standin/push/subscriptions/{sub_id}", timeout=5)
    delivery = channel.send(sub, message)
    assert (delivery.outcome, delivery.code) == ("failed", "http_410")


@pytest.mark.parametrize("fault, retry_after", [({"http_status": 429, "retry_after": 30}, 30.0),
                                                ({"http_status": 503}, None)])
def test_throttling_and_outages_retry(standin, channel, message, fault, retry_after):
    sub = subscribe(standin)
    requests.post(standin.url + "/_standin/faults", json={"channel": "webpush", **fault},
                  timeout=5)
    delivery = channel.send(sub, message)
    assert (delivery.outcome, delivery.retry_after) == ("retry", retry_after)
    assert delivery.code == f"http_{fault['http_status']}"
    assert channel.send(sub, message).outcome == "sent"          # fault used up


def test_other_vapid_key_is_refused(standin, channel, message):
    other = Vapid()
    other.generate_keys()
    sub = subscribe(standin, application_server_key=public_key_of(other))
    delivery = channel.send(sub, message)
    assert (delivery.outcome, delivery.code) == ("failed", "http_403")


def test_unreachable_push_service_retries(channel, message):
    sub = {"endpoint": "http://127.0.0.1:9/push/x",
           "keys": {"p256dh": public_key_of(Vapid.from_raw(b64urlencode(b"\x01" * 32).encode())),
                    "auth": b64urlencode(b"0" * 16)}}
    assert (channel.send(sub, message).code) == "network"


def test_malformed_subscription_fails(standin, channel, message):
    sub = subscribe(standin)
    sub["keys"]["p256dh"] = "bm90LWEta2V5"
    assert channel.send(sub, message).code == "bad_subscription"


def test_dev_key_generated_once_and_kept(settings_app, settings):
    key = vapid_public_key()
    assert key == vapid_public_key()
    assert (settings.data_dir / DEV_KEY_FILE).exists()
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65 and raw[0] == 4          # uncompressed P-256 point
    assert webpush_channel().public_key == key


def test_configured_key_and_production_without_key(settings_app, monkeypatch, vapid, caplog):
    app = settings_app
    raw = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    monkeypatch.setitem(app.config, "GW_VAPID_PRIVATE_KEY", b64urlencode(raw))
    assert vapid_public_key() == public_key_of(vapid)
    monkeypatch.setitem(app.config, "GW_VAPID_PRIVATE_KEY", vapid.private_pem().decode())
    assert vapid_public_key() == public_key_of(vapid)
    monkeypatch.setitem(app.config, "GW_VAPID_PRIVATE_KEY", "")
    monkeypatch.setitem(app.config, "GW_ENV", "production")
    assert vapid_public_key() is None and webpush_channel() is None
    assert "Web Push channel off" in caplog.text
