from sqlalchemy import func, select

from backend.runtime.demo import seed


def test_demo_seed_is_idempotent_and_admin_logs_in(settings, app, client, tmp_path, capsys):
    s = settings.with_overrides(data_dir=tmp_path)
    first = seed(s)
    password = (tmp_path / "demo-admin-password").read_text().strip()
    assert first["admin_password"] == password
    assert "admin" in capsys.readouterr().out
    second = seed(s)
    assert "admin_password" not in second and second["site_id"] == first["site_id"]

    from backend.extensions import db
    from backend.models import Device, User
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 3   # admin, manager, duty
        assert db.session.scalar(select(func.count()).select_from(Device)) > 10
    r = client.post("/api/v1/auth/login", json={"username": "admin", "password": password})
    assert r.status_code == 200
    token = {"Authorization": f"Bearer {r.json['access_token']}"}
    topo = client.get(f"/api/v1/sites/{first['site_id']}/topology", headers=token)
    assert topo.status_code == 200 and topo.json["site"]["code"] == "DC-JSZ"
    assert topo.json["boards"][0]["circuits"]
    duty = client.post("/api/v1/auth/login", json={"username": "duty", "password": password})
    assert duty.status_code == 200 and duty.json["user"]["role"] == "staff"
    manager = client.post("/api/v1/auth/login", json={"username": "manager",
                                                       "password": password})
    assert manager.status_code == 200 and manager.json["user"]["role"] == "manager"
    grants = client.get(f"/api/v1/users/{duty.json['user']['id']}/control-grants",
                        headers=token)
    assert grants.status_code == 200 and [g["scope"] for g in grants.json["grants"]] == ["area"], grants.json
