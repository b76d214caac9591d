"""Alarm rules as data (``catalogue``) and the pure rule state machine (``engine``).

Database work (loading devices, rule overrides and state, writing alarms and the
outbox) lives in ``backend/services/alarm_*.py``; nothing here touches I/O.
"""
