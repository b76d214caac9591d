"""``python -m simulator ...`` is ``gridwarden simulate ...`` (without the rest of the CLI)."""
from simulator.cli import simulate

if __name__ == "__main__":
    simulate(prog_name="python -m simulator")
