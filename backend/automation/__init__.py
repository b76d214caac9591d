"""Automation (MISSION.md M4, docs/automation.md): scenes, schedules and linkage rules.

Everything automation does to a device is a command through the control lifecycle
(backend/control: rights, modes, approval of protected circuits, read-back, audit), asked
for with an ``origin`` (scene | schedule | rule, and its id) that the command keeps.

- ``actions``: what a scene, schedule or rule does, as validated data; the action kinds
  (``command``, ``settings`` here; other packages register theirs) and running a list of
  actions, each in its own savepoint, with a result per action.
- ``scenes``: scenes (CRUD, loops and depth, the devices a scene may switch);
  ``scene_runs``: running one (a run row, a result per action) and the ``scene`` action
  kind, registered when this package is imported;
- ``occurrences`` (pure): when a schedule runs, in any time zone; ``schedules``: CRUD,
  next runs, history; ``schedule_runner``: the scheduler's pass (exactly once per
  occurrence, missed runs); ``missed``: telling the managers about a missed run.
"""
from backend.automation import scene_runs  # noqa: F401  (registers the "scene" kind)
