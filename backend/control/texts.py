"""Why a command was refused or how it ended: one stable code, an English and a Chinese
text. The API answers with the code and both texts; the clients show the Chinese one
(pwa/src/i18n keeps the same codes for the other errors)."""
from __future__ import annotations

REASONS: dict[str, tuple[str, str]] = {
    # refused at once (a 4xx)
    "control_not_granted": ("you have no control right for this circuit",
                            "您没有该回路的控制权限"),
    "device_offline": ("the device is offline: a command could not be confirmed",
                       "设备离线，无法执行并确认命令"),
    "device_disabled": ("the device is disabled", "设备已停用"),
    "device_not_controllable": ("the device has no gateway or profile to control it through",
                                "该设备未接入网关或没有设备型号，不能远程控制"),
    "action_not_supported": ("this device does not support that action",
                             "该设备不支持此操作"),
    "command_in_progress": ("another command for this device is in progress",
                            "该设备有正在执行的命令，请等待其完成"),
    "switched_too_recently": ("the device was switched less than {seconds} s ago",
                              "距该设备上次操作不足 {seconds} 秒"),
    "idempotency_key_reused": ("this Idempotency-Key was used for a different command",
                               "该幂等键已用于另一条命令"),
    "own_command": ("the requester cannot approve their own command",
                    "不能审批自己发起的命令"),
    "not_awaiting_approval": ("the command is not awaiting approval", "该命令不在待审批状态"),
    # a site run by a site box (docs/sitelink.md)
    "site_link_down": ("the site box's link to the centre is down (no data for over "
                       "{seconds} s): its devices cannot be commanded from here",
                       "站点设备与中心的链路中断（超过 {seconds} 秒无数据），无法从中心控制该站点的设备"),
    "site_remote_control": ("this site is run by its site box: this is done there (a "
                            "settings read, or a command the box runs)",
                            "该站点由站点设备管理，请在站点端操作"),
    "site_device_unknown": ("the site box has no device {device}",
                            "站点设备中没有设备 {device}"),
    "site_user_unknown": ("the site box does not know the user {user} (or the account is "
                          "inactive there)", "站点设备中没有用户 {user}（或该账号已停用）"),
    # automation (backend/automation): notes and refusals of actions
    "action_needs_approval": ("{device} is on a protected circuit: its command will wait for "
                              "a second person's approval",
                              "{device} 位于受保护回路，其命令需等待第二人审批后执行"),
    "unknown_action_kind": ("unknown action kind", "未知的动作类型"),
    # scenes and schedules (backend/automation/scenes.py, scene_runs.py, schedules.py)
    "action_scene_not_found": ("no such scene in this site", "本站点没有该场景"),
    "scene_not_found": ("the scene no longer exists", "该场景已不存在"),
    "scene_disabled": ("the scene is disabled", "该场景已停用"),
    "scene_cycle": ("the scene would run itself: {loop}", "场景不能运行自身（形成循环）：{loop}"),
    "scene_too_deep": ("scenes may run other scenes at most {depth} levels deep",
                       "场景嵌套最多 {depth} 层"),
    "not_cancellable": ("the command can no longer be cancelled (it was sent or settled)",
                        "该命令已下发或已结束，不能取消"),
    # how an executed command ended (commands.error)
    "mode_manual": ("the breaker is in manual mode: remote commands are refused",
                    "断路器处于手动模式，拒绝远程操作"),
    "mode_maintenance": ("the breaker is in maintenance mode: remote commands are refused",
                         "断路器处于维修模式，拒绝远程操作"),
    "no_answer": ("the device did not answer; nothing was written",
                  "设备无应答，未下发任何操作"),
    "device_exception": ("the device refused the request ({detail})",
                         "设备拒绝了该操作（{detail}）"),
    "not_confirmed": ("state not confirmed: the device still shows {observed}",
                      "状态未确认：设备仍显示 {observed}"),
    "readback_timeout": ("the device stopped answering after the write; its state is unknown",
                         "下发后设备无应答，状态未知"),
    "expired": ("not started within {seconds} s: expired rather than run late",
                "命令未在 {seconds} 秒内开始执行，已过期（不会延迟执行）"),
    "approval_expired": ("not approved within {seconds} s", "未在 {seconds} 秒内获得审批，已过期"),
    # KNX groups (backend/control/knx_execute.py)
    "knx_not_connected": ("the KNX gateway is not connected; nothing was written",
                          "KNX 网关未连接，未下发任何操作"),
    "knx_no_answer": ("no answer on the state address {address} within {seconds} s after "
                      "the write; the light's state is unknown",
                      "下发后 {seconds} 秒内状态地址 {address} 无应答，灯光状态未知"),
    "executor_stopped": ("the executor stopped after the write; settled from the device's "
                         "state", "执行进程在下发后中断，已按设备状态核对"),
}


def reason(code: str, **values) -> tuple[str, str]:
    """(English, Chinese) for ``code`` with its placeholders filled."""
    en, zh = REASONS[code]
    return en.format(**values), zh.format(**values)
