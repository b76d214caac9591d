"""WeChat channels: the real wechatpy client against the stand-in, tokens in real Redis."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import redis as redis_lib
import requests

from backend.notify.base import Message
from backend.notify.wechat import (
    WeChatSubscribeChannel,
    WeChatTemplateChannel,
    parse_fields,
    subscribe_channel,
    template_channel,
)

SECRET = "wx-standin-secret"
WXA = "wxa0000000000000001"


@pytest.fixture(scope="module")
def standin_args():
    return dict(wechat_secret=SECRET)


@pytest.fixture
def prefix():
    """Token keys unique to the test: no flush of a Redis others may share."""
    return f"gw-test:{uuid.uuid4().hex}"


def control(standin, path, body):
    rsp = requests.post(standin.url + path, json=body, timeout=5)
    assert rsp.status_code == 201, rsp.text
    return rsp.json()


def stats(standin):
    return requests.get(standin.url + "/_standin/stats", timeout=5).json()


def template(raw_redis, standin, prefix, **kw):
    kw.setdefault("secret", SECRET)
    return WeChatTemplateChannel(raw_redis, appid="wx0000000000000001", template_id="TPL-ALARM",
                                 wxa_appid=WXA, api_base_url=standin.url + "/",
                                 prefix=prefix, timeout=5, **kw)


@pytest.fixture
def message():
    return Message(title="过压报警", level="alarm", site="一号楼配电房",
                   location="1号配电柜 / 3号回路 / 照明主断路器 QF3（三楼东侧走廊）",
                   value="280.1 V", occurred_at=datetime(2026, 11, 23, 6, 30, tzinfo=timezone.utc),
                   alarm_id=12, url_path="pages/alarm/detail?id=12",
                   web_url="https://gw.example/alarms/12")


def test_template_send_formats_fields(raw_redis, standin, prefix, message):
    delivery = template(raw_redis, standin, prefix).send("openid-1", message)
    assert delivery.outcome == "sent" and delivery.provider_ref
    [got] = requests.get(standin.url + "/_standin/messages?channel=wechat_template").json()
    body = got["payload"]
    assert got["recipient"] == "openid-1" and got["provider_ref"] == delivery.provider_ref
    assert body["template_id"] == "TPL-ALARM"
    assert body["miniprogram"] == {"appid": WXA, "pagepath": "pages/alarm/detail?id=12"}
    assert body["url"] == "https://gw.example/alarms/12"
    data = body["data"]
    assert set(data) == {"thing1", "thing2", "thing3", "character_string4", "time5"}
    assert "first" not in data and "remark" not in data and got["ignored"] == []
    assert all(len(v["value"]) <= 20 and set(v) == {"value"} for v in data.values())
    assert data["thing1"]["value"] == "过压报警"
    assert len(data["thing3"]["value"]) == 20 and data["thing3"]["value"].endswith("…")
    assert data["time5"]["value"] == "2026-11-23 14:30"          # China time
    assert data["character_string4"]["value"] == "280.1 V"
    page = requests.get(standin.url + "/", timeout=5).text      # what the demo audience sees
    assert "公众号模板消息" in page and "过压报警" in page and 'http-equiv="refresh"' in page
    later = requests.get(standin.url + f"/_standin/messages?since={got['received_at']}").json()
    assert later == []


def test_field_map_is_configurable(raw_redis, standin, prefix, message):
    channel = template(raw_redis, standin, prefix, fields="thing9=site_location,phrase2=state")
    assert channel.send("openid-1", message).outcome == "sent"
    [got] = requests.get(standin.url + "/_standin/messages").json()
    assert got["payload"]["data"]["phrase2"] == {"value": "未处理"}
    assert set(got["payload"]["data"]) == {"thing9", "phrase2"}
    with pytest.raises(Exception, match="SOURCE"):
        parse_fields("thing1=nonsense")


def test_token_fetched_once_and_shared(raw_redis, urls, standin, prefix, message):
    first = template(raw_redis, standin, prefix)
    other_process = template(redis_lib.Redis.from_url(urls["redis_url"], decode_responses=True),
                             standin, prefix)
    for channel in (first, other_process, first, other_process):
        assert channel.send("openid-1", message).outcome == "sent"
    assert stats(standin) == {"wechat_token": 1, "wechat_template": 4}
    key = f"{prefix}:wx0000000000000001_access_token"
    assert raw_redis.get(key).startswith('"ACCESS_TOKEN_')        # JSON text, decoded client
    assert 0 < raw_redis.ttl(key) <= 7200 - 300


@pytest.mark.parametrize("errcode", [40001, 42001, 40014])
def test_stale_token_refreshed_and_retried_once(raw_redis, standin, prefix, message, errcode):
    channel = template(raw_redis, standin, prefix)
    assert channel.send("openid-1", message).outcome == "sent"
    control(standin, "/_standin/faults", {"channel": "wechat_template", "errcode": errcode})
    delivery = channel.send("openid-1", message)
    assert delivery.outcome == "sent"
    assert stats(standin) == {"wechat_token": 2, "wechat_template": 3}


def test_expired_token_at_the_server_is_renewed(raw_redis, standin, prefix, message):
    channel = template(raw_redis, standin, prefix)
    assert channel.send("openid-1", message).outcome == "sent"
    requests.post(standin.url + "/_standin/wechat/expire-tokens", timeout=5)   # real 42001
    assert channel.send("openid-1", message).outcome == "sent"
    assert stats(standin)["wechat_token"] == 2


def test_token_error_twice_is_not_retried_again(raw_redis, standin, prefix, message):
    channel = template(raw_redis, standin, prefix)
    control(standin, "/_standin/faults", {"channel": "wechat_template", "errcode": 40001,
                                          "times": 5})
    delivery = channel.send("openid-1", message)
    assert (delivery.outcome, delivery.code) == ("retry", "wechat_40001")
    assert stats(standin) == {"wechat_token": 2, "wechat_template": 2}


def test_wechatpy_auto_retry_is_unbounded(raw_redis, standin, prefix, message):
    """Why auto_retry is off: wechatpy 1.8.18 refreshes and retries until it succeeds."""
    channel = template(raw_redis, standin, prefix)
    channel.client.auto_retry = True
    control(standin, "/_standin/faults", {"channel": "wechat_template", "errcode": 40001,
                                          "times": 3})
    channel.client.message.send_template("openid-1", "TPL-ALARM", {"thing1": {"value": "x"}})
    assert stats(standin)["wechat_template"] == 4


def test_refused_user_falls_back(raw_redis, standin, prefix, message):
    control(standin, "/_standin/faults", {"channel": "wechat_template", "errcode": 43101})
    delivery = template(raw_redis, standin, prefix).send("openid-1", message)
    assert (delivery.outcome, delivery.code) == ("fallback", "wechat_43101")
    assert "refused" in delivery.detail


def test_daily_quota_backs_off_and_falls_back(raw_redis, standin, prefix, message):
    channel = template(raw_redis, standin, prefix)
    control(standin, "/_standin/faults", {"channel": "wechat_template", "errcode": 45009})
    delivery = channel.send("openid-1", message)
    assert (delivery.outcome, delivery.code) == ("fallback", "wechat_45009")
    assert 0 < delivery.retry_after <= 86400
    again = channel.send("openid-2", message)            # backing off: WeChat not called
    assert again.outcome == "fallback" and again.retry_after > 0
    assert stats(standin)["wechat_template"] == 1


@pytest.mark.parametrize("fault, code", [({"errcode": -1}, "wechat_-1"),
                                         ({"http_status": 500}, "http_500")])
def test_transient_errors_retry(raw_redis, standin, prefix, message, fault, code):
    control(standin, "/_standin/faults", {"channel": "wechat_template", **fault})
    delivery = template(raw_redis, standin, prefix).send("openid-1", message)
    assert (delivery.outcome, delivery.code) == ("retry", code)


def test_network_error_retries(raw_redis, prefix, message):
    dead = SimpleNamespace(url="http://127.0.0.1:9")     # discard port: connection refused
    delivery = template(raw_redis, dead, prefix).send("openid-1", message)
    assert (delivery.outcome, delivery.code) == ("retry", "network")


def test_wrong_secret_fails(raw_redis, standin, prefix, message):
    delivery = template(raw_redis, standin, prefix, secret="wrong").send("openid-1", message)
    assert (delivery.outcome, delivery.code) == ("failed", "wechat_40125")


def test_subscribe_message_consumes_a_grant(raw_redis, standin, prefix, message):
    channel = WeChatSubscribeChannel(raw_redis, appid=WXA, secret=SECRET, template_id="SUB-1",
                                     api_base_url=standin.url, prefix=prefix, timeout=5)
    control(standin, "/_standin/grants", {"openid": "mini-1", "template_id": "SUB-1",
                                          "count": 1})
    assert channel.send("mini-1", message).outcome == "sent"
    [got] = requests.get(standin.url + "/_standin/messages?channel=wechat_subscribe").json()
    assert got["payload"]["page"] == "pages/alarm/detail?id=12"
    data = got["payload"]["data"]
    assert data["phrase5"]["value"] == "未处理" and len(data["thing2"]["value"]) == 20
    second = channel.send("mini-1", message)
    assert (second.outcome, second.code) == ("fallback", "wechat_43101")


def test_factories_follow_settings(settings_app, monkeypatch, raw_redis):
    app = settings_app
    assert template_channel(raw_redis) is None and subscribe_channel(raw_redis) is None
    for name, value in {"WECHAT_APPID": "wx1", "WECHAT_SECRET": "s",
                        "WECHAT_TEMPLATE_ALARM": "T", "WXA_APPID": WXA,
                        "WECHAT_API_BASE_URL": "http://127.0.0.1:1/"}.items():
        monkeypatch.setitem(app.config, f"GW_{name}", value)
    channel = template_channel(raw_redis)
    assert channel.wxa_appid == WXA and channel.client.API_BASE_URL.startswith(
        "http://127.0.0.1:1/cgi-bin/")
