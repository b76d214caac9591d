"""A small facility for alarm tests, and helpers to feed it values as the poll job does.

Site A: board AA1 -> C1 (incomer breaker d1) -> C2 (d2); board AL1 fed by C2 -> C3 (d3);
C4 (d4) apart; an environment sensor e1. d1..d3 and e1 sit behind gateway G1, d4 behind
G2. Staff s1 and manager m1 of site A have WeChat openids; site B is someone else's.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from backend.alarms import context as alarm_context
from backend.alarms import evaluate as alarm_eval
from backend.alarms.evaluate import evaluate
from backend.extensions import db
from backend.models import Board, Circuit, Device, Gateway, NotifyProfile, Role
from backend.telemetry.ingest import ingest
from backend.telemetry.status import record_poll_results
from tests.factories import auth, make_site, make_user

T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=30)
NORMAL = {"voltage_a": 230.0, "voltage_b": 231.0, "voltage_c": 229.0, "current_a": 20.0,
          "current_b": 21.0, "current_c": 19.0, "temperature": 35.0, "leakage_current": 3.0,
          "frequency": 50.0, "active_power": 13.0, "switch_state": "closed",
          "trip_cause": "none", "mode": "auto"}
ENV_NORMAL = {"temperature": 24.0, "humidity": 55.0, "water_leak": False}


def build() -> dict:
    a, b = make_site("A", "甲所"), make_site("B", "乙所")
    w = {"site": a.id, "site_b": b.id}

    def add(obj):
        db.session.add(obj)
        db.session.flush()
        return obj.id

    g1 = w["g1"] = add(Gateway(site_id=a.id, code="G1", name="网关1", host="127.0.0.1", port=1))
    g2 = w["g2"] = add(Gateway(site_id=a.id, code="G2", name="网关2", host="127.0.0.1", port=2))
    aa1 = w["aa1"] = add(Board(site_id=a.id, code="AA1", name="总柜", level=1))
    w["c1"] = add(Circuit(site_id=a.id, code="C1", name="进线", board_id=aa1))
    w["c2"] = add(Circuit(site_id=a.id, code="C2", name="照明干线", board_id=aa1,
                          parent_id=w["c1"]))
    al1 = w["al1"] = add(Board(site_id=a.id, code="AL1", name="照明箱", level=2,
                               feeder_circuit_id=w["c2"]))
    w["c3"] = add(Circuit(site_id=a.id, code="C3", name="走廊照明", board_id=al1,
                          category="lighting"))
    w["c4"] = add(Circuit(site_id=a.id, code="C4", name="备用", board_id=aa1))
    for code, circuit, gw, unit, rated in (("d1", "c1", g1, 1, 250), ("d2", "c2", g1, 2, 63),
                                           ("d3", "c3", g1, 3, 63), ("d4", "c4", g2, 1, 63)):
        w[code] = add(Device(site_id=a.id, code=code.upper(), name=f"断路器{code}",
                             kind="breaker", circuit_id=w[circuit], gateway_id=gw,
                             unit_id=unit, profile="gw-breaker", poles="3P+N",
                             rated_current=rated, rated_power=round(rated * 0.69, 1),
                             rated_residual_current=30))
    w["e1"] = add(Device(site_id=a.id, code="E1", name="配电房环境", kind="env_sensor",
                         gateway_id=g1, unit_id=10, profile="gw-env", circuit_id=w["c4"]))
    db.session.commit()
    s1 = make_user("s1", Role.staff, [a])
    m1 = make_user("m1", Role.manager, [a])
    ad = make_user("ad", Role.admin, [a])
    sb = make_user("sb", Role.staff, [b])
    for user, openid in ((s1, "oa-s1"), (m1, "oa-m1"), (ad, "oa-ad")):
        db.session.add(NotifyProfile(user_id=user.id, channels=["wechat_template", "sms"],
                                     oa_openid=openid))
        user.phone = f"1380000000{user.id % 10}"
    db.session.commit()
    w.update(s1=s1.id, m1=m1.id, ad=ad.id, h_s1=auth(s1), h_m1=auth(m1), h_ad=auth(ad),
             h_sb=auth(sb))
    alarm_context.forget()
    alarm_eval.forget()
    return w


def feed(at: datetime, values_by_device: dict, failed=()) -> list:
    """Store one poll's values and evaluate, as the poll job does (ok outcomes for the
    devices with values, failures for ``failed``)."""
    batch = [(d, at, v) for d, v in values_by_device.items()]
    if batch:
        ingest(batch, now=at)
    outcomes = [(d, True, None) for d in values_by_device] + [(d, False, "timeout")
                                                              for d in failed]
    record_poll_results(outcomes, at=at)
    return evaluate(set(values_by_device), outcomes, now=at)


def breaker(**changes) -> dict:
    return {**NORMAL, **changes}


NOTIFY_CONFIG = {"WECHAT_APPID": "wx-test-oa", "WECHAT_SECRET": "standin-wechat-secret",
                 "WECHAT_TEMPLATE_ALARM": "TPL-ALARM", "WXA_APPID": "wx-test-mp",
                 "WXA_SECRET": "standin-wechat-secret", "WXA_SUBSCRIBE_TEMPLATE": "SUB-ALARM",
                 "SMS_PROVIDER": "tencent", "SMS_SECRET_ID": "standin-sms-id",
                 "SMS_SECRET_KEY": "standin-sms-key", "SMS_SDK_APP_ID": "1400000000",
                 "SMS_SIGN_NAME": "GridWarden", "SMS_TEMPLATE_ID": "100001"}


def point_notifications_at(app, base_url: str) -> list[str]:
    """Configure every channel against the stand-in at ``base_url``; returns the keys
    set (the caller removes them)."""
    config = {f"GW_{k}": v for k, v in NOTIFY_CONFIG.items()}
    config.update(GW_WECHAT_API_BASE_URL=base_url + "/", GW_SMS_ENDPOINT=base_url + "/")
    app.config.update(config)
    return list(config)
