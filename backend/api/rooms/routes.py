from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud
from backend.api.rooms.schemas import RoomPutSchema, RoomQueryArgsSchema, RoomSchema
from backend.facility.operations import rooms

blp = Blueprint("rooms", __name__, url_prefix="/api/v1/rooms",
                description="Rooms of a site (scoped to your sites)")

register_crud(blp, rooms, RoomSchema, RoomPutSchema, RoomQueryArgsSchema, path="")
