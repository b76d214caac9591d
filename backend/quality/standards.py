"""The limits power quality is judged against, each with the clause it comes from.

Kept as data (no I/O). docs/quality.md explains each; the numbers are the standards'
(GB/T 12325-2008, GB/T 15543-2008, GB/T 15945-2008, GB/T 14549-1993) and, for events,
IEC 61000-4-30 / EN 50160 thresholds on the declared voltage.
"""
from __future__ import annotations

from dataclasses import dataclass

NOMINAL_HZ = 50.0
INTERVAL_S = 600                   # the aggregation interval: 10 minutes (IEC 61000-4-30)


@dataclass(frozen=True)
class DeviationLimit:
    upper_pct: float
    lower_pct: float               # negative
    clause: str
    supply: str                    # what it applies to


# GB/T 12325-2008 供电电压偏差: 4.1 35 kV and above, |+dev| + |-dev| <= 10 % (not used
# here: no monitoring point of a low-voltage site is at 35 kV); 4.2 three-phase 20 kV and
# below: +-7 % of the nominal voltage; 4.3 220 V single-phase: +7 %, -10 %.
THREE_PHASE = DeviationLimit(7.0, -7.0, "GB/T 12325-2008 4.2", "three-phase <= 20 kV")
SINGLE_PHASE = DeviationLimit(7.0, -10.0, "GB/T 12325-2008 4.3", "220 V single-phase")


def deviation_limit(phases: int) -> DeviationLimit:
    return THREE_PHASE if phases == 3 else SINGLE_PHASE


# GB/T 15543-2008 三相电压不平衡, 4.1: at the point of common coupling, in normal
# operation the negative-sequence voltage unbalance <= 2 %, short-time <= 4 %. Its
# measurement clauses judge the 95 % probability value of the measured values against
# 2 % and their maximum against 4 %: what report.voltage_unbalance does.
UNBALANCE_NORMAL_PCT = 2.0
UNBALANCE_SHORT_PCT = 4.0
UNBALANCE_CLAUSE = "GB/T 15543-2008 4.1"

# Current unbalance has no GB/T limit at a feeder: (max - min) / max, judged against the
# alarm rule's warning (backend/alarms/catalogue.py current_imbalance, 25 %), only while
# the most loaded phase carries CURRENT_MIN_LOAD of In (1 A without a rating).
CURRENT_UNBALANCE_PCT = 25.0
CURRENT_MIN_LOAD = 0.1
CURRENT_MIN_A = 1.0

# GB/T 15945-2008 电力系统频率偏差, 3.1: +-0.2 Hz in normal operation (+-0.5 Hz allowed
# for small systems); only while the point is energised.
FREQUENCY_LIMIT_HZ = 0.2
FREQUENCY_CLAUSE = "GB/T 15945-2008 3.1"

# Power factor: no national limit at a feeder; a target (setting
# ``quality_power_factor_target``, default 0.9: the usual tariff adjustment threshold
# for 100 kVA and above). Intervals with less than PF_MIN_KW of load are skipped.
PF_MIN_KW = 0.05

# GB/T 14549-1993 公用电网谐波, 4 table 1: voltage THD and individual harmonic limits
# per nominal voltage (kV): (THD %, odd %, even %).
HARMONIC_LIMITS = {0.38: (5.0, 4.0, 2.0), 6: (4.0, 3.2, 1.6), 10: (4.0, 3.2, 1.6),
                   35: (3.0, 2.4, 1.2), 66: (3.0, 2.4, 1.2), 110: (2.0, 1.6, 0.8)}
HARMONIC_CLAUSE = "GB/T 14549-1993 4, table 1"

# Events, on the declared (nominal) phase voltage: IEC 61000-4-30 5.4 dips and swells
# (dip threshold 90 %, swell 110 %), 5.5 interruptions (threshold 10 %, as GB/T 30137
# uses); EN 50160 3.17/3.18: an interruption of up to 3 minutes is short, longer is long.
SAG_PCT = 90.0
SWELL_PCT = 110.0
INTERRUPTION_PCT = 10.0
SHORT_INTERRUPTION_MAX_S = 180.0
EVENT_CLAUSE = "IEC 61000-4-30 5.4/5.5, EN 50160"
