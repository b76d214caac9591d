"""Time-of-use tariffs, the pure core: a day's periods at 15-minute granularity.

A tariff version lists its periods as times of day, ``[{"period": "peak", "start":
"10:30", "end": "12:00"}, ...]``: sharp-peak / peak / flat / valley (尖峰 / 峰 / 平 / 谷).
Boundaries lie on quarter hours ("24:00" is the day's end; ``start > end`` wraps past
midnight, e.g. valley 23:00-07:00), and together they cover the day exactly once. Each
15-minute slot of energy is priced by the period the slot lies in (its local quarter
of the day), never by the hour it starts in: with peak from 10:30, the slots 10:00 and
10:15 are the previous period's and 10:30 and 10:45 are peak.
"""
from __future__ import annotations

import re

PERIODS = ("sharp", "peak", "flat", "valley")
QUARTERS = 96                      # 15-minute slots in a day
_HHMM = re.compile(r"^([0-2][0-9]):([0-5][0-9])$")


class TariffError(ValueError):
    """A tariff that cannot price a day; ``field`` names the offending input."""

    def __init__(self, field: str, message: str, code: str = "validation_error"):
        super().__init__(f"{field}: {message}")
        self.field, self.message, self.code = field, message, code


def quarter(value: str, field: str) -> int:
    """'10:30' -> 42 (quarters since midnight); '24:00' -> 96."""
    m = _HHMM.match(value or "")
    if not m:
        raise TariffError(field, "a time of day HH:MM")
    h, mi = int(m.group(1)), int(m.group(2))
    if h > 24 or (h == 24 and mi):
        raise TariffError(field, "a time of day from 00:00 to 24:00")
    if mi % 15:
        raise TariffError(field, "on a quarter hour (:00, :15, :30 or :45)",
                          code="not_quarter_hour")
    return h * 4 + mi // 15


def quarter_map(periods: list[dict]) -> list[str]:
    """The period of each of the day's 96 quarters; TariffError on an overlap, a gap,
    an unknown period name or a time off the quarter hour."""
    if not periods:
        raise TariffError("periods", "at least one period", code="tariff_uncovered")
    owner: list[int | None] = [None] * QUARTERS
    for i, p in enumerate(periods):
        if p.get("period") not in PERIODS:
            raise TariffError(f"periods.{i}.period", f"one of {', '.join(PERIODS)}")
        a = quarter(p.get("start"), f"periods.{i}.start")
        b = quarter(p.get("end"), f"periods.{i}.end")
        if a == 96:
            raise TariffError(f"periods.{i}.start", "before 24:00")
        if a == b:
            raise TariffError(f"periods.{i}.end", "differs from start")
        span = range(a, b) if a < b else [*range(a, QUARTERS), *range(0, b)]
        for q in span:
            if owner[q] is not None:
                raise TariffError(
                    f"periods.{i}.start",
                    f"overlaps periods.{owner[q]} at {q // 4:02d}:{q % 4 * 15:02d}",
                    code="tariff_overlap")
            owner[q] = i
    missing = [q for q in range(QUARTERS) if owner[q] is None]
    if missing:
        q = missing[0]
        raise TariffError("periods", f"{len(missing) * 15} minutes of the day have no period, "
                          f"from {q // 4:02d}:{q % 4 * 15:02d}", code="tariff_uncovered")
    return [periods[i]["period"] for i in owner]


def check_prices(periods: list[dict], prices: dict) -> dict[str, float]:
    """Every period used has a price (>= 0) per kWh; prices of unused periods are kept."""
    out = {}
    for name, value in (prices or {}).items():
        if name not in PERIODS:
            raise TariffError(f"prices.{name}", f"not a period; one of {', '.join(PERIODS)}")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0 \
                or value != value or value > 1e6:
            raise TariffError(f"prices.{name}", "a price per kWh, 0 or more")
        out[name] = float(value)
    for p in {p["period"] for p in periods}:
        if p not in out:
            raise TariffError(f"prices.{p}", "the price of a period used", code="price_missing")
    return out


def slot_cost(kwh_by_quarter: dict[int, float], qmap: list[str],
              prices: dict[str, float]) -> tuple[float, dict[str, float]]:
    """(cost, kWh per period) of energy given per quarter of the day."""
    by_period: dict[str, float] = {}
    cost = 0.0
    for q, kwh in kwh_by_quarter.items():
        p = qmap[q]
        by_period[p] = by_period.get(p, 0.0) + kwh
        cost += kwh * prices[p]
    return cost, by_period
