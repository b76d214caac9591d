"""Web Push service stand-in (RFC 8030 delivery, RFC 8291 encryption, RFC 8292 VAPID).

``POST /_standin/push/subscriptions`` plays the browser: it makes a P-256 key pair and
an auth secret and returns a PushSubscription ``{endpoint, keys: {p256dh, auth}}``
whose endpoint is this server. ``POST /push/<id>`` plays the push service: it requires
TTL, ``Content-Encoding: aes128gcm`` and a valid ``Authorization: vapid t=<JWT>,k=<key>``
(signature, ``aud`` = this origin, ``exp`` within 24 h), decrypts the body with http_ece
as the browser would, records the plaintext and answers 201 with a Location. Unknown or
deleted subscriptions answer 410 Gone.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import time

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Blueprint, current_app, jsonify, request
from py_vapid import jwt as vapid_jwt

bp = Blueprint("standin_push", __name__)
MAX_BODY = 4096


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _state():
    return current_app.extensions["standin_state"]


@bp.post("/_standin/push/subscriptions")
def create_subscription():
    """Body (optional): {"application_server_key": "<VAPID public key>"} to pin the sender."""
    options = request.get_json(silent=True) or {}
    key = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    sub_id = secrets.token_urlsafe(16)
    with _state().lock:
        _state().subscriptions[sub_id] = {
            "private_key": key, "auth": auth,
            "server_key": (options.get("application_server_key") or "").rstrip("=")}
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return jsonify({"endpoint": f"{request.host_url}push/{sub_id}", "expirationTime": None,
                    "keys": {"p256dh": _b64(public), "auth": _b64(auth)}}), 201


@bp.delete("/_standin/push/subscriptions/<sub_id>")
def delete_subscription(sub_id: str):
    """The user unsubscribed (or the browser dropped it): later pushes get 410."""
    with _state().lock:
        found = _state().subscriptions.pop(sub_id, None) is not None
    return ("", 204) if found else ("", 404)


def _check_vapid(server_key: str) -> tuple[str, int] | dict:
    """The VAPID claims, or (problem, HTTP status)."""
    header = request.headers.get("Authorization", "")
    scheme, _, rest = header.partition(" ")
    if scheme.lower() != "vapid":
        return ("Authorization must use the vapid scheme (RFC 8292)", 401)
    parts = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
    if "t" not in parts or "k" not in parts:
        return ("vapid Authorization needs t= and k=", 401)
    try:
        claims = vapid_jwt.decode(parts["t"], parts["k"])
    except (InvalidSignature, ValueError):
        return ("VAPID signature does not verify", 401)
    origin = request.host_url.rstrip("/")
    if claims.get("aud") != origin:
        return (f"VAPID aud must be {origin}", 401)
    exp = int(claims.get("exp", 0))
    if not time.time() < exp <= time.time() + 24 * 3600:
        return ("VAPID exp must be in the next 24 hours", 401)
    if not claims.get("sub"):
        return ("VAPID sub (mailto: or https:) is required", 401)
    if server_key and parts["k"].rstrip("=") != server_key:
        return ("VAPID key differs from the subscription's applicationServerKey", 403)
    return claims


@bp.post("/push/<sub_id>")
def push(sub_id: str):
    state = _state()
    state.count("webpush")
    fault = state.take_fault("webpush")
    if fault is not None:
        headers = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else {}
        return "injected fault", int(fault.get("http_status", 500)), headers
    sub = state.subscriptions.get(sub_id)
    if sub is None:
        return "subscription gone", 410
    if request.headers.get("TTL") is None:
        return "TTL header required", 400
    if request.headers.get("Content-Encoding", "").lower() != "aes128gcm":
        return "Content-Encoding must be aes128gcm", 415
    body = request.get_data()
    if len(body) > MAX_BODY:
        return "payload too large", 413
    claims = _check_vapid(sub["server_key"])
    if isinstance(claims, tuple):
        return claims
    try:
        plain = http_ece.decrypt(body, private_key=sub["private_key"], auth_secret=sub["auth"],
                                 version="aes128gcm").decode("utf-8")
    except Exception as exc:  # any decryption failure is the sender's fault
        return f"cannot decrypt: {type(exc).__name__}", 400
    try:
        payload = json.loads(plain)
    except ValueError:
        payload = plain
    ref = f"{request.host_url}message/{state.next_id()}"
    state.record("webpush", sub_id, payload, ref, ttl=request.headers.get("TTL"),
                 urgency=request.headers.get("Urgency"), topic=request.headers.get("Topic"),
                 vapid_sub=claims["sub"])
    return "", 201, {"Location": ref}
