"""Settings module for ``rq worker -c workers.rq_config`` and ``rq cron -c ...``: the
logging of every RQ process (backend/runtime/logs.py), read before the worker starts."""
from backend.config import Settings
from backend.runtime.logs import dict_config

DICT_CONFIG = dict_config(Settings.from_env().log_level)
