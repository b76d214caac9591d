// Error codes of the WeChat login and the mini-program (issue 14), zh-CN first.
// Merged into src/i18n/messages.js ``errors``; miniprogram/utils/error-texts.js is
// generated from that table (miniprogram/scripts/sync-errors.mjs).
export const wechatMessages = {
  'zh-CN': {
    errors: {
      timeout: '请求超时，请检查网络后重试',
      token_expired: '登录已过期，请重新登录', token_revoked: '登录已失效，请重新登录',
      refresh_token_reused: '登录已失效，请重新登录', account_disabled: '该账号已停用',
      wechat_not_configured: '服务器未配置微信登录', wechat_unavailable: '微信服务暂时不可用，请稍后再试',
      wechat_code_invalid: '微信登录凭证无效或已使用，请重新登录',
      wechat_rate_limited: '微信登录过于频繁，请一分钟后再试',
      wechat_user_blocked: '微信判定该用户存在风险，拒绝登录',
      wechat_ticket_invalid: '绑定已超时，请重新进行微信登录',
      wechat_already_bound: '该账号已绑定其他微信，请先解绑',
      wechat_identity_taken: '该微信已绑定其他账号',
      photo_too_large: '照片过大：每张最多 5 MB', photo_empty: '照片为空，请重新选择',
      photo_type_not_allowed: '只能上传 JPEG、PNG 或 WebP 图片', too_many_photos: '照片已达上限：每个工单或记录最多 20 张',
      repair_order_not_found: '工单不存在或无权访问', repair_photo_not_found: '照片不存在或无权访问',
      repair_order_done: '工单已完成，不能再修改', invalid_transition: '工单状态不能这样变更',
    },
  },
  en: {
    errors: {
      timeout: 'The request timed out: check the network and retry',
      token_expired: 'Your session expired: please log in again',
      token_revoked: 'Your session ended: please log in again',
      refresh_token_reused: 'Your session ended: please log in again',
      account_disabled: 'This account is disabled',
      wechat_not_configured: 'WeChat login is not configured on the server',
      wechat_unavailable: 'WeChat is unavailable: try again later',
      wechat_code_invalid: 'The WeChat login code is invalid or used: log in again',
      wechat_rate_limited: 'Too many WeChat logins: try again in a minute',
      wechat_user_blocked: 'WeChat marks this user as high-risk and refuses the login',
      wechat_ticket_invalid: 'Binding timed out: log in with WeChat again',
      wechat_already_bound: 'This account is bound to another WeChat: unbind it first',
      wechat_identity_taken: 'This WeChat is bound to another account',
      photo_too_large: 'The photo is too large: at most 5 MB each', photo_empty: 'The photo is empty: choose it again',
      photo_type_not_allowed: 'Only JPEG, PNG or WebP images can be uploaded',
      too_many_photos: 'At most 20 photos per repair order or record',
      repair_order_not_found: 'No such repair order (or no access)', repair_photo_not_found: 'No such photo (or no access)',
      repair_order_done: 'The repair order is done and can no longer change',
      invalid_transition: 'The repair order cannot change to that status',
    },
  },
}
