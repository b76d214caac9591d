"""The quality report's supply tree (operations.supply_tree, three column queries) is the
tree diagnosis got from the facility topology: the same boards, circuits, points and
order, on both example facilities (nested boards fed by circuits, devices off circuits)."""
from __future__ import annotations

from pathlib import Path

import pytest

from backend.accounts.security import Actor
from backend.facility.topology import site_topology
from backend.facility.transfer import import_yaml
from backend.quality import diagnosis, operations

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize("path", ["facility.yaml", "detention-center/facility.yaml"])
def test_supply_tree_is_the_topologys_tree(ctx, path):
    actor = Actor.system("test")
    site_id = import_yaml(actor, (EXAMPLES / path).read_text(encoding="utf-8"))["site_id"]
    expected = diagnosis.tree_from_topology(site_topology(actor, site_id))
    got = operations.supply_tree(site_id)
    assert len(expected["circuits"]) > 10 and len(expected["points"]) > 10
    assert any(b["feeder"] is not None for b in expected["boards"].values())
    assert got == expected
    # the order too (diagnosis walks boards and circuits in it)
    assert list(got["boards"]) == list(expected["boards"])
    assert list(got["circuits"]) == list(expected["circuits"])
    assert list(got["points"]) == list(expected["points"])
