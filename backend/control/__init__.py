"""Remote switching (MISSION.md M3, docs/control.md): commands with their lifecycle,
control rights and grants, approval of protected circuits, execution on the field
session that owns the bus, read-back, and the reconciler.

- ``operations``: what people do (request, approve, reject, cancel, read);
- ``rights``: who may control what (roles, staff grants);
- ``queue``: the control queue and the ``command`` live events, sent after commit;
- ``execute`` + ``device_io``: one command on the bus (mode check, claim, write, read-back);
- ``runner``: the thread in each poll process that takes commands from the queue;
- ``reconcile``: expiry, lost pushes, commands whose executor stopped;
- ``texts``: every refusal and result code, in English and Chinese.
"""
