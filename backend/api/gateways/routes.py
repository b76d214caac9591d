from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud
from backend.api.gateways.schemas import GatewayPutSchema, GatewayQueryArgsSchema, GatewaySchema
from backend.facility.operations import gateways

blp = Blueprint("gateways", __name__, url_prefix="/api/v1/gateways",
                description="Gateways of a site (scoped to your sites)")

register_crud(blp, gateways, GatewaySchema, GatewayPutSchema, GatewayQueryArgsSchema, path="")
