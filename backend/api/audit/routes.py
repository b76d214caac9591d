from flask.views import MethodView

from backend.accounts import audit
from backend.accounts.security import access, current_actor
from backend.api.audit.schemas import AuditEntryQueryArgsSchema, AuditEntrySchema
from backend.api.blueprint import Blueprint
from backend.api.pagination import SQLPage
from backend.models import Role

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit",
                description="Who changed or switched what, when, before and after (admins)")


@blp.route("")
class AuditLog(MethodView):
    @access(Role.admin)
    @blp.arguments(AuditEntryQueryArgsSchema, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(SQLPage)
    def get(self, args):
        """Audit entries of your sites, newest first"""
        return audit.query(current_actor(), args)
