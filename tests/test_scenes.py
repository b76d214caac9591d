"""Scenes (backend/automation/scenes.py, scene_runs.py): saved only when every action can
run, never able to run themselves; run on demand as the person's own commands through the
control lifecycle against the simulator, with a result per action, once per key, audited."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from backend.extensions import db
from backend.models import AuditEntry, Command, Device, Role, Site
from tests.control_world import grant, runner, settled, world  # noqa: F401  (fixtures)
from tests.factories import auth, make_user
from tests.test_poller import run_poll, sim, sim_api, site  # noqa: F401


def flat(errors, prefix="") -> set[str]:
    """Dotted names of the fields an error names (marshmallow nests, services dot)."""
    out = set()
    for key, value in errors.items():
        name = f"{prefix}{key}"
        out |= flat(value, f"{name}.") if isinstance(value, dict) else {name}
    return out


def cmd(world, code, action="open"):  # noqa: F811
    return {"kind": "command", "device_id": world["ids"][code], "action": action}


def create(client, world, name, actions, who="m1"):  # noqa: F811
    return client.post("/api/v1/scenes", headers=world["h"][who],
                       json={"site_id": world["site"], "name": name, "actions": actions})


def run(client, world, scene_id, who="m1", key=None, reason="场景测试"):  # noqa: F811
    return client.post(f"/api/v1/scenes/{scene_id}/run", json={"reason": reason},
                       headers={**world["h"][who], "Idempotency-Key": key or uuid.uuid4().hex})


def test_scenes_are_checked_when_saved_and_never_run_themselves(app, client, world):  # noqa: F811
    r = create(client, world, "夜间照明", [cmd(world, "QF-AL1-WL1", "close"),
                                       cmd(world, "QF-AA1-WL5", "close")])
    assert r.status_code == 201, r.json
    a = r.json["id"]
    assert [(n["path"], n["code"]) for n in r.json["notes"]] == \
        [("actions.1", "action_needs_approval")]
    # staff do not edit scenes; a duplicate name is named
    assert create(client, world, "x", [cmd(world, "QF-AL1-WL1")], "s1").status_code == 403
    r = create(client, world, "夜间照明", [cmd(world, "QF-AL1-WL1")])
    assert r.status_code == 409 and r.json["error"] == "duplicate_name"
    # what can never run is refused naming the field
    with app.app_context():
        other = Site(code="S2", name="另一监所")
        db.session.add(other)
        db.session.flush()
        foreign = Device(site_id=other.id, code="QF-X", name="别处", kind="breaker")
        db.session.add(foreign)
        db.session.commit()
        foreign_id = foreign.id
    cases = [([{"kind": "command", "device_id": foreign_id, "action": "open"}],
              "actions.0.device_id", "action_device_not_found"),
             ([{"kind": "nope"}], "actions.0.kind", "validation_error"),
             ([cmd(world, "QF-AL1-WL1", "dim")], "actions.0.action", "action_not_supported"),
             ([{"kind": "scene", "scene_id": 999999}], "actions.0.scene_id",
              "action_scene_not_found")]
    for acts, field, code in cases:
        r = create(client, world, f"坏-{field}", acts)
        assert r.status_code == 422 and r.json["error"] == code, (field, r.json)
        assert field in flat(r.json["errors"]), r.json
    # scenes of scenes: allowed, 3 deep at most, never a loop
    b = create(client, world, "B", [{"kind": "scene", "scene_id": a}]).json["id"]
    c = create(client, world, "C", [{"kind": "scene", "scene_id": b}]).json["id"]
    r = client.put(f"/api/v1/scenes/{a}", headers=world["h"]["m1"],
                   json={"actions": [cmd(world, "QF-AL1-WL1"), {"kind": "scene",
                                                                "scene_id": c}]})
    assert r.status_code == 422 and r.json["error"] == "scene_cycle", r.json
    assert "actions.1.scene_id" in r.json["errors"]
    assert "夜间照明" in r.json["message"] and "C" in r.json["message_zh"]
    r = client.put(f"/api/v1/scenes/{a}", headers=world["h"]["m1"],
                   json={"actions": [{"kind": "scene", "scene_id": a}]})
    assert r.status_code == 422 and r.json["error"] == "scene_cycle"
    d = create(client, world, "D", [{"kind": "scene", "scene_id": c}])
    assert d.status_code == 201                                  # D > C > B > A: 3 deep
    r = create(client, world, "E", [{"kind": "scene", "scene_id": d.json["id"]}])
    assert r.status_code == 422 and r.json["error"] == "scene_too_deep"
    # a scene still run by another is not deleted; a leaf is, audited
    r = client.delete(f"/api/v1/scenes/{a}", headers=world["h"]["m1"])
    assert r.status_code == 409 and r.json["error"] == "has_dependents"
    assert client.delete(f"/api/v1/scenes/{d.json['id']}",
                         headers=world["h"]["m1"]).status_code == 204
    with app.app_context():
        done = db.session.execute(select(AuditEntry.action, AuditEntry.entity_id).where(
            AuditEntry.entity_type == "scene")).all()
        assert ("create", a) in done and ("delete", d.json["id"]) in done
        stranger = make_user("m9", Role.manager, [db.session.get(Site, other.id)])
        h9 = auth(stranger)
    # lists are scoped to the caller's sites; another site's scene is not found
    listed = client.get(f"/api/v1/scenes?site_id={world['site']}", headers=world["h"]["s1"])
    assert {s["name"] for s in listed.json} == {"夜间照明", "B", "C"}
    assert client.get("/api/v1/scenes", headers=h9).json == []
    assert client.get(f"/api/v1/scenes/{a}", headers=h9).status_code == 404
    assert run(client, world, a, who="s1").status_code == 403   # no grant on its devices


def test_a_run_is_the_persons_commands_with_a_result_each_once_per_key(
        app, client, world, sim):  # noqa: F811
    inner = create(client, world, "风机", [cmd(world, "QF-JQ1-WL3")]).json["id"]
    scene = create(client, world, "离开监区", [
        cmd(world, "QF-AL1-WL1"), cmd(world, "QF-AL1-WL1", "close"),
        cmd(world, "QF-JQ1-WL4"), {"kind": "scene", "scene_id": inner}]).json["id"]
    key = uuid.uuid4().hex
    r = run(client, world, scene, key=key)
    assert r.status_code == 202, r.json
    body = r.json
    assert body["run_by"] == world["users"]["m1"] and body["reason"] == "场景测试"
    states = [x["state"] for x in body["results"]]
    assert states == ["queued", "refused", "awaiting_approval", "ran"], body["results"]
    assert body["results"][1]["error"] == "command_in_progress"
    nested = body["results"][3]
    assert nested["scene_id"] == inner and nested["results"][0]["state"] == "queued"
    # the same key: the same run; the same key for another reason: refused
    assert run(client, world, scene, key=key).json["id"] == body["id"]
    again = run(client, world, scene, key=key, reason="别的")
    assert again.status_code == 409 and again.json["error"] == "idempotency_key_reused"
    first, fan = body["results"][0]["command_id"], nested["results"][0]["command_id"]
    assert settled(client, world, first)["state"] == "confirmed"
    assert settled(client, world, fan)["state"] == "confirmed"
    # read back: each action with its command's state now
    detail = client.get(f"/api/v1/scene-runs/{body['id']}", headers=world["h"]["s1"]).json
    assert [x["state"] for x in detail["results"]] == \
        ["confirmed", "refused", "awaiting_approval", "ran"]
    assert detail["results"][3]["results"][0]["state"] == "confirmed"
    runs = client.get(f"/api/v1/scenes/{scene}/runs", headers=world["h"]["m1"]).json
    assert [x["id"] for x in runs] == [body["id"]]
    with app.app_context():
        c = db.session.get(Command, first)
        assert (c.origin_kind, c.origin_id, c.requested_by) == \
            ("scene", scene, world["users"]["m1"])
        assert db.session.get(Command, fan).origin_id == inner
        assert db.session.scalar(select(Command.id).where(
            Command.origin_kind == "scene").order_by(Command.id.desc()).limit(1))
        audited = db.session.scalars(select(AuditEntry).where(
            AuditEntry.entity_type == "scene", AuditEntry.action == "run")).all()
        assert {a.entity_id for a in audited} == {scene, inner}
        assert any(a.after["reason"] == "场景测试" and a.after["scene_run_id"] == body["id"]
                   for a in audited)
    # the protected circuit's command waits for a second person, never the runner
    pending = body["results"][2]["command_id"]
    r = client.post(f"/api/v1/commands/{pending}/approve", json={}, headers=world["h"]["m1"])
    assert r.status_code == 403 and r.json["error"] == "own_command"


def test_staff_run_only_scenes_whose_every_device_they_control(app, client, world, sim):  # noqa: F811
    scene = create(client, world, "走廊照明", [cmd(world, "QF-AL1-WL2"),
                                          cmd(world, "QF-JQ1-WL2")]).json["id"]
    with app.app_context():
        circuit = db.session.get(Device, world["ids"]["QF-AL1-WL2"]).circuit_id
    grant(app, world, "s1", "circuit", circuit)
    r = run(client, world, scene, who="s1")
    assert r.status_code == 403 and r.json["error"] == "control_not_granted"
    assert r.json["errors"]["devices"] == ["QF-JQ1-WL2"] and "QF-JQ1-WL2" in r.json["message_zh"]
    r = client.put(f"/api/v1/scenes/{scene}", headers=world["h"]["m1"],
                   json={"actions": [cmd(world, "QF-AL1-WL2")]})
    assert r.status_code == 200
    r = run(client, world, scene, who="s1")
    assert r.status_code == 202 and r.json["results"][0]["state"] == "queued"
    assert settled(client, world, r.json["results"][0]["command_id"], "s1")["state"] == \
        "confirmed"
    # a disabled scene does not run
    client.put(f"/api/v1/scenes/{scene}", headers=world["h"]["m1"], json={"enabled": False})
    r = run(client, world, scene)
    assert r.status_code == 409 and r.json["error"] == "scene_disabled" and r.json["message_zh"]
