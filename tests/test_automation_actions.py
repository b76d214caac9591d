"""Automation's actions (backend/automation/actions.py): checked against the site when
saved, run as commands through the control lifecycle with their origin, once per run key,
each in its own savepoint."""
from __future__ import annotations

import pytest

from backend.accounts.security import Actor
from backend.automation import actions
from backend.errors import ValidationFailed
from backend.extensions import db
from backend.models import Command, Site
from tests.control_world import runner, settled, world  # noqa: F401  (fixtures)
from tests.test_poller import run_poll, sim, sim_api, site  # noqa: F401


def _run(world, key, acts):  # noqa: F811
    return actions.run_all(actions.Run(Actor.system("automation"), world["site"], key,
                                       "联动测试", ("rule", 7)), acts)


def test_check_names_the_field_of_the_action_that_can_never_run(app, world):  # noqa: F811
    ids = world["ids"]
    with app.app_context():
        other = Site(code="S2", name="另一监所")
        db.session.add(other)
        db.session.flush()
        cases = [
            ([{"kind": "nope"}], "actions.0.kind", "unknown_action_kind"),
            ([{"kind": "command", "device_id": ids["QF-AL1-WL1"], "action": "open"},
              {"kind": "command", "device_id": ids["QF-AL1-WL1"], "action": "dim",
               "value": 50}], "actions.1.action", "action_not_supported"),
            ([{"kind": "command", "device_id": 999999, "action": "open"}],
             "actions.0.device_id", "action_device_not_found"),
            ([{"kind": "settings", "device_id": ids["QF-AL1-WL1"],
               "values": {"no_such_setting": 1}}],
             "actions.0.values.no_such_setting", "invalid_setting"),
        ]
        for acts, path, code in cases:
            with pytest.raises(ValidationFailed) as exc:
                actions.check(world["site"], acts)
            assert exc.value.error == code and path in exc.value.errors, (path, exc.value.errors)
        # a device of this site is not one of another site's
        with pytest.raises(ValidationFailed) as exc:
            actions.check(other.id, [{"kind": "command", "device_id": ids["QF-AL1-WL1"],
                                      "action": "open"}])
        assert exc.value.error == "action_device_not_found"
        notes = actions.check(world["site"], [
            {"kind": "command", "device_id": ids["QF-AL1-WL1"], "action": "open"},
            {"kind": "command", "device_id": ids["QF-AA1-WL5"], "action": "close"}])
        assert [(n["path"], n["code"]) for n in notes] == [("actions.1", "action_needs_approval")]
        assert "QF-AA1-WL5" in notes[0]["message_zh"]
        db.session.rollback()


def test_run_makes_each_command_once_with_its_origin_and_a_refusal_stops_nothing(
        app, client, world, sim):  # noqa: F811
    ids = world["ids"]
    acts = [{"kind": "command", "device_id": ids["QF-AL1-WL2"], "action": "open"},
            {"kind": "command", "device_id": ids["QF-AL1-WL2"], "action": "close"},
            {"kind": "command", "device_id": ids["QF-AA1-WL5"], "action": "open"}]
    with app.app_context():
        results = _run(world, "rule:7:fire:1", acts)
        db.session.commit()
    assert [r["state"] for r in results] == ["queued", "refused", "awaiting_approval"]
    assert results[1]["error"] == "command_in_progress" and results[1]["message_zh"]
    first = results[0]["command_id"]
    assert settled(client, world, first)["state"] == "confirmed"
    with app.app_context():
        cmd = db.session.get(Command, first)
        assert (cmd.origin_kind, cmd.origin_id, cmd.requested_by) == ("rule", 7, None)
        assert cmd.requested_by_name == "automation" and cmd.reason == "联动测试"
        # the same run key again: the same commands, never a second write
        again = _run(world, "rule:7:fire:1", acts[:1])
        db.session.commit()
        assert again[0]["command_id"] == first
        assert db.session.query(Command).filter_by(origin_kind="rule").count() == 2
    r = client.get("/api/v1/commands?origin_kind=rule&origin_id=7", headers=world["h"]["m1"])
    assert r.status_code == 200 and {c["id"] for c in r.json} == \
        {first, results[2]["command_id"]}
    assert all(c["origin_kind"] == "rule" for c in r.json)
