"""The documented API against its answers: schemathesis over ``/api/openapi.json`` as a
system administrator and as duty staff (issue 18, item 8 and its acceptance).

    pip install -e '.[fuzz]'
    python bench/api_fuzz.py [--max-examples 100] [--max-time 600] [--role admin|staff|both]

Starts the API as ``gridwarden up`` does (bench/benchlib.py) on embedded PostgreSQL and
Redis (or DATABASE_URL / REDIS_URL), seeds records and one user per role
(bench/fuzz_seed.py: path parameters take their real ids half of the time, through
schemathesis's fuzz dictionaries in ``test-artifacts/fuzz/schemathesis.toml``), and runs
``schemathesis run`` with the checks ``not_a_server_error``,
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-examples", type=int, default=100)
    ap.add_argument("--max-time", type=int, default=600, help="seconds per role")
    ap.add_argument("--role", choices=("admin", "staff", "both"), default="both")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-ids", action="store_true",
                    help="no seeded ids for path parameters (the baseline)")
    args = ap.parse_args(argv)
    exe = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    if not Path(exe).exists():
        print("schemathesis is not installed: pip install -e '.[fuzz]'", file=sys.stderr)
        return 2

    import fuzz_seed
    import requests
    from benchlib import bench_settings, servers, start_api, stop

    from backend.migrate import upgrade_head

    db_url, redis_url, cleanup = servers("gw-fuzz-")
    upgrade_head(db_url)
    settings = bench_settings(db_url, redis_url, "fuzz")
    tokens, ids = fuzz_seed.seed(settings)
    out = ROOT / "test-artifacts" / "fuzz"
    out.mkdir(parents=True, exist_ok=True)
    access = out / "access.log"
    access.unlink(missing_ok=True)
    api, base = start_api(settings, ROOT, access_log=access)
    failed = 0
    try:
        spec = requests.get(f"{base}/api/openapi.json", timeout=30).json()
        config = out / "schemathesis.toml"
        config.write_text("" if args.no_ids else fuzz_seed.config(spec, ids), encoding="utf-8")
        for role in ("admin", "staff") if args.role == "both" else (args.role,):
            cmd = [exe, "--config-file", str(config), "run", f"{base}/api/openapi.json", "--url", base,
                   "-H", f"Authorization: Bearer {tokens[role]}", "--checks", CHECKS,
                   "--max-examples", str(args.max_examples), "--max-time", str(args.max_time),
                   "--seed", str(args.seed), "--exclude-path-regex", SESSION_ENDING,
                   "--report", "junit",
                   "--report-junit-path", str(out / f"{role}.xml"), "--no-color"]
            print(f"\n## schemathesis as {role}\n", flush=True)
            start = access.stat().st_size if access.exists() else 0
            failed |= subprocess.run(cmd, cwd=ROOT).returncode
            print(fuzz_seed.not_found_report(spec, access, start), flush=True)
    finally:
        stop(api)
        cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
