"""Local stand-ins for the internet services alarms go through: WeChat, Tencent Cloud SMS
and a Web Push service, on one HTTP port (default 8791).

They speak the documented wire protocols, so the real clients (wechatpy, our
TC3-signed ``requests`` call, pywebpush) run unchanged against them in tests, benchmarks
and the demo; a page at ``/`` shows messages as they arrive. Start with
``python -m standins`` / ``gridwarden standins``, or ``serve_in_thread()`` in tests.
Imports are lazy so that ``gridwarden`` (which registers the command) starts fast.
"""
__all__ = ["StandinConfig", "create_app", "serve_in_thread"]


def __getattr__(name: str):
    if name in ("create_app", "serve_in_thread"):
        from standins import server

        return getattr(server, name)
    if name == "StandinConfig":
        from standins.state import StandinConfig

        return StandinConfig
    raise AttributeError(f"module 'standins' has no attribute {name!r}")
