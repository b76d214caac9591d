"""bench_poll's report: the markdown tables and notes."""
from __future__ import annotations

import platform
import statistics

from poll_measure import Cycle


def med(values):
    return statistics.median(values)


def spread(values, fmt="{:.3f}"):
    if not values:
        return ""
    return f"{fmt.format(med(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def table(args, cols: list[tuple[str, str, list[Cycle], int]], bus_min=None,
          ref: list[Cycle] | None = None) -> list[str]:
    """cols: (title, kind: ours|ref|naive, cycles, fleet size the cycle extrapolates to)."""
    lines = ["| per full cycle (fast + normal plan of every breaker) | "
             + " | ".join(c[0] for c in cols) + " |", "|---|" + "---|" * len(cols)]

    def row(label, fn, kinds=("ours", "ref", "naive")):
        cells = []
        for title, kind, cycles, fleet in cols:
            cells.append(fn(cycles, fleet, kind) if kind in kinds and cycles else "")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    def per(cycles, attr):
        return [getattr(c, attr) / max(c.readings, 1) for c in cycles]

    row("breakers polled per cycle", lambda cs, f, k: f"{med([c.readings for c in cs]):,.0f}"
        + (f" of {f:,}" if med([c.readings for c in cs]) < f else ""))
    row("cycles measured (after warm-up)", lambda cs, f, k: str(len(cs)))
    row("Modbus requests per breaker",
        lambda cs, f, k: f"{med([c.requests / max(c.readings, 1) for c in cs]):.1f}")
    row("**cycle time** for the whole fleet, s: median (min–max)",
        lambda cs, f, k: spread([x * f for x in per(cs, "seconds")],
                                "{:.1f}" if k == "naive" else "{:.3f}")
        + (" *(extrapolated)*" if med([c.readings for c in cs]) < f and k == "naive" else ""))
    row("… polling + decoding, s",
        lambda cs, f, k: spread([x * f for x in per(cs, "poll")],
                                "{:.1f}" if k == "naive" else "{:.3f}"))
    row("… storing: `ingest()` (naive: INSERT per row), s",
        lambda cs, f, k: spread([x * f for x in per(cs, "ingest" if k == "ours" else "store")],
                                "{:.1f}" if k == "naive" else "{:.3f}"), ("ours", "naive"))
    row("… storing: `record_poll_results()`, s",
        lambda cs, f, k: spread([x * f for x in per(cs, "record")]), ("ours",))
    row("**breaker readings stored per second**",
        lambda cs, f, k: spread([c.readings / c.seconds for c in cs], "{:,.0f}"),
        ("ours", "naive"))
    row("breaker readings polled + decoded per second (storing excluded)",
        lambda cs, f, k: spread([c.readings / c.poll for c in cs], "{:,.0f}"))
    row("reading rows stored per second",
        lambda cs, f, k: spread([c.rows / c.seconds for c in cs], "{:,.0f}"), ("ours", "naive"))
    row("rows per breaker reading",
        lambda cs, f, k: f"{med([c.rows / max(c.readings, 1) for c in cs]):.1f}",
        ("ours", "naive"))
    row("**poller CPU per breaker reading**, ms",
        lambda cs, f, k: spread([1000 * x for x in per(cs, "cpu")]))
    if ref:
        ref_cpu = med(per(ref, "cpu"))
        row("... / the reference client's (target ≤ 1.5x)",
            lambda cs, f, k: f"**{med(per(cs, 'cpu')) / ref_cpu:.2f}x**", ("ours",))
    row("… of which polling + decoding, ms",
        lambda cs, f, k: spread([1000 * x for x in per(cs, "poll_cpu")]), ("ours", "naive"))
    row("**whole cycle / its polling time** (target ≤ 1.2x)",
        lambda cs, f, k: f"**{med([c.seconds / c.poll for c in cs]):.2f}x**", ("ours",))
    row("simulator CPU per breaker reading, ms (its own process, idle stepping excluded)",
        lambda cs, f, k: spread([1000 * x for x in per(cs, "sim_cpu")]))
    row("… in the cyclic garbage collector, ms per cycle (full collections)",
        lambda cs, f, k: f"{med([1000 * c.extra.get('gc', 0) for c in cs]):.0f} "
                         f"({sum(c.extra.get('gc_full', 0) for c in cs)})", ("ours",))
    row("failed device reads (all cycles)", lambda cs, f, k: str(sum(c.failed for c in cs)))
    if bus_min is not None:
        strict = bus_min[0]

        def vs(cs, f, attr):
            return f"**{med([x * f for x in per(cs, attr)]) / strict:.2f}x**"
        row(f"bus-limited minimum cycle, s ({args.baud} baud)",
            lambda cs, f, k: f"{strict:.3f}")
        row("**polling time / bus-limited minimum** (target ≤ 1.15x)",
            lambda cs, f, k: vs(cs, f, "poll"))
        row("whole cycle incl. storing / bus-limited minimum",
            lambda cs, f, k: vs(cs, f, "seconds"), ("ours", "naive"))
    return lines


