"""The mini-program's identities: log in with a ``wx.login`` code, bind a WeChat identity
to an existing account once, unbind; the official-account openid found by UnionID.

``wechat.py`` is the I/O with WeChat (wechatpy against WeChat or the stand-in),
``operations.py`` the service functions the API calls. docs/miniprogram.md.
"""
