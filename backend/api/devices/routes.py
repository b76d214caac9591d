from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud
from backend.api.devices.schemas import DevicePutSchema, DeviceQueryArgsSchema, DeviceSchema
from backend.facility.operations import devices

blp = Blueprint("devices", __name__, url_prefix="/api/v1/devices",
                description="Devices of a site (scoped to your sites)")

register_crud(blp, devices, DeviceSchema, DevicePutSchema, DeviceQueryArgsSchema, path="")
