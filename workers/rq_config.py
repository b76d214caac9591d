"""Settings module for ``rq worker -c workers.rq_config`` and ``rq cron -c ...``: the
logging of every RQ process (backend/runtime/logs.py), read before the worker starts."""
from backend.config import Settings
from backend.runtime.logs import dict_config

_settings = Settings.from_env()
DICT_CONFIG = dict_config(_settings.log_level, _settings.log_format)
