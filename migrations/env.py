"""Alembic environment. The URL comes from backend.migrate (never from a file)."""
import re

from alembic import context
from sqlalchemy import engine_from_config, pool

from backend.models import Base

config = context.config
target_metadata = Base.metadata

# Monthly partitions of `readings` are created by a job, not by the models: autogenerate
# must not propose dropping them.
_PARTITION = re.compile(r"^readings_p\d{6}$")


def include_object(obj, name, type_, reflected, compare_to):
    table = obj if type_ == "table" else getattr(obj, "table", None)
    return not (reflected and compare_to is None and table is not None
                and _PARTITION.match(table.name))


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, compare_type=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True,
                      include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
