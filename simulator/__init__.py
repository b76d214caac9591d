"""GridWarden breaker-fleet simulator: pymodbus servers, one per gateway, serving simulated
breakers, meters and sensors through their YAML profiles, with fault injection.

    from simulator import SimConfig, SimulatorThread, from_counts, from_facility
    with SimulatorThread(from_counts(2, 10, base_port=0), SimConfig(http_port=0)) as st:
        port = st.sim.gateways["GW001"].port

Command line: ``gridwarden simulate`` (simulator/cli.py). See simulator/README.md.
"""
from simulator.bus import BusConfig, exchange_time
from simulator.engine import SimConfig, Simulator, SimulatorThread
from simulator.faults import FaultError, apply
from simulator.fleet import FleetError, FleetSpec, from_counts, from_facility

__all__ = ["BusConfig", "FaultError", "FleetError", "FleetSpec", "SimConfig", "Simulator",
           "SimulatorThread", "apply", "exchange_time", "from_counts", "from_facility"]
