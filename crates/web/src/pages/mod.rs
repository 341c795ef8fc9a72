//! Server-rendered pages.

pub mod account;
pub mod admin;
pub mod audit_log;
pub mod audits;
pub mod bulletins;
pub mod cases;
pub mod certificate;
pub mod consequences;
pub mod enforcement;
pub mod enterprises;
pub mod grids;
pub mod hazards;
pub mod import;
pub mod inspection_plans;
pub mod inspections;
pub mod login;
pub mod notifications;
pub mod obligations;
pub mod orgs;
pub mod outreach;
pub mod portal;
pub mod programmes;
pub mod quality;
pub mod risks;
pub mod rules;
pub mod sheets;
pub mod standing;
pub mod submissions;
pub mod training;
pub mod workbench;

use crate::error::{AppError, HtmlError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use anbiao_domain::Permission;

use crate::AppState;
use crate::auth::CurrentUser;

/// The start page: the workbench of a user who has business work, another role's home, or
/// the sign-in page.
pub async fn home(
    axum::extract::State(state): axum::extract::State<AppState>,
    u: Option<CurrentUser>,
) -> Result<Response, HtmlError> {
    let to = match &u {
        None => "/login",
        Some(u) => home_of(&u.user),
    };
    match u {
        Some(u) if to == "/" => Ok(workbench::page(&state, &u).await?.into_response()),
        _ => Ok(Redirect::to(to).into_response()),
    }
}

/// Whether the user has a workbench: the officers, the enterprises, the evaluators and the
/// three administrators.
pub fn has_workbench(u: &anbiao_store::account::User) -> bool {
    let role = u.role();
    let can = |p: Permission| role.is_some_and(|r| r.allows(p));
    can(Permission::ViewEnterprises)
        || can(Permission::ViewCases)
        || can(Permission::ManageAccounts)
        || can(Permission::ManageGrants)
        || can(Permission::ViewAuditLog)
}

/// Where a user lands after signing in.
pub fn home_of(u: &anbiao_store::account::User) -> &'static str {
    let role = u.role();
    let can = |p: Permission| role.is_some_and(|r| r.allows(p));
    if u.must_change_password {
        "/account/password"
    } else if has_workbench(u) {
        "/"
    } else if can(Permission::ViewEnterprises) {
        "/enterprises"
    } else if can(Permission::ViewCases) {
        "/cases"
    } else if can(Permission::ManageAccounts) {
        "/admin/users"
    } else if can(Permission::ManageGrants) {
        "/admin/grants"
    } else if can(Permission::ViewAuditLog) {
        "/audit"
    } else {
        "/account"
    }
}

/// What every signed-in page shows around its content.
#[derive(Debug, Clone)]
pub struct Layout {
    pub csrf: String,
    pub user_name: String,
    pub role_label: String,
    pub region_label: String,
    pub can_view: bool,
    pub can_import: bool,
    pub can_accounts: bool,
    pub can_grants: bool,
    pub can_audit: bool,
    pub can_cases: bool,
    pub can_orgs: bool,
    pub can_sheets: bool,
    pub can_notes: bool,
    pub can_quality: bool,
    pub can_programmes: bool,
    pub can_inspections: bool,
    pub can_hazards: bool,
    pub can_violations: bool,
    /// The register the user keeps (an enterprise manager's own), for the menu.
    pub risk_home: Option<String>,
    /// The enterprise's own obligation list.
    pub obligations_home: Option<String>,
    /// The officers' risk figures (`/risks`), for the menu.
    pub can_risks: bool,
    /// Training sessions and coverage (`/training`).
    pub can_training: bool,
    /// The incentive and restriction measures (`/consequences`).
    pub can_consequences: bool,
    /// Which nav item is current.
    pub nav: &'static str,
    /// The menu: groups of the items this user may open, in the order shown.
    pub menu: Vec<NavGroup>,
    /// Whether the user has a workbench (the first item of the menu).
    pub has_workbench: bool,
    /// Set when the server runs on a fixed business date (training, demonstration).
    pub fixed_date: Option<String>,
}

