//! The enterprise record: its fields, their Chinese labels and the validation of input from
//! forms, the API and spreadsheet rows.

use time::Date;

use crate::credit_code::CreditCode;
use crate::number::{parse_count, parse_wan_to_yuan};
use crate::reference::ReferenceData;
use crate::size::SizeDecision;
use crate::text::clean;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnterpriseStatus {
    Active,
    Suspended,
    Closed,
}

impl EnterpriseStatus {
    pub const ALL: [Self; 3] = [Self::Active, Self::Suspended, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "正常",
            Self::Suspended => "停产",
            Self::Closed => "关闭",
        }
    }

    /// Accepts the code or a Chinese word as rosters write it.
    pub fn parse(s: &str) -> Option<Self> {
        let s = clean(s);
        match s.as_str() {
            "active" | "正常" | "在产" | "在业" | "正常生产" | "存续" | "在营" | "开业" => {
                Some(Self::Active)
            }
            "suspended" | "停产" | "停业" | "停产停业" | "停产整顿" => {
                Some(Self::Suspended)
            }
            "closed" | "关闭" | "注销" | "吊销" | "关停" | "关闭注销" => {
                Some(Self::Closed)
            }
            _ => None,
        }
    }
}

/// Every field an enterprise record has, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    CreditCode,
    Name,
    Region,
    Township,
    Industry,
    AnnualSales,
    Employees,
    Status,
    ContactPerson,
    ContactPhone,
    Address,
    CodeOverrideReason,
}

/// A stored status key in words (the key itself when unknown).
pub fn status_label(s: &str) -> String {
    EnterpriseStatus::parse(s)
        .map(|x| x.label().to_string())
        .unwrap_or_else(|| s.to_string())
}

/// Above or below the statistical scale (规模以上/以下), in words.
pub fn scale_label(above: Option<bool>) -> &'static str {
    match above {
        Some(true) => "规模以上",
        Some(false) => "规模以下",
        None => "未知",
    }
}

/// A stored size class key (大型 … 微型) in words.
pub fn size_label(size: Option<&str>) -> &'static str {
    size.and_then(crate::size::SizeClass::parse)
        .map(crate::size::SizeClass::label)
        .unwrap_or("未知")
}

impl Field {
    pub const ALL: [Field; 12] = [
        Self::CreditCode,
        Self::Name,
        Self::Region,
        Self::Township,
        Self::Industry,
        Self::AnnualSales,
        Self::Employees,
        Self::Status,
        Self::ContactPerson,
        Self::ContactPhone,
        Self::Address,
        Self::CodeOverrideReason,
    ];

    /// The key used in forms, JSON and the change history.
    pub fn key(self) -> &'static str {
        match self {
            Self::CreditCode => "credit_code",
            Self::Name => "name",
            Self::Region => "region_code",
            Self::Township => "township",
            Self::Industry => "industry_code",
            Self::AnnualSales => "annual_sales_wan",
            Self::Employees => "employees",
            Self::Status => "status",
            Self::ContactPerson => "contact_person",
            Self::ContactPhone => "contact_phone",
            Self::Address => "address",
            Self::CodeOverrideReason => "code_override_reason",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::CreditCode => "统一社会信用代码",
            Self::Name => "企业名称",
            Self::Region => "所属县（市、区）",
            Self::Township => "乡镇（街道）",
            Self::Industry => "行业类别",
            Self::AnnualSales => "年销售收入（万元）",
            Self::Employees => "从业人数",
            Self::Status => "经营状态",
            Self::ContactPerson => "联系人",
            Self::ContactPhone => "联系电话",
            Self::Address => "生产经营地址",
            Self::CodeOverrideReason => "信用代码校验豁免理由",
        }
    }
}

/// An error on one field, shown next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

