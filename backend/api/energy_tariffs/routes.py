"""Time-of-use tariff versions per site (admins write; docs/energy.md "Cost"). Thin."""
from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud
from backend.api.energy_tariffs.schemas import (
    TariffPutSchema,
    TariffQueryArgsSchema,
    TariffSchema,
)
from backend.energy.pricing import tariffs

blp = Blueprint("energy_tariffs", __name__, url_prefix="/api/v1",
                description="Time-of-use tariffs: versions over time, sharp/peak/flat/valley "
                            "periods at 15-minute granularity")

register_crud(blp, tariffs, TariffSchema, TariffPutSchema, TariffQueryArgsSchema,
              path="/energy-tariffs")
