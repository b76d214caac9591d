// The site box's uplink (docs/sitelink.md): the console page's strings and the API's error
// codes, zh-CN first. Merged into src/i18n/messages.js (``uplink``, and into ``errors``).
export const sitelinkMessages = {
  'zh-CN': {
    uplink: {
      box: '本机上传链路', centre: '中心端视图', state: '状态', backlog: '待上传', oldest: '最早未上传',
      lastAck: '最近确认', lastError: '最近错误', errorSeq: '出错序号', watermark: '中心水位', received: '已接收',
      lastBatch: '最近批次', resume: '恢复上传', resumed: '已恢复上传', seconds: '{n} 秒', none: '无',
      credentials: '站点凭据', create: '新建凭据', revoke: '吊销', revoked: '已吊销', active: '有效',
      tokenOnce: '凭据令牌只显示这一次，请复制到站点设备的 GW_SITE_TOKEN：', prefix: '前缀', createdAt: '创建时间',
      notSite: '本机不是站点设备（GW_ROLE={role}）',
      states: { idle: '空闲', up: '正常', down: '中断', stopped: '已停止', local: '本地采集', remote: '站点设备上传' },
      config: '配置下发', configVersion: '运行版本', configChecked: '最近检查', centreVersion: '中心配置版本',
      siteVersion: '站点运行版本', localChanges: '本地修改', noLocalChanges: '无本地修改', user: '用户', field: '字段',
      localValue: '本地值', centralValue: '中心值', conflict: '冲突', localOnly: '仅本地', keepCentral: '采用中心值',
      keepLocal: '保留本地', resolved: '已处理', siteConflicts: '站点有 {n} 个冲突待处理', item: '项目',
      kinds: { profiles: '设备模板', facility: '设施', users: '账号', scenes: '场景', schedules: '定时任务', linkage_rules: '联动规则', alarm_rules: '告警规则' },
    },
    errors: {
      site_credential_missing: '缺少站点凭据', site_credential_invalid: '站点凭据无效',
      site_credential_revoked: '站点凭据已被吊销', site_credential_not_found: '站点凭据不存在',
      site_code_mismatch: '站点编码与凭据不符', uplink_gap: '上传序号不连续，将从中心水位重发',
      uplink_rejected: '中心拒收该批次，上传已停止', uplink_malformed: '上传批次格式有误',
      config_rejected: '中心配置无法应用，仍运行上一版本', config_change_not_found: '该项没有待处理的本地修改',
      config_in_use: '该项仍被本站的定时任务、场景或联动规则使用，暂不能删除',
    },
  },
  en: {
    uplink: {
      box: 'This box\'s uplink', centre: 'As the centre sees it', state: 'State', backlog: 'Backlog', oldest: 'Oldest unsent',
      lastAck: 'Last acknowledged', lastError: 'Last error', errorSeq: 'At seq', watermark: 'Centre watermark', received: 'Received',
      lastBatch: 'Last batch', resume: 'Resume', resumed: 'Uplink resumed', seconds: '{n} s', none: 'none',
      credentials: 'Site credentials', create: 'New credential', revoke: 'Revoke', revoked: 'Revoked', active: 'Active',
      tokenOnce: 'The token is shown only now: put it in the site box\'s GW_SITE_TOKEN:', prefix: 'Prefix', createdAt: 'Created',
      notSite: 'This platform is not a site box (GW_ROLE={role})',
      states: { idle: 'Idle', up: 'Up', down: 'Down', stopped: 'Stopped', local: 'Polled here', remote: 'Sent by a site box' },
      config: 'Configuration down', configVersion: 'Version running', configChecked: 'Last checked', centreVersion: 'Centre\'s configuration version',
      siteVersion: 'Version the site runs', localChanges: 'Local changes', noLocalChanges: 'No local changes', user: 'User', field: 'Field',
      localValue: 'Local', centralValue: 'Centre', conflict: 'Conflict', localOnly: 'Local only', keepCentral: 'Take the centre\'s',
      keepLocal: 'Keep local', resolved: 'Resolved', siteConflicts: '{n} conflict(s) to resolve at the site', item: 'Entry',
      kinds: { profiles: 'Device profile', facility: 'Facility', users: 'User', scenes: 'Scene', schedules: 'Schedule', linkage_rules: 'Linkage rule', alarm_rules: 'Alarm rule' },
    },
    errors: {
      site_credential_missing: 'A site credential is required', site_credential_invalid: 'Unknown site credential',
      site_credential_revoked: 'This site credential was revoked', site_credential_not_found: 'Site credential not found',
      site_code_mismatch: 'The site code is not the credential\'s', uplink_gap: 'Sequence gap: resending from the centre\'s watermark',
      uplink_rejected: 'The centre refused the batch: the uplink stopped', uplink_malformed: 'Malformed uplink batch',
      config_rejected: 'The centre\'s configuration cannot be applied: the previous version runs', config_change_not_found: 'No local change of this entry to resolve',
      config_in_use: 'Still run by a schedule, scene or linkage rule at this box: not deleted yet',
    },
  },
}
