"""Automation (MISSION.md M4, docs/automation.md): scenes, schedules and linkage rules.

Everything automation does to a device is a command through the control lifecycle
(backend/control: rights, modes, approval of protected circuits, read-back, audit), asked
for with an ``origin`` (scene | schedule | rule, and its id) that the command keeps.

- ``actions``: what a scene, schedule or rule does, as validated data; the action kinds
  (``command``, ``settings`` here; other packages register theirs) and running a list of
  actions, each in its own savepoint, with a result per action.
"""
