"""The stand-in HTTP server: WeChat + Tencent SMS + Web Push on one port, plus controls.

Control API (JSON):
- ``GET /_standin/messages?channel=&since=<epoch s>``, ``DELETE /_standin/messages``
- ``POST /_standin/faults {"channel", "errcode"|"code"|"http_status", "times",
  "retry_after"}``: the next ``times`` calls of that channel fail that way
  (channels: wechat_token, wechat_template, wechat_subscribe, sms, webpush)
- ``POST /_standin/grants {"openid", "template_id", "count"}``: subscribe-message grants
- ``POST /_standin/wxa/login {"appid", "openid", "unionid", "risky"}``: a ``wx.login`` code
- ``POST /_standin/wechat/followers {"openid", "unionid"}``: a follower of the official account
- ``POST /_standin/wechat/expire-tokens``, ``GET /_standin/stats``, ``POST /_standin/reset``
- ``GET /``: a page listing received messages, refreshing itself every 2 s.
"""
from __future__ import annotations

import logging
import threading

from flask import Flask, jsonify, request
from markupsafe import escape
from werkzeug.serving import make_server

from standins import push, sms, wechat
from standins.state import StandinConfig, State

LABELS = {"wechat_template": "公众号模板消息", "wechat_subscribe": "小程序订阅消息",
          "sms": "短信", "webpush": "Web Push"}


def create_app(config: StandinConfig | None = None) -> Flask:
    app = Flask("standins")
    state = State(config or StandinConfig())
    app.extensions["standin_state"] = state
    for bp in (wechat.bp, sms.bp, push.bp):
        app.register_blueprint(bp)

    @app.get("/_standin/messages")
    def messages():
        try:
            since = float(request.args["since"]) if request.args.get("since") else None
        except ValueError:
            return jsonify({"error": "since must be epoch seconds"}), 400
        return jsonify(state.list_messages(request.args.get("channel"), since))

    @app.delete("/_standin/messages")
    def clear_messages():
        with state.lock:
            state.messages.clear()
        return "", 204

    @app.post("/_standin/faults")
    def add_fault():
        try:
            return jsonify(state.add_fault(request.get_json(force=True) or {})), 201
        except (ValueError, TypeError) as exc:
            return jsonify({"error": str(exc)}), 400

    @app.get("/_standin/faults")
    def list_faults():
        with state.lock:
            return jsonify({k: [f for f in v if f["times"] > 0]
                            for k, v in state.faults.items()})

    @app.delete("/_standin/faults")
    def clear_faults():
        with state.lock:
            state.faults.clear()
        return "", 204

    @app.post("/_standin/grants")
    def add_grant():
        body = request.get_json(force=True) or {}
        if not body.get("openid") or not body.get("template_id"):
            return jsonify({"error": "openid and template_id are required"}), 400
        count = state.add_grant(body["openid"], body["template_id"], int(body.get("count", 1)))
        return jsonify({"openid": body["openid"], "template_id": body["template_id"],
                        "count": count}), 201

    @app.post("/_standin/wxa/login")
    def wxa_login():
        body = request.get_json(force=True) or {}
        if not body.get("appid") or not body.get("openid"):
            return jsonify({"error": "appid and openid are required"}), 400
        code = wechat.issue_login_code(body["appid"], body["openid"], body.get("unionid"),
                                       bool(body.get("risky")))
        return jsonify({"code": code}), 201

    @app.post("/_standin/wechat/followers")
    def add_follower():
        body = request.get_json(force=True) or {}
        if not body.get("openid"):
            return jsonify({"error": "openid is required"}), 400
        return jsonify(wechat.add_follower(body["openid"], body.get("unionid"))), 201

    @app.post("/_standin/wechat/expire-tokens")
    def expire_tokens():
        return jsonify({"expired": wechat.expire_tokens()})

    @app.get("/_standin/stats")
    def stats():
        with state.lock:
            return jsonify(dict(state.stats))

    @app.post("/_standin/reset")
    def reset():
        state.reset()
        return "", 204

    @app.get("/")
    def page():
        rows = "".join(
            f"<tr><td>{escape(m['received_at_iso'][11:19])}</td>"
            f"<td>{escape(LABELS.get(m['channel'], m['channel']))}</td>"
            f"<td>{escape(m['recipient'])}</td><td>{escape(summary(m))}</td></tr>"
            for m in reversed(state.list_messages()[-200:]))
        return PAGE.format(rows=rows or '<tr><td colspan="4">暂无消息</td></tr>',
                           count=len(state.messages))

    return app


def summary(message: dict) -> str:
    """One line a person watching the demo can read."""
    payload = message["payload"]
    if message["channel"].startswith("wechat"):
        values = [v.get("value", "") for v in (payload.get("data") or {}).values()
                  if isinstance(v, dict)]
        target = (payload.get("miniprogram") or {}).get("pagepath") or payload.get("page") \
            or payload.get("url") or ""
        return " / ".join(values) + (f"  → {target}" if target else "")
    if message["channel"] == "sms":
        return f"【{payload.get('sign_name')}】 " + " / ".join(payload.get("params") or [])
    if isinstance(payload, dict):
        return f"{payload.get('title', '')} {payload.get('body', '')}"
    return str(payload)


PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="2"><title>GridWarden 通知替身服务</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}}th{{background:#f3f3f3}}</style>
</head><body><h1>通知替身服务（微信 / 短信 / Web Push）</h1>
<p>共收到 {count} 条消息，每 2 秒刷新。</p>
<table><tr><th>时间 (UTC)</th><th>渠道</th><th>接收人</th><th>内容</th></tr>{rows}</table>
</body></html>"""


def serve_in_thread(port: int = 0, host: str = "127.0.0.1", **secrets):
    """Start the stand-in in a daemon thread: ``(server, base_url)``.

    ``secrets`` are StandinConfig fields (wechat_secret, sms_secret_id, sms_secret_key,
    wechat_apps, token_ttl). Stop with ``server.shutdown()``; the State is at
    ``server.app.extensions["standin_state"]``.
    """
    app = create_app(StandinConfig(**secrets))
    server = make_server(host, port, app, threaded=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    thread = threading.Thread(target=server.serve_forever, name="standins", daemon=True)
    thread.start()
    return server, f"http://{host}:{server.server_port}"
