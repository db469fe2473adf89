"""What the audit log records: every action code with its Chinese name, the object kinds and detail keys.

The codes are plain strings, so the log knows what the domains do without importing them; record()
refuses a code missing here, which keeps a typo from writing an entry no filter finds.
"""

ACTIONS = {
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.logout": "退出登录",
    "auth.password_change": "修改本人密码",
    "user.create": "新增账号",
    "user.edit": "修改账号",
    "user.disable": "停用账号",
    "user.enable": "启用账号",
    "user.reset_password": "重置账号密码",
    "unit.create": "新增被考核单位",
    "unit.edit": "修改被考核单位",
    "unit.import": "导入单位名单",
    "window.create": "新增服务窗口",
    "window.edit": "修改服务窗口",
    "campaign.create": "新增测评活动",
    "campaign.edit": "修改测评活动",
    "questionnaire.create": "新建问卷",
    "questionnaire.edit": "修改问卷",
    "questionnaire.revise": "问卷生成新版本",
    "respondents.import": "导入固定服务对象名单",
    "invitation.issue": "发放邀请码",
    "invitation.reissue": "重新生成邀请码",
    "invitation.letters": "印制邀请函（重新生成邀请码）",
    "case.identity_view": "查看投诉人身份",
    "case.identity_release": "向承办单位提供投诉人身份",
    "adjustment.add": "记入加减分",
    "adjustment.revoke": "撤销加减分",
    "adjustment.sync": "同步超期扣分",
    "admonition.issue": "印发效能告诫",
    "admonition.revoke": "撤销效能告诫",
    "response.reinstate": "恢复答卷计分",
    "parts.import": "导入考核项目分值",
    "run.create": "计分",
    "run.publish": "发布考核结果",
    "notice.issue": "印发考核结果通报",
}

# Object kinds by table name, as entries store them.
OBJECT_TYPES = {
    "users": "账号",
    "units": "被考核单位",
    "windows": "服务窗口",
    "campaigns": "测评活动",
    "questionnaires": "问卷",
    "cases": "投诉咨询件",
    "stats_adjustments": "加减分",
    "stats_admonitions": "效能告诫",
    "stats_reinstatements": "恢复计分",
    "stats_score_runs": "计分结果",
    "responses": "答卷",
}

# The keys domains put in an entry's details, as the admin page names them.
DETAIL_LABELS = {
    "username": "用户名",
    "name": "名称",
    "code": "代码",
    "number": "编号",
    "role": "角色",
    "unit": "单位",
    "year": "年度",
    "amount": "分值",
    "reason": "理由",
    "note": "说明",
    "count": "数量",
    "created": "新增",
    "updated": "更新",
    "file": "文件",
    "campaign": "测评活动",
    "version": "版本",
    "changes": "变更",
    "level": "等级",
    "sequence": "第几次计分",
    "added": "新增",
    "revoked": "撤销",
    "known": "用户名存在",
}
