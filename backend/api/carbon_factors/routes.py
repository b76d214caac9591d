"""Carbon factors per site and year (admins write; docs/energy.md "Carbon"). Thin."""
from backend.api.blueprint import Blueprint
from backend.api.carbon_factors.schemas import (
    CarbonFactorPutSchema,
    CarbonFactorQueryArgsSchema,
    CarbonFactorSchema,
)
from backend.api.crud import register_crud
from backend.energy.pricing import carbon_factors

blp = Blueprint("carbon_factors", __name__, url_prefix="/api/v1",
                description="Carbon factors (kgCO2/kWh) per site and year")

register_crud(blp, carbon_factors, CarbonFactorSchema, CarbonFactorPutSchema,
              CarbonFactorQueryArgsSchema, path="/carbon-factors")
