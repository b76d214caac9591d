"""``python -m standins --port 8791``: the same as ``gridwarden standins``."""
from standins.cli import standins

if __name__ == "__main__":
    standins(prog_name="python -m standins")
