"""The ``standins`` command (``python -m standins`` and ``gridwarden standins``)."""
from __future__ import annotations

import time

import click

from standins.state import StandinConfig

DEFAULTS = StandinConfig()


@click.command("standins")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=8791, show_default=True,
              help="0: any free port.")
@click.option("--wechat-secret", default=DEFAULTS.wechat_secret, show_default=True,
              help="AppSecret accepted for every appid (set GW_WECHAT_SECRET/GW_WXA_SECRET "
                   "to the same value).")
@click.option("--sms-secret-id", default=DEFAULTS.sms_secret_id, show_default=True)
@click.option("--sms-secret-key", default=DEFAULTS.sms_secret_key, show_default=True)
@click.option("--token-ttl", type=click.IntRange(1), default=DEFAULTS.token_ttl,
              show_default=True, help="expires_in of WeChat access tokens (s).")
def standins(host, port, wechat_secret, sms_secret_id, sms_secret_key, token_ttl) -> None:
    """Serve local stand-ins for WeChat, Tencent Cloud SMS and Web Push.

    Point the platform at it with WECHAT_API_BASE_URL=<url>/ and SMS_ENDPOINT=<url>/;
    Web Push subscriptions come from POST <url>/_standin/push/subscriptions.
    """
    from standins.server import serve_in_thread

    try:
        server, url = serve_in_thread(port, host, wechat_secret=wechat_secret,
                                      sms_secret_id=sms_secret_id,
                                      sms_secret_key=sms_secret_key, token_ttl=token_ttl)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from exc
    click.echo(f"stand-ins listening on {url} (WeChat API, Tencent SMS, Web Push); "
               f"received messages: {url}/")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()


def register(main_group: click.Group) -> None:
    main_group.add_command(standins)
