"""KPI denominators per month for a site or an area (managers write; docs/energy.md
"KPIs"). Thin."""
from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud
from backend.api.energy_denominators.schemas import (
    DenominatorPutSchema,
    DenominatorQueryArgsSchema,
    DenominatorSchema,
)
from backend.energy.kpis import denominators

blp = Blueprint("energy_denominators", __name__, url_prefix="/api/v1",
                description="KPI denominators (persons, floor m², detainee-days) per month")

register_crud(blp, denominators, DenominatorSchema, DenominatorPutSchema,
              DenominatorQueryArgsSchema, path="/energy-denominators")
