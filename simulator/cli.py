"""``gridwarden simulate``: serve a simulated breaker fleet; ``simulate fault|show|status``
talk to a running one through its HTTP API. ``register(main)`` adds the command group to
the ``gridwarden`` CLI through the ``gridwarden.commands`` entry point (pyproject.toml). Details: simulator/README.md.
"""
from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import click

DEFAULT_API = "http://127.0.0.1:8790"


def _time_of_day(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        hh, mm = value.split(":")
        return int(hh) * 3600 + int(mm) * 60
    except ValueError as exc:
        raise click.BadParameter(f"{value!r}: expected HH:MM") from exc


@click.group("simulate", invoke_without_command=True)
@click.option("--facility", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Site description (the `gridwarden import` YAML): its gateways and devices.")
@click.option("--gateways", type=click.IntRange(1, 1000), help="Generate this many gateways ...")
@click.option("--breakers-per-gateway", type=click.IntRange(1, 247),
              help="... each with this many gw-breakers (unit ids 1..N).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address every gateway listens on.")
@click.option("--base-port", type=click.IntRange(0, 65535),
              help="Gateway i listens on BASE+i (default: the file's ports; 15020 for counts; "
                   "0: any free port).")
@click.option("--http-port", type=click.IntRange(-1, 65535), default=8790, show_default=True,
              help="Fault-injection HTTP API on 127.0.0.1 (-1: off, 0: any free port).")
@click.option("--tick", type=click.FloatRange(0.01, 60), default=1.0, show_default=True,
              help="Seconds between simulation steps.")
@click.option("--speed", type=click.FloatRange(0.001, 100000), default=1.0, show_default=True,
              help="Simulated seconds per real second (load curves, energy, delays).")
@click.option("--start-time", help="Simulated time of day at start, HH:MM (default: now).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--reclose-delay", type=click.FloatRange(0, 600),
              help="Breakers' auto-reclose delay in s (device default 30).")
@click.option("--bus-baud", type=click.IntRange(0, 1_000_000), default=0, show_default=True,
              help="Emulate an RS-485 bus behind every gateway at this baud rate (0: off).")
@click.option("--bus-turnaround-ms", type=click.FloatRange(0, 1000), default=0.0,
              show_default=True, help="Device turnaround per request on the emulated bus.")
@click.option("--processes", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Serve the gateways from this many processes (each models the whole "
                   "fleet; see simulator/multi.py).")
@click.option("--knx", "knx_bus", metavar="HOST:PORT", default=None,
              help="Put actuators for the facility's knx_group devices on this knxd "
                   "(KNXnet/IP tunnelling).")
@click.option("--profile-dir", "profile_dirs", multiple=True,
              type=click.Path(exists=True, file_okay=False),
              help="A directory of a site's own device profiles (repeatable), as "
                   "GW_PROFILE_DIRS gives the platform.")
@click.option("--demo-faults", type=click.Choice(["on", "off"]), default="off",
              show_default=True,
              help="Inject a realistic fault now and then by itself (simulator/demo_faults.py; "
                   "the seed is --seed).")
@click.option("--demo-faults-delay", type=click.FloatRange(0), default=180.0, show_default=True,
              help="Simulated seconds to the first demo fault.")
@click.option("--demo-faults-ramp", type=click.FloatRange(1), default=300.0, show_default=True,
              help="Simulated seconds a demo fault's value takes to creep to its peak (its "
                   "hold is twice that).")
@click.pass_context
def simulate(ctx, facility, gateways, breakers_per_gateway, host, base_port, http_port, tick,
             speed, start_time, seed, reclose_delay, bus_baud, bus_turnaround_ms,
             processes, knx_bus, profile_dirs, demo_faults, demo_faults_delay,
             demo_faults_ramp) -> None:
    """Serve a simulated fleet of IoT breakers, meters and sensors over Modbus TCP.

    From a site description (--facility FILE) or from counts (--gateways G
    --breakers-per-gateway N). One TCP port per gateway; unit ids as in the file.
    Subcommands (fault, show, status) talk to a running simulator.
    """
    if ctx.invoked_subcommand is not None:
        return
    import asyncio
    import gc

    from simulator.bus import BusConfig
    from simulator.engine import SimConfig, Simulator
    from simulator.fleet import FleetError, from_counts, from_facility

    if (facility is None) == (gateways is None):
        raise click.UsageError("give either --facility FILE or --gateways G "
                               "--breakers-per-gateway N")
    try:
        if facility is not None:
            fleet = from_facility(facility, profile_dirs=profile_dirs)
            for i, g in enumerate(fleet.gateways):
                if base_port is not None:
                    g.port = base_port + i if base_port else 0
        else:
            fleet = from_counts(gateways, breakers_per_gateway or 10, host=host,
                                base_port=15020 if base_port is None else base_port, seed=seed)
    except FleetError as exc:
        raise click.ClickException(str(exc)) from exc
    config = SimConfig(tick=tick, speed=speed, seed=seed, start_time=_time_of_day(start_time),
                       reclose_delay=reclose_delay, bus=BusConfig(bus_baud, bus_turnaround_ms),
                       host=host, http_port=None if http_port < 0 else http_port,
                       profile_dirs=tuple(profile_dirs))
    if demo_faults == "on":
        from simulator.demo_faults import Settings as FaultSettings

        config.demo_faults = FaultSettings(seed=seed, first_delay=demo_faults_delay,
                                           ramp=demo_faults_ramp, hold=2 * demo_faults_ramp)

    def ready(gateways, devices: int, api_url: str | None) -> None:
        """The start-up lines (tools read the ports from them)."""
        for code, gw_host, port, transport, n in gateways:
            click.echo(f"gateway {code}: {gw_host}:{port} ({transport}), {n} devices")
        for line in fleet.skipped:
            click.echo(f"skipped {line}", err=True)
        bus = f", RS-485 {bus_baud} baud" if bus_baud else ""
        procs = f" in {processes} processes" if processes > 1 else ""
        click.echo(f"simulator ready: {devices} devices behind {len(gateways)} "
                   f"gateways{bus}{procs}; fault API {api_url or 'off'}")
        sys.stdout.flush()

    async def run() -> None:
        sim = Simulator(fleet, config)
        gc.freeze()     # the fleet model lives as long as the process: not worth scanning
        await sim.start()
        # Held here: the event loop keeps only a weak reference to a task, and the KNX task
        # waits on an Event nobody else holds, so unreferenced it was garbage-collected
        # mid-run (its `finally` awaiting: "coroutine ignored GeneratorExit"), and the KNX
        # actuators vanished with it (groups that never came online).
        knx_task = None
        if knx_bus and facility is not None:
            from simulator import knx

            knx_host, _, knx_port = knx_bus.rpartition(":")
            knx_task = asyncio.get_running_loop().create_task(
                knx.run(knx.from_facility(facility), knx_host, int(knx_port)))
        ready([(g.code, g.host, g.port, g.spec.transport, len(g.devices))
               for g in sim.gateways.values()], len(sim.devices), sim.http_url)
        try:
            await asyncio.Event().wait()
        finally:
            if knx_task is not None:
                knx_task.cancel()
                await asyncio.gather(knx_task, return_exceptions=True)
            await sim.stop()

    try:
        if processes > 1:
            _run_workers(fleet, config, processes, ready)
        else:
            asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise click.ClickException(f"cannot listen: {exc}") from exc


def _run_workers(fleet, config, processes: int, ready) -> None:
    """``--processes N``: workers serve the gateways, this process the fault API; runs
    until interrupted or terminated (SIGTERM stops the workers too)."""
    import signal
    import threading

    from simulator.engine import CLASSES
    from simulator.multi import start_workers, stop_workers

    modelled = [d for d in fleet.devices if d.kind in CLASSES]
    fleet.skipped.extend(f"{d.code}: kind {d.kind!r} is not simulated"
                         for d in fleet.devices if d.kind not in CLASSES)
    workers, api = start_workers(fleet, config, processes)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        ready([g for w in workers for g in w.gateways],
              len(modelled), api.url if api else None)
        while not stop.wait(1.0):
            if not all(w.process.is_alive() for w in workers):
                raise click.ClickException("a simulator worker process died")
    finally:
        stop_workers(workers, api)


def _call(api: str, method: str, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(api.rstrip("/") + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as rsp:
            return json.loads(rsp.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error")
        except ValueError:
            message = exc.reason
        raise click.ClickException(f"{exc.code}: {message}") from exc
    except urllib.error.URLError as exc:
        raise click.ClickException(f"no simulator API at {api}: {exc.reason}") from exc


def _pairs(items, what: str) -> dict:
    out = {}
    for item in items:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint=what)
        try:
            out[name] = json.loads(raw)
        except ValueError:
            out[name] = raw
    return out


api_option = click.option("--api", default=DEFAULT_API, show_default=True,
                          help="The running simulator's HTTP API.")


@simulate.command("fault")
@click.argument("target")
@click.option("--gateway", "is_gateway", is_flag=True, help="TARGET is a gateway code.")
@click.option("--set", "sets", multiple=True, metavar="NAME=VALUE",
              help="Inject a value: voltage=280, current_a=90, temperature=95, leakage=45, "
                   "water_leak=true, water_level=45 (a level sensor; trips its float switch); "
                   "NAME=null removes it.")
@click.option("--clear", "clears", multiple=True, metavar="NAME", help="Remove an injection.")
@click.option("--clear-all", is_flag=True, help="Remove every injected value.")
@click.option("--setting", "settings", multiple=True, metavar="NAME=VALUE",
              help="Change a device setting, e.g. residual_protection=true.")
@click.option("--trip", metavar="CAUSE", help="Trip the breaker now (over_voltage, test, ...).")
@click.option("--mode", type=click.Choice(["auto", "manual", "maintenance"]),
              help="Turn the breaker's mode switch.")
@click.option("--hand", type=click.Choice(["open", "closed"]), help="Operate the handle.")
@click.option("--silent/--answer", default=None, help="Stop / resume answering Modbus.")
@click.option("--latency-ms", type=click.FloatRange(0), help="Extra response delay.")
@click.option("--bus-baud", type=click.IntRange(0), help="Gateway: RS-485 emulation baud (0 off).")
@click.option("--bus-turnaround-ms", type=click.FloatRange(0), help="Gateway: turnaround.")
@click.option("--sag", type=click.FloatRange(0, 1), metavar="FACTOR",
              help="Power quality: the device's circuit and everything below it at FACTOR "
                   "of the voltage (0.7: a sag to 70 %).")
@click.option("--swell", type=click.FloatRange(1, 2), metavar="FACTOR",
              help="Power quality: the voltage at FACTOR (1.15: a swell to 115 %).")
@click.option("--interrupt", is_flag=True, help="Power quality: no voltage (an interruption).")
@click.option("--unbalance", type=click.FloatRange(0, 30), metavar="PCT",
              help="Power quality: a negative-sequence voltage unbalance of PCT %.")
@click.option("--frequency", type=click.FloatRange(45, 55), metavar="HZ",
              help="Power quality: the site supply's frequency (every device).")
@click.option("--harmonics", type=click.FloatRange(0, 100), metavar="THD",
              help="Power quality: voltage THD % (only profiles that report harmonics).")
@click.option("--for", "seconds", type=click.FloatRange(0, min_open=True), metavar="S",
              help="The disturbance lasts S simulated seconds (default: until --undisturb).")
@click.option("--undisturb", is_flag=True, help="Remove the disturbance.")
@click.option("--transfer-to", metavar="BREAKER",
              help="Dual-power transfer: TARGET (the normal supply's breaker) opens now, "
                   "BREAKER (the standby's) closes after --gap-ms.")
@click.option("--gap-ms", type=click.FloatRange(0, 600_000), default=None,
              help="With --transfer-to: the dead time in ms (default 0).")
@api_option
def fault(target, is_gateway, sets, clears, clear_all, settings, trip, mode, hand, silent,
          latency_ms, bus_baud, bus_turnaround_ms, sag, swell, interrupt, unbalance,
          frequency, harmonics, seconds, undisturb, transfer_to, gap_ms, api) -> None:
    """Inject a fault into a device (or, with --gateway, a gateway) of a running simulator.

    Power quality: gridwarden simulate fault QF-AA1-WL1 --sag 0.7 --for 30

    Dual-power switch-over: gridwarden simulate fault QF-N --transfer-to QF-S --gap-ms 1500"""
    ops: dict = {}
    if gap_ms is not None and not transfer_to:
        raise click.UsageError("--gap-ms goes with --transfer-to")
    if transfer_to:
        ops["transfer"] = {"to": transfer_to, "gap_ms": gap_ms or 0}
    levels = [v for v in (sag, swell, 0.0 if interrupt else None) if v is not None]
    if len(levels) > 1:
        raise click.UsageError("one of --sag, --swell, --interrupt")
    disturb = {k: v for k, v in (("voltage", levels[0] if levels else None),
                                 ("unbalance", unbalance), ("frequency", frequency),
                                 ("harmonics", harmonics), ("seconds", seconds))
               if v is not None}
    if undisturb and disturb:
        raise click.UsageError("--undisturb with a disturbance")
    if undisturb:
        ops["disturb"] = None
    elif disturb:
        if set(disturb) == {"seconds"}:
            raise click.UsageError("--for needs a disturbance (--sag, --swell, ...)")
        ops["disturb"] = disturb
    if sets:
        ops["set"] = _pairs(sets, "--set")
    if clear_all:
        ops["clear"] = True
    elif clears:
        ops["clear"] = list(clears)
    if settings:
        ops["settings"] = _pairs(settings, "--setting")
    for key, value in (("trip", trip), ("mode", mode), ("hand", hand), ("silent", silent),
                       ("latency_ms", latency_ms)):
        if value is not None:
            ops[key] = value
    bus = {k: v for k, v in (("baud", bus_baud), ("turnaround_ms", bus_turnaround_ms))
           if v is not None}
    if bus:
        ops["bus"] = bus
    if not ops:
        raise click.UsageError("nothing to do: give at least one operation")
    kind = "gateways" if is_gateway else "devices"
    click.echo(json.dumps(_call(api, "POST", f"/api/{kind}/{target}", ops),
                          ensure_ascii=False, indent=2))


@simulate.command("show")
@click.argument("target")
@click.option("--gateway", "is_gateway", is_flag=True, help="TARGET is a gateway code.")
@api_option
def show(target, is_gateway, api) -> None:
    """Show a device's (or gateway's) current values, settings and injections."""
    kind = "gateways" if is_gateway else "devices"
    click.echo(json.dumps(_call(api, "GET", f"/api/{kind}/{target}"), ensure_ascii=False,
                          indent=2))


@simulate.command("status")
@api_option
def status(api) -> None:
    """The running simulator's clock, step time and gateways."""
    click.echo(json.dumps(_call(api, "GET", "/api/status"), ensure_ascii=False, indent=2))


def register(main_group: click.Group) -> None:
    from simulator.history import demo

    main_group.add_command(simulate)
    main_group.add_command(demo)
