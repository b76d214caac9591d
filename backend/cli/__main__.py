"""``python -m backend.cli ...`` is the ``gridwarden`` command."""
from backend.cli import main

if __name__ == "__main__":
    main(prog_name="gridwarden")
