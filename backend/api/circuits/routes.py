from backend.api.blueprint import Blueprint
from backend.api.circuits.schemas import CircuitPutSchema, CircuitQueryArgsSchema, CircuitSchema
from backend.api.crud import register_crud
from backend.facility.operations import circuits

blp = Blueprint("circuits", __name__, url_prefix="/api/v1/circuits",
                description="Circuits of a site (scoped to your sites)")

register_crud(blp, circuits, CircuitSchema, CircuitPutSchema, CircuitQueryArgsSchema, path="")
