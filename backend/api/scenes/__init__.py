"""Scenes: named lists of actions, run on demand (docs/automation.md)."""
