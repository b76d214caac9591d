"""``gridwarden import FILE`` and ``gridwarden export SITE_CODE``: the facility file from the
command line, as a system actor ("cli") with system-administrator rights.

``register(main)`` adds the commands to the ``gridwarden`` group (called from backend/cli/__init__.py).
"""
from __future__ import annotations

import sys
from pathlib import Path

import click


def _app_context():
    """Embedded or external servers (as ``gridwarden migrate``), migrated, an app context."""
    from backend.cli import _settings
    from backend.runtime.context import platform_context

    return platform_context(_settings())


def _counts(result: dict) -> str:
    lines = []
    for what in ("created", "updated", "unchanged"):
        parts = [f"{n} {kind.replace('_', ' ')}" for kind, n in result[what].items() if n]
        lines.append(f"  {what:9}: {', '.join(parts) or 'nothing'}")
    return "\n".join(lines)


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Validate everything, write nothing.")
def import_facility(file: Path, dry_run: bool) -> None:
    """Import a site's whole description (YAML, docs/facility-format.md).

    All-or-nothing and idempotent: records are matched by code, created or updated;
    records missing from the file are never deleted. Every error is printed with its line.
    """
    from backend.accounts.security import Actor
    from backend.errors import DomainError
    from backend.extensions import db
    from backend.facility import transfer

    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file}: not UTF-8 text") from exc
    with _app_context():
        try:
            result = transfer.import_yaml(Actor.system("cli"), text, dry_run=dry_run)
        except DomainError as exc:
            db.session.rollback()
            click.echo(f"{file}: {exc.message}", err=True)
            for e in exc.errors if isinstance(exc.errors, list) else ():
                where = e.get("path") or "file"
                click.echo(f"{file}:{e['line']}: {where}: {e['message']}", err=True)
            click.echo("nothing was written", err=True)
            sys.exit(1)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    verb = "would import (dry run)" if dry_run else "imported"
    click.echo(f"{verb} site {result['site_code']} from {file}:\n{_counts(result)}")


@click.command("export")
@click.argument("site_code")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
def export_facility(site_code: str, output: Path | None) -> None:
    """Export a site's whole description (YAML), in the format `gridwarden import` reads."""
    from sqlalchemy import select

    from backend.accounts.security import Actor
    from backend.extensions import db
    from backend.facility import transfer
    from backend.models import Site

    with _app_context():
        site_id = db.session.scalar(select(Site.id).where(Site.code == site_code))
        if site_id is None:
            raise click.ClickException(f"no site with code {site_code!r}")
        text = transfer.export_yaml(Actor.system("cli"), site_id)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


def register(main_group: click.Group) -> None:
    main_group.add_command(import_facility)
    main_group.add_command(export_facility)
