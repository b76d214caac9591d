"""The documented API against its answers: schemathesis over ``/api/openapi.json`` as a
system administrator and as duty staff (issue 18, item 8 and its acceptance).

    pip install -e '.[fuzz]'
    python bench/api_fuzz.py [--max-examples 100] [--max-time 600] [--role admin|staff|both]

Starts the API as ``gridwarden up`` does (bench/benchlib.py) on embedded PostgreSQL and
Redis (or DATABASE_URL / REDIS_URL), imports the example facility, creates one user per
role, and runs ``schemathesis run`` with the checks ``not_a_server_error``,
``status_code_conformance``, ``content_type_conformance`` and
``response_schema_conformance``, leaving out the operations that end its own session
(logout, refresh, password change: tested in tests/). Prints schemathesis's summary per role and exits non-zero
when it found anything. Reports (JUnit) go to ``test-artifacts/fuzz/``.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

# Operations that end the run's own session (log out, change its password, revoke its
# refresh family): everything after them would be a 401. Each is covered by tests/.
SESSION_ENDING = r"^/api/v1/auth/(logout|refresh|me/password)$"
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance")


def seed(settings) -> dict[str, str]:
    """The example facility and a superadmin and a staff user of it: their tokens."""
    from sqlalchemy import select

    from backend import create_app
    from backend.accounts.operations import hash_password, issue_tokens
    from backend.accounts.security import Actor
    from backend.extensions import db
    from backend.facility.transfer import import_yaml
    from backend.models import Role, Site, User

    app = create_app(settings)
    with app.app_context():
        text = (ROOT / "examples" / "facility.yaml").read_text(encoding="utf-8")
        site_id = import_yaml(Actor.system("fuzz"), text)["site_id"]
        site = db.session.scalars(select(Site).where(Site.id == site_id)).one()
        users = {
            "admin": User(username="fuzz-admin", display_name="fuzz admin", role=Role.admin,
                          is_superadmin=True, password_hash=hash_password("fuzz-password-1"),
                          token_version=1, sites=[site]),
            "staff": User(username="fuzz-staff", display_name="fuzz staff", role=Role.staff,
                          password_hash=hash_password("fuzz-password-1"), token_version=1,
                          sites=[site]),
        }
        db.session.add_all(users.values())
        db.session.commit()
        return {role: issue_tokens(u)["access_token"] for role, u in users.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-examples", type=int, default=100)
    ap.add_argument("--max-time", type=int, default=600, help="seconds per role")
    ap.add_argument("--role", choices=("admin", "staff", "both"), default="both")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    exe = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    if not Path(exe).exists():
        print("schemathesis is not installed: pip install -e '.[fuzz]'", file=sys.stderr)
        return 2

    from benchlib import bench_settings, servers, start_api, stop

    from backend.migrate import upgrade_head

    db_url, redis_url, cleanup = servers("gw-fuzz-")
    upgrade_head(db_url)
    settings = bench_settings(db_url, redis_url, "fuzz")
    tokens = seed(settings)
    api, base = start_api(settings, ROOT)
    failed = 0
    try:
        for role in ("admin", "staff") if args.role == "both" else (args.role,):
            out = ROOT / "test-artifacts" / "fuzz"
            out.mkdir(parents=True, exist_ok=True)
            cmd = [exe, "run", f"{base}/api/openapi.json", "--url", base,
                   "-H", f"Authorization: Bearer {tokens[role]}", "--checks", CHECKS,
                   "--max-examples", str(args.max_examples), "--max-time", str(args.max_time),
                   "--seed", str(args.seed), "--exclude-path-regex", SESSION_ENDING,
                   "--report", "junit",
                   "--report-junit-path", str(out / f"{role}.xml"), "--no-color"]
            print(f"\n## schemathesis as {role}\n", flush=True)
            failed |= subprocess.run(cmd, cwd=ROOT).returncode
    finally:
        stop(api)
        cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
