from backend.api.areas.schemas import AreaPutSchema, AreaQueryArgsSchema, AreaSchema
from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud
from backend.facility.operations import areas

blp = Blueprint("areas", __name__, url_prefix="/api/v1/areas",
                description="Areas of a site (scoped to your sites)")

register_crud(blp, areas, AreaSchema, AreaPutSchema, AreaQueryArgsSchema, path="")
