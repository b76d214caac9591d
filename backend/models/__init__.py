from backend.models.base import Base
from backend.models.accounts import ROLE_RANK, RefreshFamily, Role, User, user_sites
from backend.models.facility import (Area, Board, Circuit, Device, DistributionRoom, Gateway,
                                     Site)
from backend.models.audit import AuditEntry
from backend.models.telemetry import DeviceStatus, DeviceStatusEvent, Metric, Reading
from backend.models.alarms import (Alarm, AlarmEvent, AlarmRule, AlarmRuleState,
                                   MaintenanceWindow, RepairOrder, RepairPhoto)
from backend.models.control import Command, CommandEvent, ControlGrant, DeviceProfile
from backend.models.automation import Scene, SceneRun, Schedule, ScheduleRun
from backend.models.knx import KnxGateway
from backend.models.linkage import LinkageFiring, LinkageRule, LinkageRuleState
from backend.models.energy import (EnergyDay, EnergyMonth, EnergySlot, EnergyState,
                                   MeterReplacement)
from backend.models.quality import QualityDaily
from backend.models.inspections import (InspectionPhoto, InspectionPlan, InspectionRecord,
                                        InspectionReminder)
from backend.models.notify import (AlarmRecipient, Notification, NotificationAttempt,
                                   NotifyProfile, SubscribeGrant, WebPushSubscription)
from backend.models.wechat import WeChatBinding
from backend.models.preferences import UserPreferences
from backend.models.sitelink import (CentralCommand, SiteCredential, SiteUplink, UplinkOutbox, UplinkReceived,
                                     UplinkState)
from backend.models.sitelink_config import ConfigItem, ConfigState, ConfigUser, SiteConfigVersion

__all__ = ["KnxGateway", "Base", "Role", "ROLE_RANK", "User", "RefreshFamily", "user_sites", "Site", "Area",
           "DistributionRoom", "Board", "Circuit", "Gateway", "Device", "AuditEntry", "Metric", "Reading",
           "DeviceStatus", "DeviceStatusEvent", "Alarm", "AlarmEvent", "AlarmRule",
           "AlarmRuleState", "MaintenanceWindow", "RepairOrder", "RepairPhoto", "AlarmRecipient",
           "Notification", "NotificationAttempt", "NotifyProfile", "SubscribeGrant",
           "WebPushSubscription", "Command", "CommandEvent", "ControlGrant",
           "DeviceProfile", "Scene", "SceneRun", "Schedule", "ScheduleRun",
           "LinkageRule", "LinkageRuleState", "LinkageFiring", "WeChatBinding", "EnergySlot",
           "EnergyDay", "EnergyMonth", "EnergyState", "MeterReplacement", "QualityDaily",
           "UserPreferences", "InspectionPlan", "InspectionRecord", "InspectionPhoto",
           "InspectionReminder", "UplinkOutbox", "UplinkState", "SiteCredential",
           "UplinkReceived", "SiteUplink", "SiteConfigVersion", "ConfigState", "ConfigUser",
           "ConfigItem", "CentralCommand"]