impl FieldError {
    pub fn new(field: Field, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// Raw input as text, from a form, a JSON body or a spreadsheet row. `None` means the field was
/// not given (for an update: keep the old value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnterpriseDraft {
    pub credit_code: Option<String>,
    pub name: Option<String>,
    pub region: Option<String>,
    pub township: Option<String>,
    pub industry: Option<String>,
    pub annual_sales_wan: Option<String>,
    pub employees: Option<String>,
    pub status: Option<String>,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub code_override_reason: Option<String>,
}

impl EnterpriseDraft {
    pub fn get(&self, f: Field) -> Option<&str> {
        match f {
            Field::CreditCode => self.credit_code.as_deref(),
            Field::Name => self.name.as_deref(),
            Field::Region => self.region.as_deref(),
            Field::Township => self.township.as_deref(),
            Field::Industry => self.industry.as_deref(),
            Field::AnnualSales => self.annual_sales_wan.as_deref(),
            Field::Employees => self.employees.as_deref(),
            Field::Status => self.status.as_deref(),
            Field::ContactPerson => self.contact_person.as_deref(),
            Field::ContactPhone => self.contact_phone.as_deref(),
            Field::Address => self.address.as_deref(),
            Field::CodeOverrideReason => self.code_override_reason.as_deref(),
        }
    }

    pub fn set(&mut self, f: Field, v: Option<String>) {
        let slot = match f {
            Field::CreditCode => &mut self.credit_code,
            Field::Name => &mut self.name,
            Field::Region => &mut self.region,
            Field::Township => &mut self.township,
            Field::Industry => &mut self.industry,
            Field::AnnualSales => &mut self.annual_sales_wan,
            Field::Employees => &mut self.employees,
            Field::Status => &mut self.status,
            Field::ContactPerson => &mut self.contact_person,
            Field::ContactPhone => &mut self.contact_phone,
            Field::Address => &mut self.address,
            Field::CodeOverrideReason => &mut self.code_override_reason,
        };
        *slot = v;
    }

    /// Fills every field not given here from `base` (used for partial updates).
    pub fn merged_over(mut self, base: &EnterpriseDraft) -> EnterpriseDraft {
        for f in Field::ALL {
            if self.get(f).is_none() {
                self.set(f, base.get(f).map(str::to_string));
            }
        }
        self
    }
}

/// A validated enterprise, ready to store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EnterpriseInput {
    pub credit_code: CreditCode,
    pub code_override_reason: Option<String>,
    pub name: String,
    pub region_code: String,
    pub township: Option<String>,
    pub industry_code: String,
    pub annual_sales_yuan: Option<i64>,
    pub employees: Option<i64>,
    pub size: Option<SizeDecision>,
    pub status: EnterpriseStatus,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
}

/// Whether the person entering the data may override a failing check character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverridePolicy {
    Allowed,
    Forbidden,
}

fn non_empty(v: Option<&str>) -> Option<String> {
    v.map(clean).filter(|s| !s.is_empty())
}

fn length_ok(field: Field, v: &Option<String>, max: usize, errors: &mut Vec<FieldError>) {
    if let Some(s) = v
        && s.chars().count() > max
    {
        errors.push(FieldError::new(field, format!("不能超过{max}个字")));
    }
}

impl EnterpriseDraft {
    /// Validates every field and reports every error at once. `today` decides which region
    /// version a name resolves to and which size rules apply.
    pub fn validate(
        &self,
        reference: &ReferenceData,
        today: Date,
        overrides: OverridePolicy,
    ) -> Result<EnterpriseInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let reason = non_empty(self.code_override_reason.as_deref());
        let credit_code = match CreditCode::parse(self.credit_code.as_deref().unwrap_or("")) {
            Ok(c) => Some(c),
            Err(e) if e.is_overridable() => match (&reason, overrides) {
                (Some(_), OverridePolicy::Allowed) => {
                    CreditCode::parse_lenient(self.credit_code.as_deref().unwrap_or("")).ok()
                }
                (Some(_), OverridePolicy::Forbidden) => {
                    errors.push(FieldError::new(
                        Field::CreditCode,
                        format!("{e}；只有监管人员可以豁免校验"),
                    ));
                    None
                }
                (None, _) => {
                    errors.push(FieldError::new(
                        Field::CreditCode,
                        format!("{e}；如确为真实代码，请填写豁免理由"),
                    ));
                    None
                }
            },
            Err(e) => {
                errors.push(FieldError::new(Field::CreditCode, e.to_string()));
                None
            }
        };
        // A reason given for a code that passes is not kept: there is nothing to override.
        let code_override_reason = match &credit_code {
            Some(c) if c.verify().is_err() => reason,
            _ => None,
        };
        if let Some(r) = &code_override_reason
            && r.chars().count() < 4
        {
            errors.push(FieldError::new(
                Field::CodeOverrideReason,
                "豁免理由至少4个字",
            ));
        }

