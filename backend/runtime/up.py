"""``gridwarden up``: the whole platform, supervised, in one command.

1. Embedded PostgreSQL (pgserver) when DATABASE_URL is not set; it runs as
   pg_ctl's daemon, watched by the supervisor (restarted within seconds if its
   postmaster dies) and stopped when ``run_up`` ends (or the process exits).
2. Embedded redis-server when REDIS_URL is not set: a supervised child, started
   first and stopped last.
3. Alembic migrations to head; demo data with ``--demo``.
4. Supervised children:
   - ``api``: gunicorn serving ``backend.wsgi:app`` (gthread workers, so that
     Server-Sent Event streams do not pin a whole worker process each; gunicorn's own
     error answers in our JSON shape: backend/runtime/http_worker.py);
   - ``worker-N``: ``settings.rq_workers`` plain ``rq worker`` processes listening on
     every queue of backend/jobs.py but ``poll``, in order;
   - ``poller-N``: one ``PollWorker`` per poll shard on ``poll``: an RQ ``SimpleWorker``
     (connections stay open between cycles: backend/field/session.py) with the control
     runner beside it (commands share each gateway's connection: backend/control);
     One process per worker rather than ``rq worker-pool``: the pool is itself a
     supervisor, and nesting it would hide restarts and exit codes from ours.
     Without ``--with-scheduler``: RQ's *delayed-job* scheduler (``enqueue_in``,
     ``enqueue_at``, a ``Retry`` with an interval) is a forked child of the worker that the
     worker reaps only at its maintenance run (every 10 minutes), so after a Redis hang it
     stayed a zombie and delayed jobs waited. Nothing here delays a job in RQ: retries and
     delays are rows with ``next_attempt_at`` in PostgreSQL, enqueued by the outbox sweep
     (tests/test_up_children.py checks that no code uses them). Periodic jobs come from:
   - ``scheduler``: RQ 3.0's cron scheduler, ``rq cron workers.schedule``, the one
     place periodic jobs are declared.
   The pollers, the workers and the scheduler beat in Redis every fast-poll interval; one
   silent for ``liveness.hung_after`` seconds (12 s by default: SIGSTOP, a deadlock) is
   killed and restarted by the supervisor (backend/runtime/heartbeats.py).
   RQ children get the Redis URL through ``RQ_REDIS_URL`` (the environment variable
   behind ``rq --url``) so that a password never shows in the process list.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import logging.config
import logging.handlers
import os
import shutil
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from backend import liveness
from backend.config import Settings
from backend.jobs import GENERAL_QUEUES, POLL_QUEUE
from backend.runtime import demo as demo_setup
from backend.runtime import embedded, logs
from backend.runtime.heartbeats import Heartbeats, rq_worker_ttl
from backend.runtime.status import StatusReporter
from backend.runtime.supervisor import Child, Supervisor, Watch

log = logging.getLogger("gridwarden.up")

# The directory holding the ``backend`` and ``workers`` packages; children import from it.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
API_THREADS = 48               # threads per API process beside its live streams' own
KEEPALIVE_ROOM = 200           # idle keep-alive connections a process holds beyond them
GUNICORN_GRACEFUL_TIMEOUT = 8  # below the supervisor's 10 s stop timeout
# Restart delays never above these: polling (and so every alarm) stops while a poller, the
# scheduler or a store is down; the API and general workers may back off longer.
CRITICAL_BACKOFF = 2.0
APP_BACKOFF = 10.0
LIMIT_REQUEST_LINE = 4094      # bytes of "GET /url HTTP/1.1": longer is a 414
LIMIT_REQUEST_FIELD_SIZE = 8190  # bytes of one header: larger is a 431
RQ_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class StartupError(RuntimeError):
    """A start-up step failed; the message says which one."""


def run_up(settings: Settings, *, demo: bool = False, bind: str | None = None,
           demo_options: demo_setup.DemoOptions | None = None) -> int:
    """Run the platform until SIGTERM/SIGINT; return the process exit code."""
    demo_options = demo_options or demo_setup.DemoOptions()
    data_dir = Path(settings.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    _setup_logging(settings.log_level, data_dir / "logs", settings.log_format)
    lock = _lock_data_dir(data_dir)
    if lock is None:
        log.error("another 'gridwarden up' is already using %s", data_dir)
        return 1
    postgres = None  # the pgserver handle: postgres runs while we hold it
    status = None
    metrics_path = reset_metrics_dir(data_dir)
    with lock, Supervisor(log_dir=data_dir / "logs",
                          console_everything=settings.log_level == "DEBUG",
                          on_exit=lambda pid: _mark_dead(pid, metrics_path),
                          json_lines=settings.log_format == "json") as sup:
        try:
            database_url = settings.database_url
            if database_url is None:
                # Not cut short by Ctrl-C: a half-started postgres would have no handle to stop it.
                with _step("starting embedded PostgreSQL"), sup.uninterrupted():
                    postgres, database_url = embedded.start_postgres(data_dir)
                server = postgres
                sup.watch(Watch("postgres", lambda: embedded.postgres_running(server),
                                lambda: embedded.restart_postgres(server),
                                max_backoff=CRITICAL_BACKOFF))
            redis_url = settings.redis_url
            if redis_url is None:
                with _step("starting embedded Redis"):
                    redis_url = _start_embedded_redis(sup, data_dir)
            settings = settings.with_overrides(database_url=database_url, redis_url=redis_url)
            with _step("applying database migrations"):
                from backend import migrate

                migrate.upgrade_head(database_url)
            if demo:
                settings = settings.with_overrides(**demo_setup.notify_settings(settings))
                _seed_demo(settings, demo_options)
            env = child_environ(settings)
            children = app_children(settings, env, bind, Heartbeats(settings.redis_url))
            knx_off = False
            if demo:
                knxd = demo_setup.knxd_child(settings, demo_options)
                children += [knxd] if knxd else []
                knx_off = knxd is None
            if not knx_off and _has_knx_gateways(settings):
                children.append(Child("knx", [sys.executable, "-m", "backend.cli", "knx"], env,
                                      max_backoff=APP_BACKOFF))
            if demo:
                children += [demo_setup.simulator_child(env, demo_options),
                             demo_setup.standins_child(env)]
            if settings.role == "site":      # the uplink's shipper (docs/sitelink.md)
                children.append(Child("uplink", [sys.executable, "-m", "backend.cli", "uplink"],
                                      env, max_backoff=APP_BACKOFF))
            for child in children:
                sup.start(child)
            print(banner(settings, bind, embedded_pg=postgres is not None), flush=True)
            if demo:
                print(demo_setup.banner(settings, demo_options), flush=True)
            status = StatusReporter(settings)
            status.start()
            return sup.run()
        except KeyboardInterrupt:
            log.info("stop requested during start-up")
            return 0
        except StartupError as exc:
            log.error("gridwarden up: %s", exc)
            return 1
        finally:
            if status is not None:
                status.stop()
            sup.stop_all()  # children first: they hold connections to PostgreSQL
            if postgres is not None:
                log.info("stopping embedded PostgreSQL")
                postgres.cleanup()


@contextlib.contextmanager
def _step(what: str):
    log.info("%s ...", what)
    try:
        yield
    except (KeyboardInterrupt, StartupError):
        raise
    except Exception as exc:
        log.error("%s failed", what, exc_info=True)
        raise StartupError(f"{what} failed: {exc}") from exc


def _setup_logging(level: str, log_dir: Path, fmt: str = "text") -> None:
    """The supervisor's own lines: to the terminal (start-up steps, restarts, the status
    line) and to logs/gridwarden.log."""
    if not logging.getLogger().handlers:
        logging.config.dictConfig(logs.dict_config(level, fmt))
        log_dir.mkdir(parents=True, exist_ok=True)
        file = logging.handlers.RotatingFileHandler(
            log_dir / "gridwarden.log", maxBytes=logs.FILE_BYTES, backupCount=logs.FILE_COUNT,
            encoding="utf-8")
        file.setFormatter(logs.formatter(fmt))
        logging.getLogger().addHandler(file)


def _lock_data_dir(data_dir: Path):
    """An exclusive lock on the data dir: one ``up`` per data directory."""
    fh = open(data_dir / "up.lock", "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    fh.truncate(0)
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


def _start_embedded_redis(sup: Supervisor, data_dir: Path) -> str:
    argv, url = embedded.redis_command(data_dir)
    try:
        embedded.wait_for_redis(url, timeout=0.2)
    except RuntimeError:
        pass  # nothing answers on the socket: good, it is ours to start
    else:
        raise StartupError(f"a redis-server already answers at {url}; stop it first")
    child = sup.start(Child("redis", argv, tier=0, max_backoff=CRITICAL_BACKOFF))
    embedded.wait_for_redis(url, child.proc)
    return url


def _has_knx_gateways(settings: Settings) -> bool:
    """The KNX process runs only where KNX gateways are configured (docs/knx.md)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(text("SELECT EXISTS (SELECT 1 FROM knx_gateways "
                                         "WHERE enabled)")))
    finally:
        engine.dispose()


