"""Notification channels (transport only): WeChat template/subscribe, SMS, Web Push.

Every channel formats a ``Message`` and returns a ``Delivery`` whose outcome tells the
outbox what to do next (see base.py). Nothing here connects at import time; the
``*_channel()`` / ``sms_provider()`` factories read the settings of the current app and
return None, with a log line, when a channel is not configured.
"""
from backend.notify.base import Delivery, Message

__all__ = ["Delivery", "Message"]
