"""One index from a series of 10-minute values: the 95 % value, compliance, and the
unbalance formulas. Pure: numbers in, numbers out.

The 95 % value is GB/T 15543's "95 % probability large value": sort the values from the
largest, drop the largest 5 % (rounded down), take the largest left. For n = 20 values
that is the second largest; for n < 20 it is the maximum. ``p95_low`` is the mirror
image (the smallest left after dropping the smallest 5 %): what a lower limit (power
factor, negative voltage deviation) is judged on.
"""
from __future__ import annotations

import cmath
import math
from collections.abc import Sequence

A = cmath.exp(2j * math.pi / 3)          # the operator a = 1 /120°


def p95(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values, reverse=True)
    return ordered[math.floor(0.05 * len(ordered))]


def p95_low(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.floor(0.05 * len(ordered))]


def compliance_pct(flags: Sequence[bool]) -> float | None:
    """Share of intervals within the limit, %; None without intervals."""
    if not flags:
        return None
    return 100.0 * sum(1 for f in flags if f) / len(flags)


def deviation_pct(u: float, nominal: float) -> float:
    """GB/T 12325: (measured - nominal) / nominal, %."""
    return 100.0 * (u - nominal) / nominal


def rms(values: Sequence[float]) -> float:
    """The RMS of RMS samples: how IEC 61000-4-30 aggregates into a longer interval."""
    return math.sqrt(sum(v * v for v in values) / len(values))


# --- unbalance -------------------------------------------------------------------------
def unbalance_from_line_voltages(uab: float, ubc: float, uca: float) -> float | None:
    """Exact negative-sequence unbalance u2 = U2/U1, %, from the three line-to-line
    magnitudes (GB/T 15543-2008 annex A; IEC 61000-4-30 5.7.1): line-to-line voltages
    have no zero sequence, so their magnitudes determine the triangle.

        beta = (Uab^4 + Ubc^4 + Uca^4) / (Uab^2 + Ubc^2 + Uca^2)^2
        u2   = sqrt((1 - sqrt(3 - 6 beta)) / (1 + sqrt(3 - 6 beta)))
    """
    s2 = uab * uab + ubc * ubc + uca * uca
    if s2 <= 0:
        return None
    beta = (uab ** 4 + ubc ** 4 + uca ** 4) / (s2 * s2)
    root = math.sqrt(max(0.0, 3.0 - 6.0 * beta))
    return 100.0 * math.sqrt((1.0 - root) / (1.0 + root))


def unbalance_from_phasors(va: complex, vb: complex, vc: complex) -> float | None:
    """Exact U2/U1, %, by symmetrical components from the three phasors:
    U1 = (Va + a Vb + a^2 Vc) / 3, U2 = (Va + a^2 Vb + a Vc) / 3."""
    u1 = (va + A * vb + A * A * vc) / 3
    u2 = (va + A * A * vb + A * vc) / 3
    return 100.0 * abs(u2) / abs(u1) if abs(u1) > 0 else None


def unbalance_from_magnitudes(a: float, b: float, c: float) -> float | None:
    """APPROXIMATE U2/U1, %, from phase magnitudes only, assuming the phases stay 120°
    apart (what RMS-only meters allow). With Va = a, Vb = b /-120°, Vc = c /120°:
    U1 = (a + b + c) / 3 and |U2| = sqrt(a² + b² + c² - ab - bc - ca) / 3, so

        u2 ~ sqrt(a² + b² + c² - ab - bc - ca) / (a + b + c)

    It ignores the angle displacement real unbalance also has, and a phase-to-neutral
    set also carries zero sequence; it is labelled ``approximate`` wherever shown. Not
    the largest deviation from the mean (a NEMA-style figure, about twice this)."""
    total = a + b + c
    if total <= 0:
        return None
    return 100.0 * math.sqrt(max(0.0, a * a + b * b + c * c - a * b - b * c - c * a)) / total


def max_deviation_from_mean(a: float, b: float, c: float) -> float | None:
    """Largest deviation from the mean, % of the mean: NOT GB/T 15543 (shown only to
    compare; the alarm rule's field approximation)."""
    mean = (a + b + c) / 3
    return 100.0 * max(abs(a - mean), abs(b - mean), abs(c - mean)) / mean if mean else None


def current_unbalance(a: float, b: float, c: float) -> float | None:
    """(max - min) / max, %, of the three phase currents."""
    top = max(a, b, c)
    return 100.0 * (top - min(a, b, c)) / top if top > 0 else None


def power_factor(p_kw: float | None, q_kvar: float | None, pf: float | None) -> float | None:
    """The interval's power factor: |P| / sqrt(P² + Q²) from the interval's mean powers
    (the energy ratio, not a mean of instantaneous power factors); the device's mean
    power factor when it reports no reactive power."""
    if p_kw is not None and q_kvar is not None:
        s = math.hypot(p_kw, q_kvar)
        return abs(p_kw) / s if s > 0 else None
    return abs(pf) if pf is not None else None


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r; None for fewer than 3 pairs or a constant series."""
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx == 0 or syy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / math.sqrt(sxx * syy)