impl Layout {
    pub fn new(u: &CurrentUser, state: &AppState, nav: &'static str) -> Self {
        let region_label = match &u.user.region_code {
            Some(code) => crate::views::region_name(&state.reference, code),
            None if u.role == anbiao_domain::Role::CityOfficer => {
                state.reference.regions.city_name.clone()
            }
            None => u.enterprise_name.clone().unwrap_or_default(),
        };
        let mut layout = Self {
            csrf: u.csrf.clone(),
            user_name: u.user.display_name.clone(),
            role_label: u.role.label().to_string(),
            region_label,
            can_view: u.can(Permission::ViewEnterprises),
            can_import: u.can(Permission::ImportEnterprises),
            can_accounts: u.can(Permission::ManageAccounts),
            can_grants: u.can(Permission::ManageGrants),
            can_audit: u.can(Permission::ViewAuditLog),
            can_cases: u.can(Permission::ViewCases),
            can_orgs: u.can(Permission::ManageOrgs),
            can_sheets: u.can(Permission::ManageSheets),
            can_notes: state.ctx(&u.acting("page")).audience().is_some(),
            can_quality: u.can(Permission::MonitorQuality),
            can_programmes: u.can(Permission::ViewProgrammes),
            can_inspections: u.can(Permission::ViewInspections),
            can_hazards: u.can(Permission::ViewHazards),
            can_violations: u.can(Permission::ViewViolations),
            risk_home: u
                .user
                .enterprise_id
                .filter(|_| u.can(Permission::KeepRisks))
                .map(|id| format!("/enterprises/{id}/risks")),
            obligations_home: u
                .user
                .enterprise_id
                .filter(|_| u.can(Permission::KeepObligations))
                .map(|id| format!("/enterprises/{id}/obligations")),
            can_risks: u.can(Permission::ViewRisks) && u.user.enterprise_id.is_none(),
            can_training: u.can(Permission::ViewTraining),
            can_consequences: u.can(Permission::ViewConsequences),
            menu: Vec::new(),
            has_workbench: has_workbench(&u.user),
            nav,
            fixed_date: state
                .config
                .fixed_date
                .map(anbiao_domain::date::format_date),
        };
        layout.build_menu();
        layout
    }
}

/// One link of the menu.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: String,
    pub label: &'static str,
    pub current: bool,
}

/// A heading of the menu: one link alone, or a drop-down of several.
#[derive(Debug, Clone)]
pub struct NavGroup {
    pub label: &'static str,
    pub items: Vec<NavItem>,
    pub current: bool,
}

impl Layout {
    /// The menu grouped so that every role's fits one line of a 1280-pixel screen: the
    /// programme, supervision, enterprises and grading, the system's administration.
    fn build_menu(&mut self) {
        let nav = self.nav;
        let item = |href: &str, label: &'static str, key: &str| NavItem {
            href: href.to_string(),
            label,
            current: nav == key,
        };
        let mut groups: Vec<(&'static str, Vec<NavItem>)> = Vec::new();
        if self.has_workbench {
            groups.push(("工作台", vec![item("/", "工作台", "workbench")]));
        }
        let mut programme = Vec::new();
        if self.can_programmes {
            programme.push(item("/programmes", "样板地区", "programmes"));
        }
        if self.can_training {
            programme.push(item("/training", "培训", "training"));
            programme.push(item("/outreach", "宣传示范", "outreach"));
        }
        if self.can_consequences {
            programme.push(item("/consequences", "激励约束", "consequences"));
        }
        groups.push(("样板地区", programme));
        let mut supervision = Vec::new();
        if self.can_inspections {
            supervision.push(item("/inspections/plan", "监督检查", "inspections"));
            supervision.push(item("/grids", "监管网格", "grids"));
        }
        if let Some(r) = &self.risk_home {
            supervision.push(item(r, "风险管控", "risks"));
        }
        if self.can_risks {
            supervision.push(item("/risks", "风险管控", "risks"));
            supervision.push(item("/obligations", "监管清单", "obligations"));
        }
        if let Some(o) = &self.obligations_home {
            supervision.push(item(o, "监管清单", "obligations"));
        }
        if self.can_hazards {
            supervision.push(item("/hazards", "隐患治理", "hazards"));
        }
        if self.can_violations {
            supervision.push(item("/violations", "违法行为", "violations"));
        }
        groups.push(("监管执法", supervision));
        let mut grading = Vec::new();
        if self.can_view {
            grading.push(item("/enterprises", "企业名录", "enterprises"));
        }
        if self.can_import {
            grading.push(item("/enterprises/import", "名录导入", "import"));
        }
        if self.can_cases {
            grading.push(item("/cases", "定级案件", "cases"));
        }
        if self.can_quality {
            grading.push(item("/quality", "质量监测", "quality"));
        }
        if self.can_sheets {
            grading.push(item("/sheets", "评分细则", "sheets"));
        }
        if self.can_orgs {
            grading.push(item("/orgs", "评审单位", "orgs"));
        }
        groups.push(("企业与定级", grading));
        let mut system = Vec::new();
        if self.can_accounts {
            system.push(item("/admin/users", "账户管理", "users"));
        }
        if self.can_grants {
            system.push(item("/admin/grants", "角色授权", "grants"));
            system.push(item("/admin/tokens", "协作部门令牌", "admin-tokens"));
        }
        if self.can_audit {
            system.push(item("/audit", "审计日志", "audit"));
        }
        groups.push(("系统管理", system));
        // A user with few links in all (an enterprise) reads them without drop-downs.
        let total: usize = groups.iter().map(|(_, i)| i.len()).sum();
        self.menu = if total <= 6 {
            groups
                .into_iter()
                .flat_map(|(_, items)| items)
                .map(|i| NavGroup {
                    label: i.label,
                    current: i.current,
                    items: vec![i],
                })
                .collect()
        } else {
            groups
                .into_iter()
                .filter(|(_, items)| !items.is_empty())
                .map(|(label, items)| NavGroup {
                    label: if items.len() == 1 {
                        items[0].label
                    } else {
                        label
                    },
                    current: items.iter().any(|i| i.current),
                    items,
                })
                .collect()
        };
    }
}