def _seed_demo(settings: Settings, options: demo_setup.DemoOptions) -> None:
    log.info("seeding demo data (%s) ...", options.path.name if options.facility == "small"
             else options.path.parent.name)
    try:
        demo_setup.seed(settings, options)
    except KeyboardInterrupt:
        raise
    except Exception:
        log.exception("demo data could not be seeded (see above); continuing without it")


def metrics_dir(data_dir: Path) -> Path:
    """Where every child writes its Prometheus metrics (backend/metrics.py)."""
    return Path(data_dir) / "metrics"


def reset_metrics_dir(data_dir: Path) -> Path:
    """Emptied at every start, as prometheus_client's multiprocess mode requires: files of
    the processes of an earlier run would be counted again."""
    path = metrics_dir(data_dir)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def _mark_dead(pid: int, path: Path) -> None:
    from backend import metrics

    metrics.mark_dead(pid, str(path))


def child_environ(settings: Settings) -> dict[str, str]:
    """Environment of every supervised child.

    This forwards the inherited environment (PATH, HOME, LANG, TZ, proxies...) as the
    base, the one deliberate exception to "only backend/config.py reads os.environ",
    and puts the resolved settings (embedded URLs, generated dev secrets) on top so
    every child runs with exactly the configuration this process resolved.
    """
    env = dict(os.environ)
    env.update(settings.child_environ())
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir(settings.data_dir))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def app_children(settings: Settings, env: dict[str, str], bind: str | None,
                 beats: Heartbeats | None = None) -> list[Child]:
    """The supervised children; with ``beats``, the RQ ones are killed and restarted when
    their heartbeat is older than ``liveness.hung_after`` (hung, e.g. SIGSTOP)."""
    py = sys.executable
    beat = liveness.beat_every(settings)
    # Every RQ worker beats every `beat` seconds, idle or busy (backend/runtime/heartbeats.py).
    rq_beat = ["--worker-ttl", str(rq_worker_ttl(beat)), "--job-monitoring-interval", str(beat)]
    hang = {"hung_after": liveness.hung_after(settings)}
    workers_hang = {**hang, "beat": beats.worker} if beats else {}
    cron_hang = {**hang, "beat": beats.scheduler} if beats else {}
    level = settings.log_level if settings.log_level in RQ_LOG_LEVELS else "INFO"
    rq_env = {**env, "RQ_REDIS_URL": settings.redis_url}
    # Every RQ process logs through workers/rq_config.py (one format, level per line).
    rq_log = ["-c", "workers.rq_config", "--log-format", logs.FORMAT,
              "--date-format", logs.DATE_FORMAT]
    api = Child("api", [
        py, "-m", "gunicorn",
        # child_exit marks a dead worker's metrics (backend/runtime/gunicorn_conf.py)
        "--config", "python:backend.runtime.gunicorn_conf",
        "--bind", bind or _bind(settings),
        "--workers", str(settings.web_workers),
        # gthread, with gunicorn's own 400/414/431 answers in our JSON error shape
        "--worker-class", "backend.runtime.http_worker.JsonErrorWorker",
        "--threads", str(settings.sse_max_streams + API_THREADS),
        # gthread keeps idle keep-alive connections beyond its threads: room for them.
        "--worker-connections", str(settings.sse_max_streams + API_THREADS + KEEPALIVE_ROOM),
        "--limit-request-line", str(LIMIT_REQUEST_LINE),
        "--limit-request-field_size", str(LIMIT_REQUEST_FIELD_SIZE),
        "--graceful-timeout", str(GUNICORN_GRACEFUL_TIMEOUT),
        "--access-logfile", "-",
        # Tokens and stream tickets in URLs are logged as [redacted].
        "--logger-class", "backend.runtime.access_log.RedactingLogger",
        # Per data dir, not the shared ~/.gunicorn default: two instances must not clash.
        "--control-socket", str(Path(settings.data_dir) / "gunicorn.ctl"),
        "--log-level", level.lower(),
        "backend.wsgi:app",
    ], env, max_backoff=APP_BACKOFF)
    workers = [
        Child(f"worker-{i}", [py, "-m", "rq.cli", "worker",
                              "--worker-class", "workers.worker.PreloadedWorker", *rq_log,
                              *rq_beat, "--logging_level", level, *GENERAL_QUEUES], rq_env,
              max_backoff=APP_BACKOFF, **workers_hang)
        for i in range(1, settings.rq_workers + 1)
    ]
    # Poll workers: SimpleWorker (no fork per job) so Modbus connections survive between
    # cycles; one per shard, so shards are polled in parallel.
    workers += [
        # rq logs three lines per job at INFO, every 2 s per shard: logs/poller-N.log only.
        Child(f"poller-{i}", [py, "-m", "rq.cli", "worker", "--worker-class",
                              "workers.worker.PollWorker", *rq_log, *rq_beat,
                              "--logging_level", level, POLL_QUEUE],
              {**rq_env, "GW_POLLER_ID": f"{socket.gethostname()}:poller-{i}"},
              max_backoff=CRITICAL_BACKOFF, **workers_hang)
        for i in range(1, settings.poll_shards + 1)
    ]
    # The cron scheduler logs every enqueue (every 2 s for polling): logs/scheduler.log.
    cron = Child("scheduler", [py, "-m", "rq.cli", "cron", "-c", "workers.rq_config",
                               "--logging-level", level, "workers.schedule"], rq_env,
                 max_backoff=CRITICAL_BACKOFF, **cron_hang)
    return [api, *workers, cron]


