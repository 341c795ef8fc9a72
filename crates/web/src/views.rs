//! Display values for templates and exports: codes turned into the names people read.

use serde::Serialize;

use anbiao_domain::ReferenceData;
use anbiao_domain::date::format_date;
use anbiao_domain::enterprise::Field;
use anbiao_store::enterprise::{CREATED, Change, Enterprise};

/// A region's name for display: an area that has since become another names the one it
/// became and when (海安县（2018-02-08起为海安市）); one that kept its name through the change
/// (崇川区, merged with 港闸区 into a new 崇川区) reads as that name alone.
pub fn region_name(r: &ReferenceData, code: &str) -> String {
    match r.regions.get(code) {
        Some(reg) => match (reg.validity.to, &reg.successor) {
            (Some(to), Some(s)) if to <= crate::today() => {
                let next = r
                    .regions
                    .get(s)
                    .map(|x| x.name.clone())
                    .unwrap_or_else(|| s.clone());
                if next == reg.name {
                    reg.name.clone()
                } else {
                    format!("{}（{}起为{}）", reg.name, format_date(to), next)
                }
            }
            _ => reg.name.clone(),
        },
        None => code.to_string(),
    }
}

/// The day a year's page names its units on: the year's last day, or today within it.
pub fn day_of_year(year: i32, today: time::Date) -> time::Date {
    time::Date::from_calendar_date(year, time::Month::December, 31)
        .map_or(today, |end| end.min(today))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_that_kept_its_name_does_not_name_itself_again() {
        let r = ReferenceData::embedded().expect("reference");
        assert_eq!(region_name(&r, "320602"), "崇川区");
        assert_eq!(region_name(&r, "320611"), "港闸区（2020-07-22起为崇川区）");
        assert_eq!(region_name(&r, "320621"), "海安县（2018-02-08起为海安市）");
        assert_eq!(region_name(&r, "320682"), "如皋市");
    }
}

pub use anbiao_actions::exports::industry_name;

pub use anbiao_domain::enterprise::{scale_label, size_label, status_label};

/// An enterprise with display strings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EnterpriseView {
    pub id: i64,
    pub credit_code: String,
    pub code_override_reason: Option<String>,
    pub name: String,
    pub region_code: String,
    pub region_name: String,
    pub township: Option<String>,
    pub industry_code: String,
    pub industry_name: String,
    /// In 万元, as a decimal string.
    pub annual_sales_wan: Option<String>,
    pub employees: Option<i64>,
    pub above_scale: Option<bool>,
    pub scale_label: String,
    pub size_class: Option<String>,
    pub size_label: String,
    /// The size rule that decided the class (`id@version`).
    pub size_rule: Option<String>,
    pub status: String,
    pub status_label: String,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

/// A Unix time as China time, `YYYY-MM-DD HH:MM:SS`.
pub fn fmt_unix(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(fmt_time)
        .unwrap_or_default()
}

/// A Unix time as China time of day, `HH:MM`.
pub fn china_time_hm(secs: i64) -> String {
    let full = fmt_unix(secs);
    full.get(11..16).unwrap_or(&full).to_string()
}

/// A moment in China time (UTC+8), without its offset: what a sheet's date-time cell holds.
pub fn china_time(t: time::OffsetDateTime) -> time::PrimitiveDateTime {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let t = t.to_offset(offset);
    time::PrimitiveDateTime::new(t.date(), t.time())
}

pub fn fmt_time(t: time::OffsetDateTime) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).unwrap_or(time::UtcOffset::UTC);
    let t = t.to_offset(offset);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl EnterpriseView {
    pub fn new(r: &ReferenceData, e: &Enterprise) -> Self {
        Self {
            id: e.id,
            credit_code: e.credit_code.clone(),
            code_override_reason: e.code_override_reason.clone(),
            name: e.name.clone(),
            region_code: e.region_code.clone(),
            region_name: region_name(r, &e.region_code),
            township: e.township.clone(),
            industry_code: e.industry_code.clone(),
            industry_name: industry_name(r, &e.industry_code),
            annual_sales_wan: e.annual_sales_wan(),
            employees: e.employees,
            above_scale: e.above_scale,
            scale_label: scale_label(e.above_scale).to_string(),
            size_class: e.size_class.clone(),
            size_label: size_label(e.size_class.as_deref()).to_string(),
            size_rule: e.size_rule.clone(),
            status: e.status.clone(),
            status_label: status_label(&e.status),
            contact_person: e.contact_person.clone(),
            contact_phone: e.contact_phone.clone(),
            address: e.address.clone(),
            created_at: fmt_time(e.created_at),
            updated_at: fmt_time(e.updated_at),
            version: e.version,
        }
    }
}

