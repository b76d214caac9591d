"""``gridwarden api`` / ``worker`` / ``poller`` / ``scheduler``: one part of the platform
in this process, for containers (backend/runtime/roles.py, compose.yaml)."""
from __future__ import annotations

import click

from backend.config import ConfigError, Settings

HELP = {
    "api": "Run the API (gunicorn) in this process, as `gridwarden up` runs it.",
    "worker": "Run one general RQ worker (alarms, notifications, control, periodic jobs).",
    "poller": "Run one poll worker (Modbus polling, commands on its gateways' connections).",
    "scheduler": "Run RQ's cron scheduler of the periodic jobs (exactly one per Redis).",
}


def _role_command(role: str) -> click.Command:
    @click.command(role, help=HELP[role] + " Needs DATABASE_URL and REDIS_URL.")
    def run_role() -> None:
        from backend.runtime import roles

        try:
            settings = Settings.from_env()
            roles.run(settings, role)
        except (ConfigError, roles.RoleError) as exc:
            raise click.ClickException(str(exc)) from exc
    return run_role


def register(main_group: click.Group) -> None:
    for role in HELP:
        main_group.add_command(_role_command(role))
