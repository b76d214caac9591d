"""The ``gridwarden`` command.

Its own subcommands are here and in backend/cli/ (transfer.py, backup.py, roles.py); development tools add
theirs through the ``gridwarden.commands`` entry-point group (pyproject.toml:
``gridwarden simulate`` from the simulator package, ``gridwarden standins`` from the
stand-ins), so a production install without those packages has no such commands.
"""
from __future__ import annotations

import sys
from importlib.metadata import entry_points

import click

from backend.config import ConfigError, Settings


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def main() -> None:
    """GridWarden: electrical-safety and energy platform."""


@main.command()
@click.option("--demo", is_flag=True,
              help="Seed the example facility and the demo accounts, run the simulator "
                   "(development only).")
@click.option("--bind", default=None, help="host:port for the API (default GW_HTTP_HOST:GW_HTTP_PORT)")
@click.option("--demo-facility", type=click.Choice(["detention", "small"]), default="detention",
              show_default=True,
              help="With --demo: the realistic detention centre (examples/detention-center, "
                   "about 300 breakers) or the small one (examples/facility.yaml).")
@click.option("--demo-faults", type=click.Choice(["on", "off"]), default="on",
              show_default=True,
              help="With --demo: the simulator injects a realistic fault now and then.")
@click.option("--demo-faults-delay", type=click.FloatRange(0), default=180.0,
              show_default=True, help="With --demo: seconds to the first demo fault.")
@click.option("--demo-faults-ramp", type=click.FloatRange(1), default=300.0,
              show_default=True,
              help="With --demo: seconds a demo fault's value creeps to its peak.")
@click.option("--role", type=click.Choice(["standalone", "site", "central"]), default=None,
              help="standalone (default, GW_ROLE), a site box shipping its data up to "
                   "GW_CENTRAL_URL, or the centre (docs/sitelink.md)")
def up(demo: bool, bind: str | None, demo_facility: str, demo_faults: str,
       demo_faults_delay: float, demo_faults_ramp: float, role: str | None) -> None:
    """Apply migrations, then run the API, the RQ workers and the cron scheduler."""
    from backend.runtime.demo import DemoOptions
    from backend.runtime.up import run_up

    settings = _settings()
    if role:
        settings = settings.with_overrides(role=role)
    if settings.role == "site" and not (settings.central_url and settings.site_token):
        raise click.ClickException("--role site needs GW_CENTRAL_URL and GW_SITE_TOKEN")
    if demo and settings.is_production:
        raise click.ClickException("--demo is refused in production (GW_ENV=production)")
    options = DemoOptions(demo_facility, demo_faults == "on", demo_faults_delay,
                          demo_faults_ramp)
    sys.exit(run_up(settings, demo=demo, bind=bind, demo_options=options))


@main.command()
@click.option("--probe", type=click.FloatRange(0.2, 3600), default=10.0, show_default=True,
              help="Seconds between reads of every KNX group's state addresses.")
def knx(probe: float) -> None:
    """Run the KNX process: one connection per KNX gateway (docs/knx.md)."""
    import logging.config

    from backend.runtime.context import app_context
    from backend.runtime.knx_process import run
    from backend.runtime.logs import dict_config

    settings = _settings()
    config = dict_config(settings.log_level)
    # xknx warns of every unanswered read: the groups' status says it once
    config["loggers"]["xknx"] = {"level": "ERROR"}
    logging.config.dictConfig(config)
    with app_context(settings) as app:
        run(app, probe_s=probe)


@main.command()
def uplink() -> None:
    """Run the site box's shipper: the outbox sent up to GW_CENTRAL_URL (docs/sitelink.md)."""
    import logging.config
    import signal

    from backend.runtime.context import app_context
    from backend.runtime.logs import dict_config
    from backend.sitelink.shipper import Shipper

    settings = _settings()
    if settings.role != "site":
        raise click.ClickException("gridwarden uplink runs on a site box (GW_ROLE=site)")
    logging.config.dictConfig(dict_config(settings.log_level))
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    with app_context(settings):
        Shipper().run(stop=lambda: bool(stopping))


@main.command()
def migrate() -> None:
    """Apply every pending database migration."""
    from backend.migrate import upgrade_head
    from backend.runtime.embedded import platform_servers

    with platform_servers(_settings()) as s:
        upgrade_head(s.database_url)
    click.echo("database is at the latest revision")


@main.command("create-admin")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_admin(username: str, password_stdin: bool) -> None:
    """Create a system administrator non-interactively.

    The password comes from standard input (--password-stdin) or GW_ADMIN_PASSWORD.
    """
    from backend.accounts.operations import create_first_admin
    from backend.errors import DomainError
    from backend.extensions import db
    from backend.runtime.context import platform_context

    settings = _settings()
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else settings.admin_password
    if not password:
        raise click.ClickException("no password: pipe it with --password-stdin or set "
                                   "GW_ADMIN_PASSWORD")
    with platform_context(settings):
        try:
            user = create_first_admin(username, password)
            db.session.commit()
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
    click.echo(f"created system administrator {user.username!r} (id {user.id})")


from backend.cli.transfer import register as _register_transfer  # noqa: E402

_register_transfer(main)

from backend.cli.backup import register as _register_backup  # noqa: E402

_register_backup(main)

from backend.cli.roles import register as _register_roles  # noqa: E402

_register_roles(main)

COMMANDS_GROUP = "gridwarden.commands"


def _register_plugins(group: click.Group) -> None:
    """Subcommands of installed development tools (entry points ``gridwarden.commands``:
    each names a ``register(main)`` function)."""
    for ep in entry_points(group=COMMANDS_GROUP):
        try:
            register = ep.load()
        except ImportError:           # its package is not installed in this image
            continue
        register(group)


_register_plugins(main)

if __name__ == "__main__":
    main()
