"""Maintenance windows: alarms on a board or circuit are recorded but notify nobody."""
from backend.alarms.maintenance import maintenance_windows
from backend.api.blueprint import Blueprint
from backend.api.crud import register_crud
from backend.api.maintenance_windows.schemas import (
    MaintenanceWindowPutSchema,
    MaintenanceWindowQueryArgsSchema,
    MaintenanceWindowSchema,
)

blp = Blueprint("maintenance_windows", __name__, url_prefix="/api/v1/maintenance-windows",
                description="Maintenance windows (managers and admins of the site write)")

register_crud(blp, maintenance_windows, MaintenanceWindowSchema, MaintenanceWindowPutSchema,
              MaintenanceWindowQueryArgsSchema, path="")
