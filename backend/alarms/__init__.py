"""The alarm domain: from the latest values to alarms, their lifecycle and their messages.

Pure core (no I/O): ``catalogue`` (the rules as data), ``limits`` (overrides resolved to
effective limits), ``engine`` (the rule state machine). I/O beside it: ``context``
(devices and topology, cached), ``evaluate`` and ``apply`` (rules on stored values, alarms
and rule state in one transaction; the poll cycle, backend/runtime/poll_cycle.py, calls
them after each gateway's ingest), ``lifecycle``
(acknowledge, comment, assign, close), ``timeline``, ``rules`` (overrides), ``recipients``,
``outbox``, ``escalation``, ``delivery`` and ``texts`` (who is told, when, and what),
``maintenance`` windows and ``repair_orders``.
"""