/// The programme unit of a district or township account's region (None for the city).
pub fn own_unit(state: &AppState, u: &CurrentUser) -> Option<String> {
    state.ctx(&u.acting("page")).own_unit()
}

/// The form of a public draw (the yearly inspection plan, the audit sample): the year, the
/// unit (the city's pick) and the seed drawn on the spot.
#[derive(serde::Deserialize)]
pub struct DrawForm {
    pub year: i32,
    pub unit: Option<String>,
    pub seed: String,
}

impl DrawForm {
    /// The seed as a number, or the reason in words.
    pub fn seed(&self) -> Result<u64, AppError> {
        self.seed
            .trim()
            .parse::<u64>()
            .map_err(|_| AppError::bad("seed", "随机种子应为非负整数"))
    }
}

/// A seed to suggest for a public draw (the officer may replace it with one given on the spot).
pub fn random_seed() -> u64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        return 2018;
    }
    u64::from_le_bytes(b) % 1_000_000_000
}

/// A form post refused for its input (bad input, a conflict): the form's page again with the
/// message, as 422. Any other error passes on. `again` renders the page with a message.
pub async fn show_refusal<F, Fut>(e: AppError, again: F) -> Result<Response, HtmlError>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<axum::response::Html<String>, HtmlError>>,
{
    match e {
        AppError::BadRequest { message, .. } | AppError::Conflict(message) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, again(message).await?).into_response())
        }
        other => Err(other.into()),
    }
}

/// A record's id from the path; anything else is a record that does not exist.
pub fn parse_id(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().map_err(|_| AppError::NotFound)
}

/// A redirect that htmx follows too (`HX-Redirect`), with 303 for plain browsers.
pub fn redirect(to: &str, htmx: bool) -> Response {
    if htmx {
        let mut r = StatusCode::NO_CONTENT.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            r.headers_mut().insert("HX-Redirect", v);
        }
        r
    } else {
        let mut r = StatusCode::SEE_OTHER.into_response();
        if let Ok(v) = HeaderValue::from_str(to) {
            r.headers_mut().insert(header::LOCATION, v);
        }
        r
    }
}

/// An option of a select box.
#[derive(Debug, Clone)]
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Opt {
    pub fn new(value: impl Into<String>, label: impl Into<String>, current: Option<&str>) -> Self {
        let value = value.into();
        let selected = current.is_some_and(|c| c == value);
        Self {
            value,
            label: label.into(),
            selected,
        }
    }
}

/// An uploaded image as stored (a hazard photo, a site plan): private to the reader, cached for
/// an hour, never sniffed as another type.
pub fn image_response(content_type: String, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response()
}
