"""Alarm rule overrides (CRUD), the rule catalogue and a device's effective limits."""
from flask.views import MethodView

from backend.accounts.security import access, current_actor
from backend.alarms import rules as service
from backend.api.alarm_rules.schemas import (
    AlarmRulePutSchema,
    AlarmRuleQueryArgsSchema,
    AlarmRuleSchema,
    CatalogueRuleSchema,
    EffectiveLimitSchema,
)
from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud
from backend.models import Role

blp = Blueprint("alarm_rules", __name__, url_prefix="/api/v1",
                description="Alarm rules: the catalogue of defaults and a site's overrides "
                            "per site, circuit category or device")


@blp.route("/alarm-rules/catalogue")
class AlarmRuleCatalogue(MethodView):
    @access(Role.staff)
    @blp.response(200, CatalogueRuleSchema(many=True))
    def get(self):
        """Every alarm rule with its default limits per level (a fixed list: not paged)"""
        return service.catalogue()


@blp.route("/devices/<int:device_id>/alarm-rules")
class DeviceAlarmRules(MethodView):
    @access(Role.staff)
    @blp.response(200, EffectiveLimitSchema(many=True))
    def get(self, device_id):
        """A device's effective limits per applicable rule and level, and their source

        One entry per (rule, level) of the rules that apply to the device's kind: a
        short fixed list, not paged.
        """
        return service.device_limits(current_actor(), device_id)


register_crud(blp, service.alarm_rules, AlarmRuleSchema, AlarmRulePutSchema,
              AlarmRuleQueryArgsSchema, path="/alarm-rules")
