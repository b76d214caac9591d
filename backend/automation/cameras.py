"""The cameras of an area, for the pop-up: ``camera`` devices carry a stream URL (RTSP,
HLS or WebRTC), stored and handed to the clients, never proxied by the platform. An
area's cameras are those of the area and of the areas inside it; an area with none uses
the nearest enclosing area that has some (a leak in a room shows the floor's camera)."""
from __future__ import annotations

from sqlalchemy import select

from backend.extensions import db
from backend.models import Area, Device


def stream_kind(url: str) -> str:
    """How a client plays it: ``hls`` (a <video>), else ``rtsp`` / ``webrtc`` / ``http``
    (shown as a link)."""
    lower = url.lower()
    if lower.split("?")[0].endswith(".m3u8"):
        return "hls"
    scheme = lower.split(":", 1)[0]
    return {"rtsp": "rtsp", "rtsps": "rtsp", "webrtc": "webrtc", "whep": "webrtc"}.get(
        scheme, "webrtc" if "whep" in lower or "webrtc" in lower else "http")


def area_tree(site_id: int) -> dict[int, int | None]:
    """area id -> parent id, for one site."""
    return dict(db.session.execute(select(Area.id, Area.parent_id)
                                   .where(Area.site_id == site_id)).all())


def descendants(tree: dict[int, int | None], area_id: int) -> set[int]:
    out, frontier = {area_id}, [area_id]
    children: dict[int, list[int]] = {}
    for a, parent in tree.items():
        children.setdefault(parent, []).append(a)
    while frontier:
        for child in children.get(frontier.pop(), ()):
            if child not in out:
                out.add(child)
                frontier.append(child)
    return out


def cameras_of_area(site_id: int, area_id: int | None) -> list[dict]:
    if area_id is None:
        return []
    tree = area_tree(site_id)
    rows = db.session.execute(select(Device).where(
        Device.site_id == site_id, Device.kind == "camera", Device.enabled,
        Device.stream_url.is_not(None)).order_by(Device.id)).scalars().all()
    seen, current = set(), area_id
    while current is not None and current not in seen:
        seen.add(current)
        inside = descendants(tree, current)
        found = [d for d in rows if d.area_id in inside]
        if found:
            return [{"id": d.id, "code": d.code, "name": d.name, "area_id": d.area_id,
                     "stream_url": d.stream_url, "stream_kind": stream_kind(d.stream_url)}
                    for d in found]
        current = tree.get(current)
    return []
