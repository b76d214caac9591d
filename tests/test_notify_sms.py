"""SMS channel: the TC3-signed Tencent SendSms call against the stand-in's verifier."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import requests

from backend.notify.base import Message
from backend.notify.sms import TencentSms, alarm_params, classify, normalize_phone, sms_provider

SECRET_ID, SECRET_KEY = "AKIDstandin0001", "sms-standin-key"


@pytest.fixture(scope="module")
def standin_args():
    return dict(sms_secret_id=SECRET_ID, sms_secret_key=SECRET_KEY)


def provider(standin, **kw):
    args = dict(secret_id=SECRET_ID, secret_key=SECRET_KEY, sdk_app_id="1400000001",
                sign_name="栅卫科技", template_id="2000001", endpoint=standin.url + "/",
                timeout=5)
    return TencentSms(**{**args, **kw})


def fault(standin, **body):
    rsp = requests.post(standin.url + "/_standin/faults", json={"channel": "sms", **body},
                        timeout=5)
    assert rsp.status_code == 201, rsp.text


def test_signed_request_is_accepted_and_recorded(standin):
    delivery = provider(standin).send("138 0013 8000", ["过压报警", "一号楼 1号柜", "280.1 V",
                                                        "11-23 14:30:00"])
    assert delivery.outcome == "sent" and delivery.provider_ref.startswith("2433:")
    [got] = requests.get(standin.url + "/_standin/messages?channel=sms", timeout=5).json()
    assert got["recipient"] == "+8613800138000"
    assert got["payload"] == {"sign_name": "栅卫科技", "template_id": "2000001",
                              "sdk_app_id": "1400000001",
                              "params": ["过压报警", "一号楼 1号柜", "280.1 V",
                                         "11-23 14:30:00"]}


@pytest.mark.parametrize("kw, code", [
    ({"secret_key": "not-the-key"}, "sms_AuthFailure.SignatureFailure"),
    ({"secret_id": "AKIDother"}, "sms_AuthFailure.SecretIdNotFound"),
])
def test_bad_credentials_fail(standin, kw, code):
    delivery = provider(standin, **kw).send("13800138000", ["x"])
    assert (delivery.outcome, delivery.code) == ("failed", code)
    assert standin.state.list_messages() == []


def test_tampered_body_fails_signature(standin):
    sms = provider(standin)
    real_post = sms.http.post

    def tamper(url, data, **kw):
        return real_post(url, data=data.replace(b"13800138000", b"13900139000"), **kw)

    sms.http.post = tamper
    assert sms.send("13800138000", ["x"]).code == "sms_AuthFailure.SignatureFailure"


@pytest.mark.parametrize("injected, outcome, retry_after", [
    ({"code": "LimitExceeded.PhoneNumberDailyLimit"}, "fallback", "until midnight"),
    ({"code": "LimitExceeded.PhoneNumberThirtySecondLimit"}, "retry", 30.0),
    ({"code": "FailedOperation.TemplateIncorrectOrUnapproved"}, "failed", None),
    ({"code": "InternalError.Timeout"}, "retry", 5.0),
    ({"code": "AuthFailure.SecretIdNotFound"}, "failed", None),
    ({"http_status": 500}, "retry", None),
])
def test_provider_answers_are_classified(standin, injected, outcome, retry_after):
    fault(standin, **injected)
    delivery = provider(standin).send("13800138000", ["x"])
    assert delivery.outcome == outcome, delivery
    if retry_after == "until midnight":
        assert 0 < delivery.retry_after <= 86400
    else:
        assert delivery.retry_after == retry_after
    if "code" in injected:
        assert delivery.code == "sms_" + injected["code"]


def test_incorrect_number_fails(standin):
    delivery = provider(standin).send("12345", ["x"])
    assert (delivery.outcome, delivery.code) == (
        "failed", "sms_InvalidParameterValue.IncorrectPhoneNumber")


def test_network_error_retries():
    delivery = provider(SimpleNamespace(url="http://127.0.0.1:9")).send("13800138000", ["x"])
    assert (delivery.outcome, delivery.code) == ("retry", "network")


def test_classify_error_shapes():
    assert classify({"Error": {"Code": "RequestLimitExceeded", "Message": "m"},
                     "RequestId": "r"}).outcome == "retry"
    assert classify({"SendStatusSet": [], "RequestId": "r"}).outcome == "retry"


def test_phone_and_params_formatting():
    assert normalize_phone("13800138000") == "+8613800138000"
    assert normalize_phone("+86 138-0013-8000") == "+8613800138000"
    assert normalize_phone("8613800138000") == "+8613800138000"
    assert normalize_phone("+85291234567") == "+85291234567"
    params = alarm_params(Message(
        title="漏电报警", level="alarm", site="二号楼", location="地下一层水泵房 2号配电箱 剩余电流",
        value="45 mA", occurred_at=datetime(2026, 1, 2, 0, 5, tzinfo=timezone.utc), alarm_id=3))
    assert params[0] == "漏电报警" and params[2] == "45 mA" and params[3] == "01-02 08:05:00"
    assert len(params[1]) == 20 and params[1].endswith("…")


def test_provider_factory_follows_settings(settings_app, monkeypatch):
    app = settings_app
    assert sms_provider() is None                       # nothing configured: off
    for name, value in {"SMS_SECRET_ID": "id", "SMS_SECRET_KEY": "k",
                        "SMS_SDK_APP_ID": "1400", "SMS_SIGN_NAME": "s",
                        "SMS_TEMPLATE_ID": "1", "SMS_ENDPOINT": "http://127.0.0.1:1/"}.items():
        monkeypatch.setitem(app.config, f"GW_{name}", value)
    sms = sms_provider()
    assert isinstance(sms, TencentSms) and sms.host == "127.0.0.1:1"
    assert sms.region == "ap-guangzhou"
    monkeypatch.setitem(app.config, "GW_SMS_PROVIDER", "none")
    assert sms_provider() is None