def report(args, results: dict, meta: dict) -> str:
    fleet = args.gateways * args.per_gateway
    lines = [(f"Fleet: {fleet:,} gw-breakers behind {args.gateways} gateways "
              f"({args.per_gateway} per gateway). Machine: {meta['cpus']} CPUs "
              f"({meta['cpu']}), Python {platform.python_version()}, {meta['date']}."), ""]
    ours = "ours (stored while polling, as the poll job)"
    seq = "ours, stored after polling (as before)"
    cols = [(ours, "ours", results.get("ours"), fleet),
            (seq, "ours", results.get("seq"), fleet),
            ("reference: bare client, no decode/store", "ref", results.get("ref"), fleet),
            ("naive", "naive", results.get("naive"), fleet)]
    lines += ["**No bus latency** (plain Modbus TCP devices)", ""]
    lines += table(args, [c for c in cols if c[2]], ref=results.get("ref"))
    for key, title in (("naive", "no bus latency"), ("naive_bus", f"bus {args.baud} baud")):
        cs = results.get(key)
        if cs:
            per = med([(c.poll + c.extra["ingest_store"]) / max(c.readings, 1) for c in cs])
            cpu = med([(c.poll_cpu + c.extra["ingest_cpu"]) / max(c.readings, 1) for c in cs])
            meta.setdefault("notes", []).append(
                f"Naive polling ({title}) stored through `ingest()` instead of per-row "
                f"INSERTs: {1 / per:,.1f} breaker readings/s, {1000 * cpu:.2f} ms CPU per "
                f"reading.")
    if "ours_bus" in results:
        n_sub = args.bus_subset
        cols = [(ours, "ours", results.get("ours_bus"), fleet),
                (seq, "ours", results.get("seq_bus"), fleet),
                ("reference: bare client, no decode/store", "ref", results.get("ref_bus"),
                 fleet),
                ("naive", "naive", results.get("naive_bus"), fleet)]
        lines += ["", (f"**RS-485 emulation at {args.baud} baud** (turnaround "
                       f"{args.turnaround_ms:g} ms; one exchange at a time per gateway)"), ""]
        lines += table(args, [c for c in cols if c[2]], meta["bus_min"],
                       ref=results.get("ref_bus"))
        if results.get("ours_bus_subset"):
            cs = results["ours_bus_subset"]
            strict = meta["bus_min_subset"][0]
            ratio = med([c.poll for c in cs]) / strict
            lines += ["", (f"Same simulator (all {args.gateways} gateways served), our poller "
                           f"polling only {n_sub} of them ({n_sub * args.per_gateway} breakers,"
                           f" no storing): polling time {spread([c.poll for c in cs])} s "
                           f"against a bus-limited minimum of {strict:.3f} s: "
                           f"**{ratio:.2f}x**.")]
    notes = meta.get("notes", [])
    if meta.get("bus_min"):
        strict, per_rate = meta["bus_min"]
        notes.append(f"Bus-limited minimum: the slowest gateway's sum of exchange times over "
                     f"both plans ({strict:.3f} s); with the fast cycle finished on every "
                     f"gateway before the normal one starts, as here and as two poll jobs do, "
                     f"the floor is {per_rate:.3f} s.")
    if meta.get("sim_idle"):
        notes.append(f"Simulator idle (stepping its {fleet:,} devices every {args.tick:g} s, "
                     f"in every process): no bus / bus ({args.sim_processes} processes): "
                     + " / ".join(f"{100 * r:.0f} %" for r in meta["sim_idle"])
                     + " of a core; left out of its per-reading CPU.")
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines)
