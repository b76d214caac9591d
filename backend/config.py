"""The only reader of ``os.environ``.

Every setting has a typed field here; ``Settings.from_env()`` builds it once and
``create_app`` / the runtime / the workers take it from there. Nothing connects to
anything at import time.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _bool(env: dict, name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be a boolean (true/false), got {raw!r}")


@dataclass(frozen=True)
class Settings:
    # "production" demands explicit secrets; "development" and "test" generate them.
    env: str = "development"
    database_url: str | None = None
    redis_url: str | None = None
    data_dir: Path = Path(".gw-data")
    secret_key: str = ""
    jwt_secret_key: str = ""
    access_token_minutes: int = 15
    refresh_token_days: int = 14
    login_free_failures: int = 3
    login_delay_seconds: int = 2
    login_max_delay_seconds: int = 900
    login_max_failures_per_ip: int = 30
    login_window_seconds: int = 900
    http_host: str = "0.0.0.0"
    http_port: int = 8000
    web_workers: int = 2
    # Live streams one API process holds (each waits in a thread of its own; gunicorn runs
    # this many threads plus those of the rest of the API).
    sse_max_streams: int = 1000
    rq_workers: int = 1
    default_page_size: int = 50
    max_page_size: int = 500
    # Facility import (backend/facility/transfer_limits.py): above these a file is refused
    # (413 import_too_large); one running longer is rolled back (503 import_timeout).
    import_max_records: int = 25_000
    import_max_bytes: int = 8 * 1024 * 1024
    import_max_seconds: int = 60
    log_level: str = "INFO"
    log_format: str = "text"      # text | json: one JSON object per line (runtime/logs.py)
    # /metrics (backend/api/metrics.py): with a token, only `Authorization: Bearer <it>`;
    # without, only clients on the loopback address.
    metrics_token: str = ""
    # Field layer: poll rates and policy, device offline detection, raw-reading retention.
    poll_fast_seconds: int = 2
    poll_normal_seconds: int = 10
    poll_shards: int = 1
    poll_retries: int = 1
    poll_dead_after: int = 2
    # A poll worker's stable identity (host and slot, e.g. "box1:poller-1"): a restarted
    # poller takes back the gateway locks its killed predecessor held instead of waiting
    # for them to expire. One process per identity; unset: locks expire (30 s).
    poller_id: str | None = None
    offline_after_failures: int = 3
    # Control (backend/control, docs/control.md): a command not started within the expiry
    # expires; the read-back waits this long for the device to show the target; a device
    # switched less than the interval ago refuses another; an approval waits this long.
    # Device profiles beyond the built-in ones: directories (os.pathsep-separated) of a
    # site's own YAML register maps (docs/profiles.md); uploads live in the database.
    profile_dirs: str = ""
    control_expiry_seconds: int = 30
    control_readback_ms: int = 3000
    control_min_interval_seconds: int = 5
    control_approval_seconds: int = 300
    telemetry_retention_days: int = 400
    # Alarms (backend/alarms, docs/alarms.md): flapping, grouping delay, escalation, retries.
    alarm_flap_count: int = 5
    alarm_flap_window_seconds: int = 600
    alarm_group_delay_seconds: int = 5
    alarm_escalation_minutes: int = 5
    notify_max_attempts: int = 5
    public_url: str = "http://localhost:8000"
    # Notification channels (backend/notify). Real provider URLs by default; the demo and the
    # tests point the base URLs at the local stand-in (standins/, `gridwarden standins`).
    wechat_api_base_url: str = "https://api.weixin.qq.com/"
    wechat_appid: str = ""                 # service official account (服务号)
    wechat_secret: str = ""
    wechat_template_alarm: str = ""        # template id of the alarm template message
    wechat_template_fields: str = ""       # "thing1=title,..." (backend/notify/wechat.py)
    wxa_appid: str = ""                    # mini-program: subscribe messages, template jumps
    wxa_secret: str = ""
    wxa_subscribe_template: str = ""
    wxa_subscribe_fields: str = ""
    sms_provider: str = "tencent"          # tencent | none
    sms_endpoint: str = "https://sms.tencentcloudapi.com/"
    sms_secret_id: str = ""
    sms_secret_key: str = ""
    sms_sdk_app_id: str = ""
    sms_sign_name: str = ""
    sms_template_id: str = ""
    sms_region: str = "ap-guangzhou"
    vapid_private_key: str = ""            # base64url raw/DER or PEM; dev/test: generated
    vapid_public_key: str = ""
    vapid_subject: str = "mailto:ops@gridwarden.local"
    # Site box and centre (backend/sitelink, docs/sitelink.md): standalone (nothing queued),
    # site (an outbox shipped up to GW_CENTRAL_URL with GW_SITE_TOKEN) or central.
    role: str = "standalone"
    central_url: str = ""
    site_token: str = ""
    uplink_batch_items: int = 200          # outbox rows per batch sent up
    uplink_batch_bytes: int = 1_000_000    # and at most this many payload bytes
    uplink_keep_hours: int = 72            # acknowledged rows are pruned after this
    uplink_backlog_alarm_minutes: int = 30  # an older unacknowledged row raises uplink_backlog
    uplink_config_seconds: int = 30        # a site box asks the centre's configuration this often
    # At the centre: a remote site whose last batch is older than this is shown "down"
    # (and commands to it are refused site_link_down).
    uplink_down_after_seconds: int = 300
    # At the box: a command from the centre older than this when the box sees it is
    # refused ``expired`` (never run late; docs/sitelink.md).
    uplink_command_ttl_seconds: int = 120
    # Only for `gridwarden create-admin` (the password may also come on stdin).
    admin_password: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: dict | None = None) -> "Settings":
        env = dict(os.environ if environ is None else environ)
        mode = env.get("GW_ENV", "development")
        if mode not in ("production", "development", "test"):
            raise ConfigError(f"GW_ENV must be production, development or test, got {mode!r}")
        secret = env.get("GW_SECRET_KEY", "")
        jwt_secret = env.get("GW_JWT_SECRET_KEY", "")
        if mode == "production":
            if len(secret) < 32:
                raise ConfigError(
                    "GW_SECRET_KEY must be set to a random string of at least 32 characters "
                    "in production (GW_ENV=production)"
                )
        data_dir = Path(env.get("GW_DATA_DIR") or ".gw-data").resolve()
        if not secret:
            # Development only: a per-data-dir key so tokens survive a restart.
            secret = _dev_secret(data_dir)
        return cls(
            env=mode,
            database_url=env.get("DATABASE_URL") or None,
            redis_url=env.get("REDIS_URL") or None,
            data_dir=data_dir,
            secret_key=secret,
            jwt_secret_key=jwt_secret or secret,
            access_token_minutes=_int(env, "GW_ACCESS_TOKEN_MINUTES", 15),
            refresh_token_days=_int(env, "GW_REFRESH_TOKEN_DAYS", 14),
            login_free_failures=_int(env, "GW_LOGIN_FREE_FAILURES", 3),
            login_delay_seconds=_int(env, "GW_LOGIN_DELAY_SECONDS", 2),
            login_max_delay_seconds=_int(env, "GW_LOGIN_MAX_DELAY_SECONDS", 900),
            login_max_failures_per_ip=_int(env, "GW_LOGIN_MAX_FAILURES_PER_IP", 30),
            login_window_seconds=_int(env, "GW_LOGIN_WINDOW_SECONDS", 900),
            http_host=env.get("GW_HTTP_HOST", "0.0.0.0"),
            http_port=_int(env, "GW_HTTP_PORT", 8000),
            web_workers=_int(env, "GW_WEB_WORKERS", 2),
            sse_max_streams=_int(env, "GW_SSE_MAX_STREAMS", 1000),
            rq_workers=_int(env, "GW_RQ_WORKERS", 1),
            import_max_records=_int(env, "GW_IMPORT_MAX_RECORDS", 25_000),
            import_max_bytes=_int(env, "GW_IMPORT_MAX_BYTES", 8 * 1024 * 1024),
            import_max_seconds=_int(env, "GW_IMPORT_MAX_SECONDS", 60),
            log_level=env.get("GW_LOG_LEVEL", "INFO").upper(),
            log_format=_log_format(env),
            metrics_token=env.get("GW_METRICS_TOKEN", "").strip(),
            admin_password=env.get("GW_ADMIN_PASSWORD") or None,
            poll_fast_seconds=_int(env, "GW_POLL_FAST_SECONDS", 2),
            poll_normal_seconds=_int(env, "GW_POLL_NORMAL_SECONDS", 10),
            poll_shards=_int(env, "GW_POLL_SHARDS", 1),
            poll_retries=_int(env, "GW_POLL_RETRIES", 1),
            poll_dead_after=_int(env, "GW_POLL_DEAD_AFTER", 2),
            poller_id=env.get("GW_POLLER_ID") or None,
            profile_dirs=env.get("GW_PROFILE_DIRS", ""),
            control_expiry_seconds=_int(env, "GW_CONTROL_EXPIRY_SECONDS", 30),
            control_readback_ms=_int(env, "GW_CONTROL_READBACK_MS", 3000),
            control_min_interval_seconds=_int(env, "GW_CONTROL_MIN_INTERVAL_SECONDS", 5),
            control_approval_seconds=_int(env, "GW_CONTROL_APPROVAL_SECONDS", 300),
            offline_after_failures=_int(env, "GW_OFFLINE_AFTER_FAILURES", 3),
            telemetry_retention_days=_int(env, "GW_TELEMETRY_RETENTION_DAYS", 400),
            alarm_flap_count=_int(env, "GW_ALARM_FLAP_COUNT", 5),
            alarm_flap_window_seconds=_int(env, "GW_ALARM_FLAP_WINDOW_SECONDS", 600),
            alarm_group_delay_seconds=_int(env, "GW_ALARM_GROUP_DELAY_SECONDS", 5),
            alarm_escalation_minutes=_int(env, "GW_ALARM_ESCALATION_MINUTES", 5),
            notify_max_attempts=_int(env, "GW_NOTIFY_MAX_ATTEMPTS", 5),
            public_url=env.get("GW_PUBLIC_URL", "http://localhost:8000").rstrip("/"),
            **_notify_env(env),
            **_sitelink_env(env),
        )

    def with_overrides(self, **kwargs) -> "Settings":
        known = {f.name for f in fields(self)}
        unknown = set(kwargs) - known
        if unknown:
            raise ConfigError(f"unknown settings: {sorted(unknown)}")
        return replace(self, **kwargs)

    def child_environ(self) -> dict[str, str]:
        """Environment handed to child processes so they see the same settings."""
        out = {
            "GW_ENV": self.env,
            "GW_DATA_DIR": str(self.data_dir),
            "GW_SECRET_KEY": self.secret_key,
            "GW_JWT_SECRET_KEY": self.jwt_secret_key,
            "GW_LOG_LEVEL": self.log_level,
            "GW_LOG_FORMAT": self.log_format,
        }
        if self.metrics_token:
            out["GW_METRICS_TOKEN"] = self.metrics_token
        if self.database_url:
            out["DATABASE_URL"] = self.database_url
        if self.redis_url:
            out["REDIS_URL"] = self.redis_url
        out["GW_ROLE"] = self.role
        # The scheduler enqueues one poll job per shard: it must count the shards `up` was
        # given, not only those of the inherited environment.
        out["GW_POLL_SHARDS"] = str(self.poll_shards)
        if self.central_url:
            out["GW_CENTRAL_URL"] = self.central_url
        if self.site_token:
            out["GW_SITE_TOKEN"] = self.site_token
        # Notification settings too: the demo points them at the stand-in with overrides.
        out.update({var: getattr(self, name) for name, var in _NOTIFY_ENV.items()
                    if getattr(self, name)})
        return out


_NOTIFY_ENV = {  # Settings field -> environment variable (strings; defaults in Settings)
    "wechat_api_base_url": "WECHAT_API_BASE_URL", "wechat_appid": "GW_WECHAT_APPID",
    "wechat_secret": "GW_WECHAT_SECRET", "wechat_template_alarm": "GW_WECHAT_TEMPLATE_ALARM",
    "wechat_template_fields": "GW_WECHAT_TEMPLATE_FIELDS", "wxa_appid": "GW_WXA_APPID",
    "wxa_secret": "GW_WXA_SECRET", "wxa_subscribe_template": "GW_WXA_SUBSCRIBE_TEMPLATE",
    "wxa_subscribe_fields": "GW_WXA_SUBSCRIBE_FIELDS", "sms_provider": "GW_SMS_PROVIDER",
    "sms_endpoint": "SMS_ENDPOINT", "sms_secret_id": "GW_SMS_SECRET_ID",
    "sms_secret_key": "GW_SMS_SECRET_KEY", "sms_sdk_app_id": "GW_SMS_SDK_APP_ID",
    "sms_sign_name": "GW_SMS_SIGN_NAME", "sms_template_id": "GW_SMS_TEMPLATE_ID",
    "sms_region": "GW_SMS_REGION", "vapid_private_key": "GW_VAPID_PRIVATE_KEY",
    "vapid_public_key": "GW_VAPID_PUBLIC_KEY", "vapid_subject": "GW_VAPID_SUBJECT",
}


def _log_format(env: dict) -> str:
    value = (env.get("GW_LOG_FORMAT") or "text").strip().lower()
    if value not in ("text", "json"):
        raise ConfigError(f"GW_LOG_FORMAT must be text or json, got {value!r}")
    return value


def _notify_env(env: dict) -> dict:
    out = {name: env[var].strip() for name, var in _NOTIFY_ENV.items() if env.get(var)}
    if out.get("sms_provider", "tencent") not in ("tencent", "none"):
        raise ConfigError(f"GW_SMS_PROVIDER must be tencent or none, got {out['sms_provider']!r}")
    return out


ROLES = ("standalone", "site", "central")


def _sitelink_env(env: dict) -> dict:
    role = (env.get("GW_ROLE") or "standalone").strip().lower()
    if role not in ROLES:
        raise ConfigError(f"GW_ROLE must be standalone, site or central, got {role!r}")
    url = (env.get("GW_CENTRAL_URL") or "").strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"GW_CENTRAL_URL must be an http or https URL, got {url!r}")
    token = (env.get("GW_SITE_TOKEN") or "").strip()
    if role == "site" and not (url and token):
        raise ConfigError("GW_ROLE=site needs GW_CENTRAL_URL and GW_SITE_TOKEN")
    return dict(role=role, central_url=url, site_token=token,
                uplink_batch_items=_int(env, "GW_UPLINK_BATCH_ITEMS", 200),
                uplink_batch_bytes=_int(env, "GW_UPLINK_BATCH_BYTES", 1_000_000),
                uplink_keep_hours=_int(env, "GW_UPLINK_KEEP_HOURS", 72),
                uplink_backlog_alarm_minutes=_int(env, "GW_UPLINK_BACKLOG_ALARM_MINUTES", 30),
                uplink_config_seconds=_int(env, "GW_UPLINK_CONFIG_SECONDS", 30),
                uplink_down_after_seconds=_int(env, "GW_UPLINK_DOWN_AFTER_SECONDS", 300),
                uplink_command_ttl_seconds=_int(env, "GW_UPLINK_COMMAND_TTL_SECONDS", 120))


def _dev_secret(data_dir: Path) -> str:
    path = data_dir / "dev-secret-key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key