        let name = non_empty(self.name.as_deref());
        if name.is_none() {
            errors.push(FieldError::new(Field::Name, "企业名称不能为空"));
        }
        length_ok(Field::Name, &name, 100, &mut errors);

        let region_code = match non_empty(self.region.as_deref()) {
            None => {
                errors.push(FieldError::new(Field::Region, "所属县（市、区）不能为空"));
                None
            }
            Some(r) => match reference.regions.resolve(&r, today) {
                Some(region) => Some(region.code.clone()),
                None => {
                    errors.push(FieldError::new(
                        Field::Region,
                        format!("无法识别的地区“{r}”"),
                    ));
                    None
                }
            },
        };

        let industry = match non_empty(self.industry.as_deref()) {
            None => {
                errors.push(FieldError::new(Field::Industry, "行业类别不能为空"));
                None
            }
            Some(i) => match reference.industries.resolve(&i) {
                Some(ind) => Some(ind.clone()),
                None => {
                    let names: Vec<&str> = reference
                        .industries
                        .all()
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect();
                    errors.push(FieldError::new(
                        Field::Industry,
                        format!("无法识别的行业“{i}”，应为{}之一", names.join("、")),
                    ));
                    None
                }
            },
        };

        let annual_sales_yuan = match non_empty(self.annual_sales_wan.as_deref()) {
            None => None,
            Some(s) => match parse_wan_to_yuan(&s) {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.push(FieldError::new(Field::AnnualSales, e.to_string()));
                    None
                }
            },
        };
        let employees = match non_empty(self.employees.as_deref()) {
            None => None,
            Some(s) => match parse_count(&s) {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.push(FieldError::new(Field::Employees, e.to_string()));
                    None
                }
            },
        };
        let status = match non_empty(self.status.as_deref()) {
            None => Some(EnterpriseStatus::Active),
            Some(s) => match EnterpriseStatus::parse(&s) {
                Some(st) => Some(st),
                None => {
                    errors.push(FieldError::new(
                        Field::Status,
                        format!("无法识别的经营状态“{s}”，应为正常、停产或关闭"),
                    ));
                    None
                }
            },
        };
        let township = non_empty(self.township.as_deref());
        length_ok(Field::Township, &township, 50, &mut errors);
        let contact_person = non_empty(self.contact_person.as_deref());
        length_ok(Field::ContactPerson, &contact_person, 30, &mut errors);
        let contact_phone = non_empty(self.contact_phone.as_deref());
        if let Some(p) = &contact_phone {
            let ok = p.chars().count() <= 30
                && p.chars()
                    .all(|c| c.is_ascii_digit() || "-+ ()（）转,，、".contains(c));
            if !ok {
                errors.push(FieldError::new(
                    Field::ContactPhone,
                    "联系电话只能包含数字、空格和 - + ( )",
                ));
            }
        }
        let address = non_empty(self.address.as_deref());
        length_ok(Field::Address, &address, 200, &mut errors);

        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(credit_code), Some(name), Some(region_code), Some(industry), Some(status)) =
            (credit_code, name, region_code, industry, status)
        else {
            // Every `None` above pushed an error, so this branch is unreachable in practice;
            // answering with a generic error keeps it panic-free.
            return Err(vec![FieldError::new(Field::Name, "数据不完整")]);
        };
        let size = match (
            annual_sales_yuan,
            employees,
            reference.size_rules.in_force(today),
        ) {
            (Some(sales), Some(staff), Some(rules)) => {
                rules.classify(&industry.size_sector, sales, staff)
            }
            _ => None,
        };
        Ok(EnterpriseInput {
            credit_code,
            code_override_reason,
            name,
            region_code,
            township,
            industry_code: industry.code,
            annual_sales_yuan,
            employees,
            size,
            status,
            contact_person,
            contact_phone,
            address,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::size::SizeClass;
    use time::macros::date;

    fn reference() -> ReferenceData {
        ReferenceData::embedded().expect("valid")
    }

    fn draft() -> EnterpriseDraft {
        EnterpriseDraft {
            credit_code: Some("91320682711592946A".into()),
            name: Some(" 如皋市恒力机械有限公司 ".into()),
            region: Some("如皋市".into()),
            industry: Some("机械行业".into()),
            annual_sales_wan: Some("2,500".into()),
            employees: Some("120".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_draft_validates_and_gets_a_size() {
        let e = draft()
            .validate(
                &reference(),
                date!(2018 - 12 - 31),
                OverridePolicy::Forbidden,
            )
            .expect("valid");
        assert_eq!(e.name, "如皋市恒力机械有限公司");
        assert_eq!(e.region_code, "320682");
        assert_eq!(e.industry_code, "JX");
        assert_eq!(e.annual_sales_yuan, Some(25_000_000));
        assert_eq!(e.status, EnterpriseStatus::Active);
        let size = e.size.expect("sized");
        assert!(size.above_scale);
        assert_eq!(size.class, SizeClass::Small);
        assert_eq!(e.code_override_reason, None);
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let d = EnterpriseDraft {
            credit_code: Some("123".into()),
            region: Some("苏州".into()),
            industry: Some("化工".into()),
            employees: Some("很多".into()),
            status: Some("破产".into()),
            ..Default::default()
        };
        let errs = d
            .validate(&reference(), date!(2020 - 01 - 01), OverridePolicy::Allowed)
            .expect_err("invalid");
        let fields: Vec<Field> = errs.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                Field::CreditCode,
                Field::Name,
                Field::Region,
                Field::Industry,
                Field::Employees,
                Field::Status
            ]
        );
        assert!(errs[0].message.contains("18位"));
    }

    #[test]
    fn a_failing_check_needs_an_officer_and_a_reason() {
        let mut d = draft();
        d.credit_code = Some("91350203M0001QAY9B".into());
        let r = reference();
        let today = date!(2020 - 01 - 01);
        let e = d
            .validate(&r, today, OverridePolicy::Allowed)
            .expect_err("no reason");
        assert!(e[0].message.contains("豁免理由"));
        d.code_override_reason = Some("营业执照原件核实无误".into());
        let e = d
            .validate(&r, today, OverridePolicy::Forbidden)
            .expect_err("not an officer");
        assert!(e[0].message.contains("监管人员"));
        let ok = d
            .validate(&r, today, OverridePolicy::Allowed)
            .expect("overridden");
        assert_eq!(ok.credit_code.as_str(), "91350203M0001QAY9B");
        assert_eq!(
            ok.code_override_reason.as_deref(),
            Some("营业执照原件核实无误")
        );
        // A format error cannot be overridden.
        d.credit_code = Some("91350203M0001QAY9".into());
        assert!(d.validate(&r, today, OverridePolicy::Allowed).is_err());
    }

    #[test]
    fn partial_update_keeps_old_values() {
        let base = draft();
        let patch = EnterpriseDraft {
            employees: Some("10".into()),
            ..Default::default()
        };
        let merged = patch.merged_over(&base);
        assert_eq!(merged.employees.as_deref(), Some("10"));
        assert_eq!(merged.name, base.name);
    }
}
