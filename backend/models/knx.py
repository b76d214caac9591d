"""KNX gateways (KNXnet/IP, per site) and their connection state.

A ``knx_group`` device names its gateway in ``devices.knx_gateway_id`` and its group
addresses in ``devices.attributes`` (backend/knx/groups.py). The KNX process
(backend/runtime/knx_process.py) keeps ``connected``/``changed_at`` and the open
communication alarm (``alarm_id``) of each gateway.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.models.base import Base
from backend.models.facility import SiteScoped

KNX_MODES = ("tunneling", "routing")


class KnxGateway(SiteScoped, Base):
    __tablename__ = "knx_gateways"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    mode: Mapped[str] = mapped_column(String(16), default="tunneling")
    # tunnelling: the gateway's address; routing: the multicast group (224.0.23.12)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=3671)
    local_ip: Mapped[str | None] = mapped_column(String(64))
    individual_address: Mapped[str | None] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # kept by the KNX process
    connected: Mapped[bool | None] = mapped_column(Boolean)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    alarm_id: Mapped[int | None] = mapped_column(ForeignKey("alarms.id", ondelete="SET NULL"))
