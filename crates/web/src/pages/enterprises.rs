//! Enterprise pages: list with search and filters, detail with history, create and edit forms,
//! export.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};

use anbiao_domain::authority::FieldKeeper;
use anbiao_domain::enterprise::{EnterpriseDraft, Field};
use anbiao_domain::{EnterpriseStatus, Permission};
use anbiao_store::enterprise::{SizeFilter, SortKey};

use crate::auth::{CurrentUser, PageUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::filters::ListQuery;
use crate::pages::{Layout, Opt, redirect};
use crate::views::{ChangeView, EnterpriseView};
use crate::{AppState, export};

pub const PER_PAGE: i64 = 20;

pub struct SortLink {
    pub label: &'static str,
    pub href: String,
    pub arrow: &'static str,
}

pub struct PageLink {
    pub href: String,
}

#[derive(Template)]
#[template(path = "enterprises/list.html")]
struct ListPage {
    layout: Layout,
    r: Results,
    q: String,
    regions: Vec<Opt>,
    industries: Vec<Opt>,
    sizes: Vec<Opt>,
    statuses: Vec<Opt>,
    can_edit: bool,
}

#[derive(Template)]
#[template(path = "enterprises/_results.html")]
struct Results {
    rows: Vec<EnterpriseView>,
    total: i64,
    total_exact: bool,
    page: i64,
    pages: i64,
    sort_links: Vec<SortLink>,
    first: Option<PageLink>,
    prev: Option<PageLink>,
    next: Option<PageLink>,
    last: Option<PageLink>,
    /// The page sizes offered: (size, link, current). `per_page`, since `size` is the
    /// enterprise's size class here.
    page_sizes: Vec<(i64, String, bool)>,
    export_href: Option<String>,
}

fn region_options(state: &AppState, current: Option<&str>) -> Vec<Opt> {
    state
        .reference
        .regions
        .valid_on(state.today())
        .map(|r| Opt::new(r.code.clone(), r.name.clone(), current))
        .collect()
}

fn industry_options(state: &AppState, current: Option<&str>) -> Vec<Opt> {
    state
        .reference
        .industries
        .all()
        .iter()
        .map(|i| Opt::new(i.code.clone(), i.name.clone(), current))
        .collect()
}

fn status_options(current: Option<&str>) -> Vec<Opt> {
    EnterpriseStatus::ALL
        .iter()
        .map(|s| Opt::new(s.as_str(), s.label(), current))
        .collect()
}

async fn results(state: &AppState, u: &CurrentUser, q: &ListQuery) -> Result<Results, AppError> {
    let filter = q.to_filter(&state.reference)?;
    let (page, per_page) = q.page_leniently(PER_PAGE);
    let actor = u.acting("page");
    let page = state
        .ctx(&actor)
        .enterprises(&filter, page, per_page)
        .await?;
    let base = q.query_string(false);
    let with_sort = q.query_string(true);
    let join = |s: &str, extra: &str| {
        if s.is_empty() {
            format!("/enterprises?{extra}")
        } else {
            format!("/enterprises?{s}&{extra}")
        }
    };
    let sort_links = [
        (SortKey::CreditCode, "统一社会信用代码"),
        (SortKey::Name, "企业名称"),
        (SortKey::Region, "所属地区"),
        (SortKey::Industry, "行业"),
        (SortKey::Sales, "年销售收入（万元）"),
        (SortKey::Employees, "从业人数"),
        (SortKey::Updated, "更新时间"),
    ]
    .into_iter()
    .map(|(key, label)| {
        let active = filter.sort == key;
        let dir = if active && !filter.desc {
            "desc"
        } else {
            "asc"
        };
        SortLink {
            label,
            href: join(&base, &format!("sort={}&dir={dir}", key.as_str())),
            arrow: match (active, filter.desc) {
                (true, false) => "▲",
                (true, true) => "▼",
                _ => "",
            },
        }
    })
    .collect();
    let pages = page.pages();
    let sized = |p: i64| {
        if per_page == PER_PAGE {
            format!("page={p}")
        } else {
            format!("page={p}&per_page={per_page}")
        }
    };
    let link = |p: i64| PageLink {
        href: join(&with_sort, &sized(p)),
    };
    let page_sizes = [20, 50, 100, 200]
        .into_iter()
        .map(|n| (n, join(&with_sort, &format!("per_page={n}")), n == per_page))
        .collect();
    Ok(Results {
        rows: page
            .items
            .iter()
            .map(|e| EnterpriseView::new(&state.reference, e))
            .collect(),
        total: page.total,
        total_exact: page.total_exact,
        page: page.page,
        pages,
        sort_links,
        first: (page.page > 2).then(|| link(1)),
        prev: (page.page > 1).then(|| link(page.page - 1)),
        next: (page.page < pages).then(|| link(page.page + 1)),
        last: (page.total_exact && pages > page.page + 1).then(|| link(pages)),
        page_sizes,
        export_href: u.can(Permission::ExportEnterprises).then(|| {
            if with_sort.is_empty() {
                "/enterprises/export.xlsx".to_string()
            } else {
                format!("/enterprises/export.xlsx?{with_sort}")
            }
        }),
    })
}

pub async fn list(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, HtmlError> {
    let r = results(&state, &u, &q).await?;
    if is_htmx(&headers) && headers.get("hx-target").is_some_and(|t| t == "results") {
        return Ok(Html(r.render()?).into_response());
    }
    let cur = |v: &Option<String>| v.clone().filter(|s| !s.is_empty());
    let region = cur(&q.region);
    let industry = cur(&q.industry);
    let size = cur(&q.size);
    let status = cur(&q.status);
    let page = ListPage {
        layout: Layout::new(&u, &state, "enterprises"),
        r,
        q: q.q.clone().unwrap_or_default(),
        regions: region_options(&state, region.as_deref()),
        industries: industry_options(&state, industry.as_deref()),
        sizes: SizeFilter::OPTIONS
            .iter()
            .map(|s| Opt::new(s.as_str(), s.label(), size.as_deref()))
            .collect(),
        statuses: status_options(status.as_deref()),
        can_edit: u.can(Permission::EditEnterprises)
            && !matches!(u.scope, anbiao_domain::Scope::Enterprise { .. }),
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "enterprises/detail.html")]
struct DetailPage {
    book: crate::pages::rules::Book,
    layout: Layout,
    e: EnterpriseView,
    history: Vec<ChangeView>,
    can_edit: bool,
    can_risks: bool,
    /// Officers read and record the enterprise's designations (国有工贸企业 …).
    can_designations: bool,
}

use crate::pages::parse_id;

pub async fn detail(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("page");
    let (e, history) = state.ctx(&actor).enterprise_history(id).await?;
    let people = state
        .ctx(&actor)
        .people(history.iter().map(|c| c.actor.as_str()))
        .await?;
    let page = DetailPage {
        book: crate::pages::rules::Book::of(&state),
        layout: Layout::new(&u, &state, "enterprises"),
        e: EnterpriseView::new(&state.reference, &e),
        history: history
            .iter()
            .map(|c| {
                let mut v = ChangeView::new(&state.reference, c);
                v.actor = people.name(&c.actor);
                v
            })
            .collect(),
        can_edit: u.can(Permission::EditEnterprises),
        can_risks: u.can(Permission::ViewRisks),
        can_designations: u.can(Permission::ViewConsequences),
    };
    Ok(Html(page.render()?))
}

/// The create/edit form: values as typed and errors per field.
#[derive(Template)]
#[template(path = "enterprises/form.html")]
struct FormPage {
    layout: Layout,
    f: FormView,
}

#[derive(Template)]
#[template(path = "enterprises/form.html", block = "form")]
struct FormFragment {
    f: FormView,
}

pub struct FormView {
    pub id: Option<i64>,
    pub version: Option<i64>,
    pub values: HashMap<&'static str, String>,
    pub errors: HashMap<&'static str, String>,
    pub general_error: Option<String>,
    pub regions: Vec<Opt>,
    pub industries: Vec<Opt>,
    pub statuses: Vec<Opt>,
    pub can_override: bool,
    /// An officer editing a record: officer-kept fields take a reason.
    pub officer: bool,
    /// The fields this viewer keeps as they are (an enterprise's officer-kept fields): shown,
    /// sent back unchanged, not editable.
    pub locked: Vec<&'static str>,
    pub change_reason: String,
}

impl FormView {
    fn new(
        state: &AppState,
        u: &CurrentUser,
        id: Option<i64>,
        version: Option<i64>,
        d: &EnterpriseDraft,
    ) -> Self {
        let values: HashMap<&'static str, String> = Field::ALL
            .into_iter()
            .map(|f| (f.key(), d.get(f).unwrap_or("").to_string()))
            .collect();
        let region = d
            .region
            .as_deref()
            .and_then(|r| state.reference.regions.resolve(r, state.today()))
            .map(|r| r.code.clone());
        let industry = d
            .industry
            .as_deref()
            .and_then(|i| state.reference.industries.resolve(i))
            .map(|i| i.code.clone());
        let status = d
            .status
            .as_deref()
            .and_then(EnterpriseStatus::parse)
            .map(|s| s.as_str());
        Self {
            id,
            version,
            values,
            errors: HashMap::new(),
            general_error: None,
            regions: region_options(state, region.as_deref()),
            industries: industry_options(state, industry.as_deref()),
            statuses: status_options(status.or(Some("active"))),
            can_override: u.can(Permission::OverrideCreditCode),
            officer: u.role.is_officer(),
            locked: if id.is_some() && !u.role.is_officer() {
                let rules = state.reference.authority.on(state.today());
                Field::ALL
                    .into_iter()
                    .filter(|f| rules.keeper(*f) == FieldKeeper::Officer)
                    .map(Field::key)
                    .collect()
            } else {
                Vec::new()
            },
            change_reason: String::new(),
        }
    }

    /// Whether the viewer keeps `key` as it is.
    pub fn locked(&self, key: &str) -> bool {
        self.locked.contains(&key)
    }

    pub fn value(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    pub fn error(&self, key: &str) -> &str {
        self.errors.get(key).map(String::as_str).unwrap_or("")
    }

    pub fn action(&self) -> String {
        match self.id {
            Some(id) => format!("/enterprises/{id}"),
            None => "/enterprises".into(),
        }
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> Result<Html<String>, HtmlError> {
    // Registering is an officer's step: the enterprise keeps only its own record.
    if !u.role.is_officer() {
        return Err(AppError::Denied(
            "新增企业须由属地监管部门登记，企业用户只能维护本企业信息".into(),
        )
        .into());
    }
    let mut d = EnterpriseDraft::default();
    if let Some(code) = &u.user.region_code {
        d.region = Some(code.clone());
    }
    d.township = u.user.township.clone();
    let page = FormPage {
        layout: Layout::new(&u, &state, "enterprises"),
        f: FormView::new(&state, &u, None, None, &d),
    };
    Ok(Html(page.render()?))
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    let id = parse_id(&id)?;
    let e = state.ctx(&u.acting("page")).enterprise(id).await?;
    let f = FormView::new(&state, &u, Some(id), Some(e.version), &e.to_draft());
    Ok(Html(
        FormPage {
            layout: Layout::new(&u, &state, "enterprises"),
            f,
        }
        .render()?,
    ))
}

/// Reads the posted form into a draft. Unknown field names are refused, naming the field.
type FormEdit = (EnterpriseDraft, Option<i64>, Option<String>);

fn form_draft(form: &HashMap<String, String>) -> Result<FormEdit, AppError> {
    let mut d = EnterpriseDraft::default();
    let mut version = None;
    let mut reason = None;
    for (k, v) in form {
        match k.as_str() {
            "change_reason" => reason = Some(v.clone()),
            "version" => {
                version = Some(
                    v.parse::<i64>()
                        .map_err(|_| AppError::bad("version", "版本号无效，请刷新页面"))?,
                );
            }
            "_csrf" => {}
            key => {
                let f = Field::from_key(key)
                    .ok_or_else(|| AppError::bad(key, format!("未知字段“{key}”")))?;
                d.set(f, Some(v.clone()));
            }
        }
    }
    Ok((d, version, reason))
}

async fn save(
    state: &AppState,
    u: &CurrentUser,
    headers: &HeaderMap,
    id: Option<i64>,
    form: HashMap<String, String>,
) -> Result<Response, HtmlError> {
    // Out of scope is "not found" whatever was posted.
    let existing = match id {
        Some(id) => Some(state.ctx(&u.acting("page")).enterprise(id).await?),
        None => None,
    };
    let (draft, version, reason) = form_draft(&form)?;
    let actor = u.acting("form");
    let mut view = FormView::new(state, u, id, version, &draft);
    view.change_reason = reason.clone().unwrap_or_default();
    let result = match (id, existing) {
        (Some(id), Some(_)) => anbiao_actions::enterprises::update(
            &state.db,
            &state.reference,
            &actor,
            id,
            &anbiao_actions::enterprises::Edit {
                draft,
                version,
                reason,
            },
            state.today(),
        )
        .await
        .map(|_| id)
        .map_err(AppError::from),
        _ => anbiao_actions::enterprises::create(
            &state.db,
            &state.reference,
            &actor,
            &draft,
            state.today(),
        )
        .await
        .map_err(AppError::from),
    };
    let status = match result {
        Ok(id) => return Ok(redirect(&format!("/enterprises/{id}"), is_htmx(headers))),
        Err(AppError::Invalid(errors)) => {
            for e in errors {
                view.errors.entry(e.field.key()).or_insert(e.message);
            }
            view.general_error = Some("请更正标红的字段后再保存".into());
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(e @ (AppError::Conflict(_) | AppError::BadRequest { .. })) => {
            let status = e.status();
            if let AppError::Conflict(m) = &e
                && m.contains("信用代码")
            {
                view.errors.insert(Field::CreditCode.key(), m.clone());
            }
            if e.field().as_deref() == Some("change_reason") {
                view.errors.insert("change_reason", e.message());
            }
            view.general_error = Some(e.message());
            status
        }
        Err(e) => return Err(e.into()),
    };
    let body = if is_htmx(headers) {
        FormFragment { f: view }.render()?
    } else {
        FormPage {
            layout: Layout::new(u, state, "enterprises"),
            f: view,
        }
        .render()?
    };
    Ok((status, Html(body)).into_response())
}

pub async fn create(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, HtmlError> {
    save(&state, &u, &headers, None, form).await
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    save(&state, &u, &headers, Some(id), form).await
}

pub async fn export_xlsx(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, HtmlError> {
    let filter = q.to_filter(&state.reference)?;
    let actor = u.acting("form");
    let book = state
        .ctx(&actor)
        .export_enterprises(&filter, &u.user.display_name)
        .await?;
    Ok(export::xlsx_download(
        book.bytes,
        "enterprises.xlsx",
        &book.file_name,
    ))
}
