"""The facility model: site -> areas -> distribution rooms -> boards -> circuits -> devices.

Every row carries ``site_id`` so that scoping a query to the caller's sites is one
``WHERE site_id IN (...)``. Codes are unique within a site and are the keys of the
YAML/CSV import format.
"""
from __future__ import annotations

from sqlalchemy import (JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base, TimestampMixin

AREA_KINDS = ("area", "department", "building", "room")
ROOM_KINDS = ("high_voltage", "low_voltage", "secondary", "generator", "other")
BOARD_LEVELS = (1, 2, 3)
CIRCUIT_CATEGORIES = ("incomer", "lighting", "power", "socket", "ac", "pump", "fan", "heating",
                      "security_critical", "kitchen", "elevator", "fire", "it", "other")
TRANSPORTS = ("tcp", "rtu_over_tcp")
DEVICE_KINDS = ("breaker", "meter", "env_sensor", "temp_sensor", "load", "knx_group", "camera")
POLES = ("1P", "1P+N", "3P", "3P+N")
TRIP_CURVES = ("B", "C", "D")


class Site(TimestampMixin, Base):
    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    address: Mapped[str] = mapped_column(String(255), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    floor_area_m2: Mapped[float | None] = mapped_column(Float)


class SiteScoped(TimestampMixin):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))


class Area(SiteScoped, Base):
    __tablename__ = "areas"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="area")


class DistributionRoom(SiteScoped, Base):
    __tablename__ = "distribution_rooms"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32), default="low_voltage")


class Board(SiteScoped, Base):
    __tablename__ = "boards"
    __table_args__ = (
        UniqueConstraint("site_id", "code"),
        CheckConstraint("level IN (1, 2, 3)", name="level"),
    )

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("distribution_rooms.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    level: Mapped[int] = mapped_column(Integer, default=1)
    # The circuit that feeds this board's incomer (None: fed by the transformer/utility).
    feeder_circuit_id: Mapped[int | None] = mapped_column(
        ForeignKey("circuits.id", use_alter=True, name="fk_boards_feeder_circuit_id_circuits"),
        index=True)


class Circuit(SiteScoped, Base):
    __tablename__ = "circuits"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"), index=True)
    # Upstream circuit on the same or an upstream board; None: fed by its board's incomer.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("circuits.id"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    category: Mapped[str] = mapped_column(String(32), default="power")
    protected: Mapped[bool] = mapped_column(Boolean, default=False)

    board: Mapped[Board] = relationship(foreign_keys=[board_id], lazy="joined")


class Gateway(SiteScoped, Base):
    __tablename__ = "gateways"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=502)
    transport: Mapped[str] = mapped_column(String(16), default="tcp")
    timeout_ms: Mapped[int] = mapped_column(Integer, default=1000)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Device(SiteScoped, Base):
    __tablename__ = "devices"
    __table_args__ = (
        UniqueConstraint("site_id", "code"),
        UniqueConstraint("gateway_id", "unit_id"),
        CheckConstraint("unit_id IS NULL OR (unit_id BETWEEN 1 AND 247)", name="unit_id_range"),
    )

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    circuit_id: Mapped[int | None] = mapped_column(ForeignKey("circuits.id"), index=True)
    gateway_id: Mapped[int | None] = mapped_column(ForeignKey("gateways.id"), index=True)
    # A knx_group's KNX gateway (backend/models/knx.py); its addresses are in attributes.
    knx_gateway_id: Mapped[int | None] = mapped_column(
        ForeignKey("knx_gateways.id", use_alter=True, name="fk_devices_knx_gateway_id_knx_gateways"),
        index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(Integer)
    profile: Mapped[str | None] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Breaker ratings (None for other kinds).
    poles: Mapped[str | None] = mapped_column(String(8))
    rated_current: Mapped[float | None] = mapped_column(Float)          # In, A
    trip_curve: Mapped[str | None] = mapped_column(String(1))
    rated_residual_current: Mapped[float | None] = mapped_column(Float)  # IΔn, mA
    rated_power: Mapped[float | None] = mapped_column(Float)            # Pn, kW
    # A camera's video (RTSP, HLS or WebRTC): stored and handed to clients, never proxied.
    stream_url: Mapped[str | None] = mapped_column(String(500))
    # Kind-specific extras (KNX group address, ...).
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