def _bind(settings: Settings) -> str:
    host = settings.http_host
    return f"[{host}]:{settings.http_port}" if ":" in host else f"{host}:{settings.http_port}"


def _public_base(bind: str) -> str:
    if bind.startswith(("unix:", "fd://")):
        return bind
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = "localhost"
    return f"http://{host}:{port}"


def _mask(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def banner(settings: Settings, bind: str | None, *, embedded_pg: bool) -> str:
    base = _public_base(bind or _bind(settings))
    embedded_redis = settings.redis_url.startswith(f"unix://{settings.data_dir}")
    lines = [
        "",
        f"GridWarden is up ({settings.env})",
        f"  API         {base}/",
        f"  API docs    {base}/api/docs",
        f"  Health      {base}/healthz   {base}/readyz",
        f"  Data        {settings.data_dir}",
        f"  Logs        {Path(settings.data_dir) / 'logs'}   (on screen: warnings, errors, "
        "alarms, a status line a minute; GW_LOG_LEVEL=DEBUG: everything)",
        f"  PostgreSQL  {_mask(settings.database_url)}"
        + (f"  (embedded, {settings.data_dir / 'postgres'})" if embedded_pg else ""),
        f"  Redis       {_mask(settings.redis_url)}"
        + (f"  (embedded, {settings.data_dir / 'redis'})" if embedded_redis else ""),
        f"  Workers     {settings.rq_workers} RQ worker(s) on {', '.join(GENERAL_QUEUES)}; "
        f"{settings.poll_shards} poller(s) on {POLL_QUEUE}; "
        "cron: workers.schedule",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)
