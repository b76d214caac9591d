"""``gridwarden backup`` and ``gridwarden restore`` (backend/runtime/backup.py).

Exit codes: 0 done; 1 failed (server unreachable, a client too old, pg_dump / pg_restore
failed: the message says why); 2 bad usage (click: a missing file, an unknown option);
3 the target database is not empty (restore refused: nothing is ever dropped).
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import click

from backend.config import ConfigError, Settings


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@contextlib.contextmanager
def _database(settings: Settings):
    """The configured database URL, or the embedded server's under GW_DATA_DIR (started
    for the command, or attached to when `gridwarden up` runs it)."""
    from backend.runtime import embedded

    if settings.database_url:
        yield settings.database_url
        return
    server, url = embedded.start_postgres(settings.data_dir)
    try:
        yield url
    finally:
        server.cleanup()


def _fail(exc) -> None:
    click.echo(f"Error: {exc}", err=True)
    raise SystemExit(exc.code)


@click.command("backup")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Archive to write (default GW_DATA_DIR/backups/gridwarden-<UTC time>.dump).")
def backup_command(output: Path | None) -> None:
    """Back up the database (pg_dump, custom format) to one file."""
    from backend.runtime import backup

    settings = _settings()
    output = output or backup.default_output(settings.data_dir)
    try:
        with _database(settings) as url:
            path = backup.backup(url, output)
    except backup.BackupError as exc:
        _fail(exc)
    click.echo(f"backup written to {path} ({path.stat().st_size} bytes)")


@click.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(archive: Path) -> None:
    """Restore a `gridwarden backup` archive into an empty database (pg_restore), then
    apply any newer migrations."""
    from backend.migrate import upgrade_head
    from backend.runtime import backup

    settings = _settings()
    try:
        with _database(settings) as url:
            backup.restore(url, archive)
            upgrade_head(url)
    except backup.BackupError as exc:
        _fail(exc)
    click.echo(f"restored {archive}; the database is at the latest revision")


def register(main_group: click.Group) -> None:
    main_group.add_command(backup_command)
    main_group.add_command(restore_command)
