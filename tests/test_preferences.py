"""``/me/preferences`` against real PostgreSQL: the cockpit's cards read as the defaults
until saved, a save follows the person (another login sees it), bad cards are 422s that
name the card, and each person sees only their own."""
from __future__ import annotations

from backend.accounts.preferences import COCKPIT_CARDS
from backend.models import Role
from tests.factories import auth, make_site, make_user

URL = "/api/v1/me/preferences"


def test_defaults_then_saved_choice_follows_the_person(client, ctx):
    site = make_site()
    alice = make_user("alice", Role.manager, [site])
    h = auth(alice)
    r = client.get(URL, headers=h)
    assert r.status_code == 200
    assert [c["key"] for c in r.json["cockpit_cards"]] == list(COCKPIT_CARDS)
    assert not any(c["hidden"] for c in r.json["cockpit_cards"])
    assert r.json["updated_at"] is None

    choice = [{"key": "oneline"}, {"key": "ranking", "hidden": True}, {"key": "trend"}]
    r = client.put(URL, json={"cockpit_cards": choice}, headers=h)
    assert r.status_code == 200, r.json
    assert r.json["cockpit_cards"] == [{"key": "oneline", "hidden": False},
                                          {"key": "ranking", "hidden": True},
                                          {"key": "trend", "hidden": False}]
    assert r.json["updated_at"]

    # another device: a new login of the same person reads the same choice
    r = client.get(URL, headers=auth(alice))
    assert [c["key"] for c in r.json["cockpit_cards"]] == ["oneline", "ranking", "trend"]
    assert r.json["cockpit_cards"][1]["hidden"] is True

    # someone else still has the defaults
    bob = make_user("bob", Role.staff, [site])
    r = client.get(URL, headers=auth(bob))
    assert [c["key"] for c in r.json["cockpit_cards"]] == list(COCKPIT_CARDS)

    # saving again replaces the choice as a whole
    r = client.put(URL, json={"cockpit_cards": [{"key": "alarms"}]}, headers=h)
    assert r.json["cockpit_cards"] == [{"key": "alarms", "hidden": False}]
    assert client.get(URL, headers=h).json["cockpit_cards"] == [{"key": "alarms", "hidden": False}]


def test_bad_cards_are_422_naming_the_card(client, ctx):
    h = auth(make_user("carol", Role.staff, [make_site()]))
    r = client.put(URL, json={"cockpit_cards": [{"key": "trend"}, {"key": "weather"}]},
                   headers=h)
    assert r.status_code == 422
    assert r.json["error"] == "unknown_card"
    assert "cockpit_cards.1.key" in r.json["errors"]

    r = client.put(URL, json={"cockpit_cards": [{"key": "trend"}, {"key": "trend"}]},
                   headers=h)
    assert r.status_code == 422 and r.json["error"] == "duplicate_card"

    for body in ({"cockpit_cards": [{"key": "trend", "colour": "red"}]},
                 {"cockpit_cards": "trend"}, {"cockpit_cards": [{"hidden": True}]}, {"theme": "dark"}):
        r = client.put(URL, json=body, headers=h)
        assert r.status_code == 422, body
        assert r.json["error"] == "validation_error"
    # nothing was stored by the refused requests
    assert client.get(URL, headers=h).json["updated_at"] is None


def test_needs_a_login(client, ctx):
    assert client.get(URL).status_code == 401
    assert client.put(URL, json={"cockpit_cards": []}).status_code == 401
