from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud
from backend.api.knx_gateways.schemas import (
    KnxGatewayPutSchema,
    KnxGatewayQueryArgsSchema,
    KnxGatewaySchema,
)
from backend.facility.operations import knx_gateways

blp = Blueprint("knx_gateways", __name__, url_prefix="/api/v1/knx-gateways",
                description="KNXnet/IP gateways of a site for KNX lighting (scoped to your "
                            "sites; docs/knx.md)")

register_crud(blp, knx_gateways, KnxGatewaySchema, KnxGatewayPutSchema,
              KnxGatewayQueryArgsSchema, path="")
