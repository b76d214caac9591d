"""The stable codes of linkage refusals and notes, with their English and Chinese texts
(the API answers with the code and both; pwa/src/i18n and the console keep the codes)."""
from __future__ import annotations

from backend.errors import DomainError

TEXTS: dict[str, tuple[str, str]] = {
    "linkage_only": ("this action runs only in a linkage rule's firing",
                     "该动作只能在联动规则触发时执行"),
    "rule_loop": ("these rules would trigger each other in a loop: {loop}",
                  "以下联动规则会相互触发形成循环：{loop}"),
    "metric_unknown": ("{metric} is not a value of {where}", "{where} 没有测量值 {metric}"),
    "value_not_comparable": ("{op} compares numbers: the value must be a number",
                             "{op} 只能比较数值，比较值必须是数字"),
    "popup_sent": ("pop-up sent to the site's clients with {cameras} camera(s)",
                   "已向客户端推送弹窗（{cameras} 路摄像机）"),
    "no_cameras": ("no camera in the area: the pop-up shows the alarm only",
                   "该区域没有摄像机，弹窗只显示告警"),
}


def text(code: str, **values) -> tuple[str, str]:
    en, zh = TEXTS[code]
    return en.format(**values), zh.format(**values)


def refusal(code: str, cls=DomainError, **values) -> DomainError:
    en, zh = text(code, **values)
    return cls(en, error=code, message_zh=zh)
