from backend.api.blueprint import Blueprint
from backend.api.boards.schemas import BoardPutSchema, BoardQueryArgsSchema, BoardSchema
from backend.api.crud import register_crud
from backend.facility.operations import boards

blp = Blueprint("boards", __name__, url_prefix="/api/v1/boards",
                description="Boards of a site (scoped to your sites)")

register_crud(blp, boards, BoardSchema, BoardPutSchema, BoardQueryArgsSchema, path="")
