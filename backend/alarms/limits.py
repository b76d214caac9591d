"""Effective rule limits: the catalogue's defaults overlaid with a site's overrides.

Resolution per (rule, level), field by field: device > circuit category > site >
catalogue default. An override row may change only some fields (NULL = inherit).
Pure: the rows are given by the caller (``backend/alarms/rules.py`` loads them).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from backend.alarms.catalogue import ALL_RULES

FIELDS = ("enabled", "threshold", "clear_threshold", "hold_seconds")
SCOPE_ORDER = ("site", "category", "device")       # later wins


@dataclass(frozen=True)
class EffectiveLimit:
    enabled: bool
    threshold: float
    clear: float
    hold: float
    source: str            # the most specific scope that changed anything: default/site/...


@dataclass(frozen=True)
class Override:
    site_id: int
    scope: str
    category: str | None
    device_id: int | None
    rule: str
    level: str
    enabled: bool | None = None
    threshold: float | None = None
    clear_threshold: float | None = None
    hold_seconds: float | None = None


class Overrides:
    """A site's override rows indexed for lookup on the evaluation hot path."""

    def __init__(self, rows=()):
        self._by: dict[tuple, Override] = {}
        self._sites: set[int] = set()
        for r in rows:
            o = r if isinstance(r, Override) else Override(
                r.site_id, r.scope, r.category, r.device_id, r.rule, r.level, r.enabled,
                r.threshold, r.clear_threshold, r.hold_seconds)
            target = {"site": None, "category": o.category, "device": o.device_id}[o.scope]
            self._by[(o.site_id, o.scope, target, o.rule, o.level)] = o
            self._sites.add(o.site_id)
        self._cache: dict[tuple, dict[str, EffectiveLimit]] = defaultdict(dict)

    def resolve(self, rule_key: str, site_id: int, category: str | None,
                device_id: int | None, scale: float = 1.0) -> dict[str, EffectiveLimit]:
        """level -> EffectiveLimit for every level the rule defines. ``scale``: the
        device's nominal against the catalogue's (``catalogue.voltage_scale``, for rules
        in volts): thresholds from the catalogue, the site or a category are stated for
        the catalogue's nominal and are scaled; a device's own override is in its volts."""
        key = (rule_key, site_id, category, device_id, scale)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        rule = ALL_RULES[rule_key]
        out = {}
        for level, limit in rule.levels.items():
            eff = {"enabled": True, "threshold": limit.threshold,
                   "clear_threshold": limit.clear, "hold_seconds": limit.hold}
            source = "default"
            own = set()                       # fields the device's own row set
            if site_id in self._sites:
                for scope, target in (("site", None), ("category", category),
                                      ("device", device_id)):
                    if scope != "site" and target is None:
                        continue
                    o = self._by.get((site_id, scope, target, rule_key, level))
                    if o is None:
                        continue
                    for f in FIELDS:
                        if getattr(o, f) is not None:
                            eff[f] = getattr(o, f)
                            source = scope
                            if scope == "device":
                                own.add(f)
            th, cl = float(eff["threshold"]), float(eff["clear_threshold"])
            if scale != 1.0:
                th = th if "threshold" in own else th * scale
                cl = cl if "clear_threshold" in own else cl * scale
            out[level] = EffectiveLimit(bool(eff["enabled"]), th, cl,
                                        float(eff["hold_seconds"]), source)
        self._cache[key] = out
        return out
