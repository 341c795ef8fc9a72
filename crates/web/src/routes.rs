//! Every route of the application and who may call it, in one table. A route is added here
//! or nowhere: the builder takes the access rule with the handler, and [`guard`] refuses any
//! matched route the table does not declare. Handlers do not check permissions; they apply
//! the caller's scope to the data.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};

use anbiao_domain::Permission;
use anbiao_store::audit_log::{self, Event};

use crate::auth::CurrentUser;
use crate::error::{AppError, HtmlError};
use crate::{AppState, UPLOAD_LIMIT, api, assets, pages};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user, even one who must first change an initial password (the password
    /// page, sign-out).
    Account,
    /// Any signed-in user whose password is settled.
    SignedIn,
    /// A signed-in user whose role (and token) grants the permission.
    Perm(Permission),
}

/// One declared route.
#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
}

impl RouteSpec {
    pub fn is_api(&self) -> bool {
        self.path.starts_with("/api/")
    }
}

/// The router under construction and its declarations, built together.
pub struct Table {
    router: Router<AppState>,
    specs: Vec<RouteSpec>,
}

macro_rules! verb {
    ($name:ident, $method:ident) => {
        pub fn $name<H, T>(self, path: &'static str, access: Access, h: H) -> Self
        where
            H: Handler<T, AppState>,
            T: 'static,
        {
            self.on(Method::$method, path, access, on(MethodFilter::$method, h))
        }
    };
}

impl Table {
    fn new() -> Self {
        Self {
            router: Router::new(),
            specs: Vec::new(),
        }
    }

    fn on(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        mr: MethodRouter<AppState>,
    ) -> Self {
        self.specs.push(RouteSpec {
            method,
            path,
            access,
        });
        self.router = self.router.route(path, mr);
        self
    }

    verb!(get, GET);
    verb!(post, POST);
    verb!(put, PUT);
    verb!(patch, PATCH);
    verb!(delete, DELETE);

    /// A POST that takes a file upload: a larger body limit than forms.
    pub fn upload<H, T>(self, path: &'static str, access: Access, h: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let mr = on(MethodFilter::POST, h).layer(DefaultBodyLimit::max(UPLOAD_LIMIT + 1024 * 1024));
        self.on(Method::POST, path, access, mr)
    }

    pub fn specs(&self) -> &[RouteSpec] {
        &self.specs
    }

    /// The router with the guard in front of every route.
    pub fn into_router(self, state: &AppState) -> Router<AppState> {
        let declared: HashMap<(Method, &'static str), Access> = self
            .specs
            .iter()
            .map(|s| ((s.method.clone(), s.path), s.access))
            .collect();
        let g = Guard {
            state: state.clone(),
            declared: Arc::new(declared),
        };
        self.router
            .route_layer(axum::middleware::from_fn_with_state(g, guard))
    }
}

/// The whole route table.
pub fn table() -> Table {
    use Access::*;
    use Permission::*;
    use pages::{
        account, admin, audit_log as audit_pages, audits, bulletins, cases, certificate,
        consequences, enforcement, enterprises as ent, grids, hazards, import, inspection_plans,
        inspections, login, notifications, obligations, orgs, outreach, portal, programmes,
        quality, risks, rules, sheets, standing, submissions, training,
    };
    Table::new()
        // Public: sign-in, health, assets, the API description.
        .get("/", Public, pages::home)
        .get("/login", Public, login::login_page)
        .post("/login", Public, login::login)
        .get("/healthz", Public, assets::healthz)
        .get("/static/htmx.min.js", Public, assets::htmx_js)
        .get("/static/app.css", Public, assets::app_css)
        .get("/static/app.js", Public, assets::app_js)
        .get("/favicon.ico", Public, assets::favicon)
        .get("/api/v1/openapi.json", Public, api::openapi)
        .post("/api/v1/session", Public, api::session::create_session)
        // The public portal.
        .get("/portal", Public, portal::lookup)
        .get("/rules", Public, rules::index)
        .get("/rules/{key}", Public, rules::set)
        .get("/verify/{token}", Public, portal::verify)
        .get("/portal/risk-cards/{token}", Public, risks::portal_cards)
        .get("/portal/rectification", Public, portal::rectification)
        .get(
            "/portal/rectification.xlsx",
            Public,
            portal::rectification_xlsx,
        )
        .get("/portal/bulletins", Public, bulletins::portal_list)
        .get("/portal/bulletins/{id}", Public, bulletins::portal_one)
        .get("/portal/bulletins/{id}/pdf", Public, bulletins::portal_pdf)
        .get("/portal/warnings", Public, enforcement::portal_list)
        .get("/portal/warnings/{id}", Public, enforcement::portal_one)
        .get("/portal/warnings/{id}/pdf", Public, enforcement::portal_pdf)
        .get("/portal/inspections", Public, inspection_plans::portal_list)
        .get(
            "/portal/inspections/{id}",
            Public,
            inspection_plans::portal_one,
        )
        .get("/portal/notices", Public, portal::notices)
        .post("/portal/notices/{id}/objection", Public, portal::object)
        .get("/portal/announcements", Public, portal::announcements)
        .get("/portal/models", Public, outreach::portal)
        // The caller's own account.
        .post("/logout", Account, login::logout)
        .delete("/api/v1/session", Account, api::session::delete_session)
        .get("/account/password", Account, account::password_page)
        .post("/account/password", Account, account::change_password)
        .get("/account", SignedIn, account::overview)
        .get("/account/tokens", SignedIn, account::tokens_page)
        .post("/account/tokens", SignedIn, account::issue_token)
        .post(
            "/account/tokens/{id}/revoke",
            SignedIn,
            account::revoke_token,
        )
        // The enterprise registry.
        .get("/enterprises", Perm(ViewEnterprises), ent::list)
        .post("/enterprises", Perm(EditEnterprises), ent::create)
        .get("/enterprises/new", Perm(EditEnterprises), ent::new_form)
        .get(
            "/enterprises/export.xlsx",
            Perm(ExportEnterprises),
            ent::export_xlsx,
        )
        .get("/enterprises/{id}", Perm(ViewEnterprises), ent::detail)
        .post("/enterprises/{id}", Perm(EditEnterprises), ent::update)
        .get(
            "/enterprises/{id}/edit",
            Perm(EditEnterprises),
            ent::edit_form,
        )
        .get(
            "/enterprises/{id}/standing",
            Perm(ViewEnterprises),
            standing::page,
        )
        .post(
            "/enterprises/{id}/accidents",
            Perm(RecordAccidents),
            standing::record_accident,
        )
        .get("/notifications", SignedIn, notifications::list)
        .get(
            "/notifications/export.xlsx",
            SignedIn,
            notifications::export,
        )
        .get("/quality", Perm(MonitorQuality), quality::page)
        .get("/programmes", Perm(ViewProgrammes), programmes::index)
        .get(
            "/programmes/{id}",
            Perm(ViewProgrammes),
            programmes::dashboard,
        )
        .get(
            "/programmes/{id}/behind",
            Perm(ViewProgrammes),
            programmes::behind,
        )
        .get(
            "/programmes/{id}/charts",
            Perm(ViewProgrammes),
            programmes::charts,
        )
        .get("/audits", Perm(ViewProgrammes), audits::page)
        .get("/audits/rechecks", Perm(ViewProgrammes), audits::rechecks)
        .get(
            "/audits/rechecks.xlsx",
            Perm(ViewProgrammes),
            audits::rechecks_xlsx,
        )
        .get(
            "/workbench/targets",
            Perm(ViewProgrammes),
            crate::pages::workbench::targets,
        )
        .get("/audits/export.xlsx", Perm(ViewProgrammes), audits::export)
        .post(
            "/programmes/{id}/bulletins",
            Perm(PublishBulletins),
            bulletins::draft,
        )
        .get("/bulletins/{id}", Perm(ViewProgrammes), bulletins::show)
        .post("/bulletins/{id}", Perm(PublishBulletins), bulletins::save)
        .get("/bulletins/{id}/pdf", Perm(ViewProgrammes), bulletins::pdf)
        .post("/audits/plan", Perm(ManageAudits), audits::draw)
        .post("/audits/record", Perm(ManageAudits), audits::record)
        .get("/audits/{id}", Perm(ViewProgrammes), audits::detail)
        .get(
            "/inspections/plan",
            Perm(ViewInspections),
            inspection_plans::page,
        )
        .post(
            "/inspections/plan",
            Perm(PlanInspections),
            inspection_plans::draw,
        )
        .post(
            "/inspections/officers",
            Perm(PlanInspections),
            inspection_plans::set_officer,
        )
        .get(
            "/inspections/plan/export",
            Perm(ViewInspections),
            inspection_plans::export,
        )
        .post(
            "/inspections/plan/publish",
            Perm(PlanInspections),
            inspection_plans::publish,
        )
        // Inspections as recorded, hidden hazards, enforcement and the violations database.
        .get("/inspections", Perm(ViewInspections), inspections::list)
        .get(
            "/inspections/export.xlsx",
            Perm(ViewInspections),
            inspections::export,
        )
        .get("/inspections/new", Perm(Inspect), inspections::new_form)
        .upload("/inspections", Perm(Inspect), inspections::record)
        .get(
            "/inspections/{id}",
            Perm(ViewInspections),
            inspections::detail,
        )
        .get("/hazards", Perm(ViewHazards), hazards::list)
        .get("/hazards/export.xlsx", Perm(ViewHazards), hazards::export)
        .upload("/hazards", Perm(ReportHazards), hazards::report)
        .get("/hazards/stats", Perm(ViewHazards), hazards::stats)
        .get("/hazards/{id}", Perm(ViewHazards), hazards::detail)
        .get(
            "/hazards/{id}/photos/{photo}",
            Perm(ViewHazards),
            hazards::photo,
        )
        .post("/hazards/{id}/plan", Perm(ReportHazards), hazards::plan)
        .upload(
            "/hazards/{id}/rectify",
            Perm(ReportHazards),
            hazards::rectify,
        )
        .post("/hazards/{id}/accept", Perm(Inspect), hazards::accept)
        .post("/hazards/{id}/return", Perm(Inspect), hazards::send_back)
        // The obligation list (监管清单, 六（二）2): the enterprise checks itself against it.
        .get("/obligations", Perm(ViewObligations), obligations::figures)
        .get(
            "/obligations/enterprises",
            Perm(ViewObligations),
            obligations::enterprises,
        )
        .get(
            "/enterprises/{id}/obligations",
            Perm(ViewObligations),
            obligations::list,
        )
        .upload(
            "/obligations/{key}/confirm",
            Perm(KeepObligations),
            obligations::confirm,
        )
        .post(
            "/obligations/{key}/gap",
            Perm(KeepObligations),
            obligations::gap,
        )
        .get(
            "/obligation-records/{id}/evidence",
            Perm(ViewObligations),
            obligations::evidence,
        )
        .post(
            "/enterprises/{id}/features",
            Perm(EditEnterprises),
            obligations::set_feature,
        )
        // Training (培训, 六（六）1): sessions, sign-in sheets, certificates, coverage.
        .get("/training", Perm(ViewTraining), training::list)
        .post("/training", Perm(KeepTraining), training::create)
        .get("/training/coverage", Perm(ViewTraining), training::coverage)
        .get(
            "/training/sign-in.xlsx",
            Perm(ViewTraining),
            training::template,
        )
        .get("/training/{id}", Perm(ViewTraining), training::detail)
        .post(
            "/training/{id}/attendance",
            Perm(KeepTraining),
            training::attend,
        )
        .upload(
            "/training/{id}/import",
            Perm(KeepTraining),
            training::import,
        )
        .get(
            "/training/attendance/{id}",
            Perm(ViewTraining),
            training::certificate,
        )
        // Grids and enterprise safety officers (网格、企业安全员, 六（四）3).
        .get("/grids", Perm(ViewProgrammes), grids::list)
        .post("/grids", Perm(KeepGrids), grids::create)
        .get("/grids/{id}", Perm(ViewProgrammes), grids::detail)
        .post("/grids/{id}/members", Perm(KeepGrids), grids::assign)
        // Publicity and demonstration (宣传、典型示范, 六（六）2–3).
        .get("/outreach", Perm(ViewTraining), outreach::show)
        .post("/outreach/models", Perm(KeepOutreach), outreach::name_model)
        .post(
            "/outreach/townships",
            Perm(KeepOutreach),
            outreach::name_township,
        )
        .post(
            "/outreach/exchanges",
            Perm(KeepOutreach),
            outreach::exchange,
        )
        .post("/outreach/groups", Perm(KeepOutreach), outreach::group)
        .post(
            "/outreach/publicity",
            Perm(KeepOutreach),
            outreach::record_publicity,
        )
        .post(
            "/outreach/publicity/{id}/withdraw",
            Perm(KeepOutreach),
            outreach::withdraw_publicity,
        )
        .post(
            "/outreach/models/{id}/revoke",
            Perm(KeepOutreach),
            outreach::revoke_model,
        )
        .post(
            "/outreach/exchanges/{id}/withdraw",
            Perm(KeepOutreach),
            outreach::withdraw_exchange,
        )
        // Risk registers (风险点辨识清单): the enterprise keeps its own, officers read.
        .get("/enterprises/{id}/risks", Perm(ViewRisks), risks::register)
        .get(
            "/enterprises/{id}/risks/export",
            Perm(ViewRisks),
            risks::export,
        )
        .get(
            "/api/v1/enterprises/{id}/risks",
            Perm(ViewRisks),
            api::risks::get_register,
        )
        .get(
            "/api/v1/enterprises/{id}/obligations",
            Perm(ViewObligations),
            api::outreach::get_obligations,
        )
        .get(
            "/api/v1/training",
            Perm(ViewTraining),
            api::outreach::list_training,
        )
        .get(
            "/api/v1/training/{id}",
            Perm(ViewTraining),
            api::outreach::get_training,
        )
        .get(
            "/api/v1/outreach/figures",
            Perm(ViewTraining),
            api::outreach::get_figures,
        )
        // Incentives and restrictions (激励约束措施, 六（五）): the measures and their lists.
        .get("/consequences", Perm(ViewConsequences), consequences::index)
        .get(
            "/consequences/{key}",
            Perm(ViewConsequences),
            consequences::list,
        )
        .get(
            "/consequences/{key}/export.xlsx",
            Perm(ViewConsequences),
            consequences::export,
        )
        .get(
            "/api/v1/consequences",
            Perm(ViewConsequences),
            api::consequences::list_measures,
        )
        .get(
            "/api/v1/consequences/{key}",
            Perm(ViewConsequences),
            api::consequences::get_measure_list,
        )
        .get("/api/v1/feed", Perm(ReadFeed), api::feed::get_feed)
        .get(
            "/enterprises/{id}/designations",
            Perm(ViewConsequences),
            consequences::designations,
        )
        .post(
            "/enterprises/{id}/designations",
            Perm(EditEnterprises),
            consequences::designate,
        )
        .post(
            "/designations/{id}/end",
            Perm(EditEnterprises),
            consequences::end,
        )
        .get("/risks", Perm(ViewRisks), risks::summary)
        .get(
            "/api/v1/risks/summary",
            Perm(ViewRisks),
            api::risks::get_summary,
        )
        .get("/risks/new", Perm(KeepRisks), risks::new_form)
        .post("/risks", Perm(KeepRisks), risks::create)
        .get("/risks/{id}", Perm(ViewRisks), risks::detail)
        .get("/risks/{id}/edit", Perm(KeepRisks), risks::edit_form)
        .post("/risks/{id}", Perm(KeepRisks), risks::update)
        .get(
            "/enterprises/{id}/risk-checks",
            Perm(ViewRisks),
            risks::check_tasks,
        )
        .get("/risks/{id}/check", Perm(KeepRisks), risks::check_form)
        .get("/risks/{id}/cards/{card}", Perm(ViewRisks), risks::card_pdf)
        .post("/risks/{id}/place", Perm(KeepRisks), risks::place)
        .get(
            "/risks/{id}/plans/{plan}/at",
            Perm(KeepRisks),
            risks::click_at,
        )
        .get(
            "/enterprises/{id}/risk-map",
            Perm(ViewRisks),
            risks::risk_map,
        )
        .upload("/risk-plans", Perm(KeepRisks), risks::upload_plan)
        .upload("/risks/import", Perm(KeepRisks), risks::import_register)
        .get("/risk-plans/{id}/image", Perm(ViewRisks), risks::plan_image)
        .get("/risk-plans/{id}/map", Perm(ViewRisks), risks::plan_map_pdf)
        .post("/risks/{id}/check", Perm(KeepRisks), risks::record_check)
        .post("/enforcement", Perm(Enforce), enforcement::decide)
        .get("/violations", Perm(ViewViolations), enforcement::list)
        .get(
            "/violations/export.xlsx",
            Perm(ViewViolations),
            enforcement::export,
        )
        .post(
            "/violations/{id}/typical",
            Perm(Enforce),
            enforcement::set_typical,
        )
        .post("/warnings", Perm(PublishWarnings), enforcement::draft)
        .get("/warnings/{id}", Perm(ViewViolations), enforcement::notice)
        .post(
            "/warnings/{id}/publish",
            Perm(PublishWarnings),
            enforcement::publish,
        )
        .post("/audits/{id}/recheck", Perm(ManageAudits), audits::recheck)
        .post("/audits/{id}/renew", Perm(ManageAudits), audits::renew)
        .get(
            "/programmes/{id}/tasks",
            Perm(ViewProgrammes),
            submissions::tasks,
        )
        .upload(
            "/programmes/{id}/tasks",
            Perm(SubmitReports),
            submissions::submit,
        )
        .get(
            "/submissions/{id}",
            Perm(ViewProgrammes),
            submissions::detail,
        )
        .get(
            "/submissions/{id}/file",
            Perm(ViewProgrammes),
            submissions::file,
        )
        .post(
            "/submissions/{id}/decide",
            Perm(ReviewReports),
            submissions::decide,
        )
        .get(
            "/programmes/{id}/export",
            Perm(ViewProgrammes),
            programmes::export,
        )
        .post(
            "/notifications/{id}/read",
            SignedIn,
            notifications::mark_read,
        )
        .get(
            "/certificates/{id}/pdf",
            Perm(ViewCertificates),
            certificate::pdf,
        )
        .post(
            "/certificates/{id}/revoke",
            Perm(RevokeCertificates),
            standing::revoke,
        )
        .get(
            "/enterprises/import",
            Perm(ImportEnterprises),
            import::import_page,
        )
        .upload(
            "/enterprises/import",
            Perm(ImportEnterprises),
            import::upload,
        )
        .get(
            "/api/v1/enterprises",
            Perm(ViewEnterprises),
            api::enterprises::list_enterprises,
        )
        .post(
            "/api/v1/enterprises",
            Perm(EditEnterprises),
            api::enterprises::create_enterprise,
        )
        .get(
            "/api/v1/enterprises/{id}",
            Perm(ViewEnterprises),
            api::enterprises::get_enterprise,
        )
        .put(
            "/api/v1/enterprises/{id}",
            Perm(EditEnterprises),
            api::enterprises::update_enterprise,
        )
        .patch(
            "/api/v1/enterprises/{id}",
            Perm(EditEnterprises),
            api::enterprises::update_enterprise,
        )
        // Grading cases.
        .get("/cases", Perm(ViewCases), cases::list)
        .get("/cases/export.xlsx", Perm(ViewCases), cases::export)
        .post("/cases", Perm(ActOnCases), cases::create)
        .get("/cases/new", Perm(ActOnCases), cases::new_form)
        .get("/cases/{id}", Perm(ViewCases), cases::detail)
        .post("/cases/{id}/act", Perm(ActOnCases), cases::act)
        .post("/cases/{id}/assign", Perm(ActOnCases), cases::assign)
        .post(
            "/cases/{id}/external",
            Perm(ActOnCases),
            cases::record_external,
        )
        .get(
            "/cases/{id}/assessment",
            Perm(ActOnCases),
            cases::assessment_form,
        )
        .post(
            "/cases/{id}/assessment",
            Perm(ActOnCases),
            cases::submit_assessment,
        )
        .get(
            "/certificates/annual-missing",
            Perm(ViewCases),
            standing::annual_missing,
        )
        .get(
            "/certificates/expiring",
            Perm(ViewCases),
            standing::expiring,
        )
        .get(
            "/certificates/expiring.xlsx",
            Perm(ViewCases),
            standing::expiring_xlsx,
        )
        .get(
            "/certificates/annual-missing.xlsx",
            Perm(ViewCases),
            standing::annual_missing_xlsx,
        )
        .post(
            "/certificates/{id}/annual",
            Perm(ActOnCases),
            standing::submit_annual,
        )
        .get("/api/v1/cases", Perm(ViewCases), api::cases::list_cases)
        .get("/api/v1/cases/{id}", Perm(ViewCases), api::cases::get_case)
        .post(
            "/api/v1/cases/{id}/steps",
            Perm(ActOnCases),
            api::cases::take_step,
        )
        .get(
            "/api/v1/programmes",
            Perm(ViewProgrammes),
            api::programmes::list_programmes,
        )
        .get(
            "/api/v1/programmes/{id}/targets",
            Perm(ViewProgrammes),
            api::programmes::get_targets,
        )
        .get(
            "/api/v1/certificates",
            Perm(ViewCertificates),
            api::cases::list_certificates,
        )
        .get("/sheets", Perm(ManageSheets), sheets::page)
        .upload("/sheets", Perm(ManageSheets), sheets::upload)
        .get("/orgs", Perm(ManageOrgs), orgs::page)
        .post("/orgs", Perm(ManageOrgs), orgs::create)
        .post(
            "/orgs/{id}/evaluators",
            Perm(ManageOrgs),
            orgs::add_evaluator,
        )
        .post(
            "/orgs/{id}/coaching",
            Perm(ManageOrgs),
            orgs::record_coaching,
        )
        .post(
            "/admin/grants/{id}/org",
            Perm(ManageGrants),
            admin::link_org,
        )
        // System administrator: accounts.
        .get("/admin/users", Perm(ManageAccounts), admin::users_page)
        .post("/admin/users", Perm(ManageAccounts), admin::create_user)
        .post(
            "/admin/users/{id}",
            Perm(ManageAccounts),
            admin::change_user,
        )
        // Security administrator: roles, grants and partner tokens.
        .get("/admin/grants", Perm(ManageGrants), admin::grants_page)
        .post("/admin/grants/{id}", Perm(ManageGrants), admin::grant)
        .get("/admin/tokens", Perm(ManageGrants), admin::tokens_page)
        .post("/admin/tokens", Perm(ManageGrants), admin::issue_token)
        .post(
            "/admin/tokens/{id}/revoke",
            Perm(ManageGrants),
            admin::revoke_token,
        )
        .post("/admin/partners", Perm(ManageGrants), admin::bind_partner)
        .post(
            "/admin/partners/{id}/end",
            Perm(ManageGrants),
            admin::unbind_partner,
        )
        // Audit administrator: the log.
        .get("/audit", Perm(ViewAuditLog), audit_pages::search)
        .get(
            "/audit/export.xlsx",
            Perm(ViewAuditLog),
            audit_pages::export_xlsx,
        )
}

#[derive(Clone)]
struct Guard {
    state: AppState,
    declared: Arc<HashMap<(Method, &'static str), Access>>,
}

fn refuse(api: bool, e: AppError) -> Response {
    if api {
        e.into_response()
    } else {
        HtmlError(e).into_response()
    }
}

/// Checks the caller against the route's declared access before the handler runs.
async fn guard(
    State(g): State<Guard>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let path = matched.as_ref().map(|m| m.as_str()).unwrap_or("");
    let api = path.starts_with("/api/");
    let method = if req.method() == Method::HEAD {
        Method::GET
    } else {
        req.method().clone()
    };
    let Some(access) = g.declared.get(&(method, path)).copied() else {
        // Another method of a declared route (a GET on a form's POST): 405, naming the methods
        // the path takes. A path with no rule at all is a programming error.
        let mut allowed: Vec<&str> = g
            .declared
            .keys()
            .filter(|(_, p)| *p == path)
            .map(|(m, _)| m.as_str())
            .collect();
        allowed.sort_unstable();
        if allowed.is_empty() {
            tracing::error!(path, "route without a declared access rule refused");
            return refuse(api, AppError::Forbidden("访问此地址"));
        }
        const WRONG_METHOD: &str = "该地址不支持这种请求方式，请通过页面上的链接或按钮操作";
        let mut res = if api {
            refuse(
                api,
                AppError::BadRequest {
                    field: None,
                    message: WRONG_METHOD.into(),
                },
            )
        } else {
            crate::error::error_page(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                WRONG_METHOD.into(),
            )
        };
        *res.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
        if let Ok(v) = axum::http::HeaderValue::from_str(&allowed.join(", ")) {
            res.headers_mut().insert(axum::http::header::ALLOW, v);
        }
        return res;
    };
    if access == Access::Public {
        // Anonymous traffic to the public pages is limited per address (the health check is
        // for the monitoring, and a signed-in user is counted nowhere here).
        let anonymous = req.extensions().get::<CurrentUser>().is_none();
        if anonymous
            && path != "/healthz"
            && let Some(client) = req.extensions().get::<crate::auth::ClientAddr>()
            && matches!(
                g.state.public_limiter.attempt(&client.0),
                crate::limit::Verdict::Refused { .. }
            )
        {
            return refuse(api, AppError::PublicTooFrequent);
        }
        return next.run(req).await;
    }
    let Some(u) = req.extensions().get::<CurrentUser>() else {
        return refuse(api, AppError::Unauthenticated);
    };
    if u.user.must_change_password && access != Access::Account {
        return refuse(api, AppError::PasswordChangeRequired);
    }
    if let Access::Perm(p) = access
        && !u.can(p)
    {
        let ev = Event::new(
            "access.denied",
            format!("{} {}", req.method(), req.uri().path()),
        )
        .detail(format!("缺少权限：{}", p.label()));
        if let Err(e) = audit_log::append(&g.state.db, &u.actor("web"), &ev).await {
            return refuse(api, e.into());
        }
        return refuse(api, AppError::Forbidden(p.label()));
    }
    next.run(req).await
}