/// A history row with labels.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    pub changed_at: String,
    pub actor: String,
    pub source: String,
    pub field: String,
    pub old_value: String,
    pub new_value: String,
}

fn source_label(s: &str) -> String {
    match s {
        "form" => "页面录入".into(),
        "api" => "接口".into(),
        "seed" => "演示数据".into(),
        "cli" => "命令行".into(),
        other => match other.strip_prefix("import:") {
            Some(f) => format!("导入（{f}）"),
            None => other.to_string(),
        },
    }
}

impl ChangeView {
    pub fn new(r: &ReferenceData, c: &Change) -> Self {
        let field = Field::ALL.into_iter().find(|f| f.key() == c.field);
        let show = |v: &Option<String>| -> String {
            let Some(v) = v else {
                return "（空）".into();
            };
            match field {
                Some(Field::Region) => region_name(r, v),
                Some(Field::Industry) => industry_name(r, v),
                Some(Field::Status) => status_label(v),
                _ => v.clone(),
            }
        };
        Self {
            changed_at: fmt_time(c.changed_at),
            actor: c.actor.clone(),
            source: source_label(&c.source),
            field: if c.field == CREATED {
                "新建".into()
            } else {
                field
                    .map(|f| f.label().to_string())
                    .unwrap_or_else(|| c.field.clone())
            },
            old_value: if c.field == CREATED {
                String::new()
            } else {
                show(&c.old_value)
            },
            new_value: if c.field == CREATED {
                String::new()
            } else {
                show(&c.new_value)
            },
        }
    }
}

/// The Chinese name of an audit action key.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "signin.ok" => "登录成功",
        "signin.failed" => "登录失败",
        "signin.locked" => "锁定期间登录",
        "signin.throttled" => "登录频率受限",
        "account.locked" => "账户锁定",
        "signout" => "退出登录",
        "password.change" => "修改密码",
        "user.create" => "新建账户",
        "user.enable" => "启用账户",
        "user.disable" => "停用账户",
        "user.unlock" => "解除锁定",
        "user.reset_password" => "重置密码",
        "user.grant" => "授予角色",
        "token.issue" => "签发令牌",
        "token.revoke" => "吊销令牌",
        "token.use" => "使用令牌",
        "token.refused" => "令牌被拒",
        "access.denied" => "越权访问被拒",
        "enterprise.create" => "新增企业",
        "enterprise.update" => "修改企业",
        "enterprise.import" => "导入名录",
        "sheet.load" => "载入评分细则",
        "case.open" => "开始定级自评",
        "case.refused" => "定级操作被拒",
        "case.apply" => "提交定级申请",
        "case.return" => "退回定级申请",
        "case.accept" => "受理定级申请",
        "case.assign" => "指派评审单位",
        "case.submit_evaluation" => "提交评审结果",
        "case.approve" => "审核通过",
        "case.accept_lower" => "接受较低等级",
        "case.require_rectification" => "要求整改",
        "case.reevaluate" => "整改后重新评审",
        "case.reject" => "不予通过",
        "case.recommend" => "推荐上报",
        "case.start_notice" => "开始公示",
        "case.object" => "提出异议",
        "case.hold_for_objection" => "受理异议并暂停公示",
        "case.decline_objection" => "异议不予受理",
        "case.dismiss_objection" => "异议不成立",
        "case.uphold_objection" => "异议成立",
        "case.announce" => "公告发证",
        "case.record_external_grant" => "登记上级定级",
        "case.record_external_refusal" => "登记上级未予定级",
        "case.withdraw" => "撤回定级申请",
        "backup" => "备份数据库",
        "restore" => "恢复数据库",
        "enterprise.seed" => "生成演示企业",
        _ => "其他操作",
    }
}
