//! Enforcement decisions, the violations database and the warning notices (警示通报) drawn
//! from it: officers decide from a hazard's or an inspection's page, mark typical cases, and
//! the city drafts a unit's notice and publishes it on the portal (HTML and PDF).

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_actions::enforcement::Decide;
use anbiao_domain::Permission;
use anbiao_domain::date::format_date;
use anbiao_domain::enforcement::Kind;
use anbiao_domain::violations::ViolationSet;
use anbiao_store::enforcement::{self, Decision, Filter, Notice};

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::hazards::{categories, form_date};
use crate::pages::{Layout, Opt, redirect, show_refusal};

#[derive(Deserialize)]
pub struct DecisionForm {
    pub enterprise_id: i64,
    pub hazard_id: Option<i64>,
    pub inspection_id: Option<i64>,
    pub kind: String,
    pub on: String,
    #[serde(default)]
    pub document_no: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub facts: String,
    #[serde(default)]
    pub fine: String,
    #[serde(default)]
    pub reason: String,
}

/// `POST /enforcement`: a decision from a hazard's or an inspection's page.
pub async fn decide(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<DecisionForm>,
) -> Result<Response, HtmlError> {
    let result = async {
        let kind = Kind::parse(&f.kind).ok_or_else(|| AppError::bad("kind", "请选择执法决定"))?;
        let on = form_date(Some(&f.on), "on", "决定日期")?;
        let fine = match f.fine.trim() {
            "" => None,
            v => Some(
                v.parse::<i64>()
                    .map_err(|_| AppError::bad("fine", "罚款金额应为整数（元）"))?,
            ),
        };
        let actor = u.acting("form");
        let id = state
            .ctx(&actor)
            .decide_enforcement(&Decide {
                enterprise_id: f.enterprise_id,
                hazard_id: f.hazard_id,
                inspection_id: f.inspection_id,
                kind,
                on,
                document_no: &f.document_no,
                category_key: &f.category,
                facts: &f.facts,
                fine_yuan: fine,
                reason: &f.reason,
            })
            .await?;
        Ok::<_, AppError>(id)
    }
    .await;
    let back = match (f.hazard_id, f.inspection_id) {
        (Some(h), _) => format!("/hazards/{h}"),
        (None, Some(i)) => format!("/inspections/{i}"),
        _ => "/violations".to_string(),
    };
    match result {
        Ok(_) => Ok(redirect(&back, is_htmx(&headers))),
        Err(e) => {
            show_refusal(e, |m| async move {
                match (f.hazard_id, f.inspection_id) {
                    (Some(h), _) => {
                        crate::pages::hazards::render_detail(&state, &u, h, Some(m)).await
                    }
                    (None, Some(i)) => {
                        crate::pages::inspections::render_detail(&state, &u, i, Some(m)).await
                    }
                    _ => render_list(&state, &u, &ListQuery::default(), Some(m)).await,
                }
            })
            .await
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub category: Option<String>,
    pub typical: Option<String>,
    pub page: Option<String>,
    pub size: Option<String>,
}

impl ListQuery {
    fn filter(&self) -> Filter {
        Filter {
            category_key: self.category.clone().filter(|c| !c.is_empty()),
            typical_only: self.typical.as_deref() == Some("1"),
            ..Default::default()
        }
    }
}

#[derive(Template)]
#[template(path = "enforcement/violations.html")]
struct ListPage {
    book: crate::pages::rules::Book,
    layout: Layout,
    decisions: Vec<Decision>,
    names: Vec<(String, String)>,
    categories: Vec<Opt>,
    typical_only: bool,
    pager: crate::pager::Pager,
    /// The whole filtered list as a workbook.
    export: String,
    can_mark: bool,
    can_publish: bool,
    notices: Vec<Notice>,
    units: Vec<String>,
    year_start: String,
    today: String,
    error: Option<String>,
}

async fn render_list(
    state: &AppState,
    u: &CurrentUser,
    q: &ListQuery,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let on = state.today();
    let req = anbiao_store::paging::PageReq::parse(q.page.as_deref(), q.size.as_deref());
    let category = q.category.clone().filter(|c| !c.is_empty());
    let f = q.filter();
    let actor = u.acting("page");
    let page = state.ctx(&actor).violations_page(&f, req).await?;
    let filters = [
        ("category", category.clone().unwrap_or_default()),
        ("typical", if f.typical_only { "1" } else { "" }.to_string()),
    ];
    let pager = crate::pager::Pager::new("/violations", &filters, &page);
    let export = format!(
        "/violations/export.xlsx{}",
        crate::export::query_of(&filters)
    );
    let decisions = page.rows;
    let cats = categories(state, on);
    let mut options = vec![Opt::new("", "全部类别", category.as_deref())];
    for (k, n, _) in &cats {
        options.push(Opt::new(k.clone(), n.clone(), category.as_deref()));
    }
    let can_publish = u.can(Permission::PublishWarnings);
    let units = state.ctx(&u.acting("page")).units();
    let view = ListPage {
        book: crate::pages::rules::Book::of(state),
        layout: Layout::new(u, state, "violations"),
        names: cats.into_iter().map(|(k, n, _)| (k, n)).collect(),
        decisions,
        categories: options,
        typical_only: f.typical_only,
        pager,
        export,
        can_mark: u.can(Permission::Enforce),
        notices: state.ctx(&u.acting("page")).warnings(50).await?,
        can_publish,
        units,
        year_start: format!("{}-01-01", on.year()),
        today: format_date(on),
        error,
    };
    Ok(Html(view.render()?))
}

/// `GET /violations?category=&typical=1&page=`
pub async fn list(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, HtmlError> {
    render_list(&state, &u, &q, None).await
}

/// `GET /violations/export.xlsx?category=&typical=1`: the whole filtered list as a workbook:
/// days as dates, fines as numbers, the category and its legal basis in words.
pub async fn export(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Response, HtmlError> {
    use anbiao_sheets::XCell;
    let on = state.today();
    let actor = u.acting("export");
    let cx = state.ctx(&actor);
    let f = q.filter();
    let all = anbiao_actions::exports::whole_list(|req| cx.violations_page(&f, req)).await?;
    let names: std::collections::HashMap<String, String> = categories(&state, on)
        .into_iter()
        .map(|(k, n, _)| (k, n))
        .collect();
    let rows = all
        .into_iter()
        .map(|d| {
            vec![
                crate::export::day_cell(&d.decided_on),
                XCell::Text(d.name.clone()),
                XCell::Text(crate::views::region_name(&state.reference, &d.region_code)),
                XCell::Text(d.kind_label().into()),
                XCell::Text(d.document_no.clone()),
                XCell::Text(names.get(&d.category_key).cloned().unwrap_or_default()),
                XCell::Text(d.basis.clone()),
                XCell::Text(d.facts.clone()),
                d.fine_yuan
                    .map_or(XCell::Empty, |y| XCell::Number(y as f64)),
                XCell::Text(if d.typical { "是" } else { "" }.into()),
            ]
        })
        .collect();
    Ok(crate::export::list_xlsx(
        "违法行为信息库",
        "violations.xlsx",
        &u.user.display_name,
        on,
        &[
            "决定日期",
            "企业",
            "所属地区",
            "决定",
            "文书号",
            "违法行为类别",
            "依据",
            "违法事实",
            "罚款（元）",
            "典型案件",
        ],
        rows,
    )
    .await?)
}

#[derive(Deserialize)]
pub struct TypicalForm {
    pub typical: String,
    /// The list's query to come back to.
    pub back: Option<String>,
}

/// `POST /violations/{id}/typical`
pub async fn set_typical(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<TypicalForm>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    state.ctx(&actor).set_typical(id, f.typical == "1").await?;
    let to = crate::pager::back_to("/violations", f.back.as_deref(), &["category", "typical"]);
    Ok(redirect(&to, is_htmx(&headers)))
}

#[derive(Deserialize)]
pub struct DraftForm {
    pub unit: String,
    pub from: String,
    pub to: String,
}

/// `POST /warnings`: the city drafts a unit's warning notice for a period.
pub async fn draft(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<DraftForm>,
) -> Result<Response, HtmlError> {
    let result = async {
        let from = form_date(Some(&f.from), "from", "开始日期")?;
        let to = form_date(Some(&f.to), "to", "结束日期")?;
        let actor = u.acting("form");
        let id = state.ctx(&actor).draft_warning(&f.unit, from, to).await?;
        Ok::<_, AppError>(id)
    }
    .await;
    match result {
        Ok(id) => Ok(redirect(&format!("/warnings/{id}"), is_htmx(&headers))),
        Err(e) => {
            let q = ListQuery::default();
            show_refusal(
                e,
                |m| async move { render_list(&state, &u, &q, Some(m)).await },
            )
            .await
        }
    }
}

pub struct NoticeView {
    pub n: Notice,
    pub counts: Vec<(String, i64)>,
    pub cases: Vec<Decision>,
}

fn set_of<'a>(state: &'a AppState, rule: &str) -> Option<&'a ViolationSet> {
    state
        .reference
        .violations
        .sets
        .iter()
        .find(|s| format!("{}@{}", s.id, s.version) == rule)
}

async fn notice_view(state: &AppState, n: Notice) -> Result<NoticeView, AppError> {
    let set = set_of(state, &n.rule);
    let counts = n
        .counts()
        .into_iter()
        .filter(|(_, c)| *c > 0)
        .map(|(k, c)| {
            let name = set
                .and_then(|s| s.category(&k))
                .map(|c| c.name.clone())
                .unwrap_or(k);
            (name, c)
        })
        .collect();
    let cases = enforcement::notice_cases(&state.db, n.id).await?;
    Ok(NoticeView { n, counts, cases })
}

/// The notice as plain text for the PDF.
fn notice_text(v: &NoticeView) -> String {
    let mut s = format!("{}\n\n一、违法行为分类统计\n", v.n.body);
    for (name, c) in &v.counts {
        s.push_str(&format!("{name}：{c} 起\n"));
    }
    s.push_str("\n二、典型案件\n");
    if v.cases.is_empty() {
        s.push_str("本期未列典型案件。\n");
    }
    for (i, d) in v.cases.iter().enumerate() {
        s.push_str(&format!(
            "{}. {}：{}。{} {}{}。\n",
            i + 1,
            d.name,
            d.facts,
            d.decided_on,
            d.kind_label(),
            d.fine_yuan
                .map(|f| format!("，罚款 {}", anbiao_domain::number::yuan_in_words(f)))
                .unwrap_or_default()
        ));
    }
    s
}

#[derive(Template)]
#[template(path = "enforcement/notice.html")]
struct NoticePage {
    book: crate::pages::rules::Book,
    layout: Layout,
    v: NoticeView,
    can_publish: bool,
}

/// `GET /warnings/{id}`
pub async fn notice(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let can_publish = cx.reads_warning_drafts();
    let n = cx.warning(id).await?;
    let v = notice_view(&state, n).await?;
    Ok(Html(
        NoticePage {
            book: crate::pages::rules::Book::of(&state),
            layout: Layout::new(&u, &state, "violations"),
            v,
            can_publish,
        }
        .render()?,
    ))
}

/// `POST /warnings/{id}/publish`
pub async fn publish(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    state.ctx(&actor).publish_warning(id).await?;
    Ok(redirect(&format!("/warnings/{id}"), is_htmx(&headers)))
}

#[derive(Template)]
#[template(path = "portal/warnings.html")]
struct PortalList {
    nav: &'static str,
    site: crate::pages::portal::Site,
    rows: Vec<Notice>,
}

#[derive(Template)]
#[template(path = "portal/warning.html")]
struct PortalOne {
    nav: &'static str,
    site: crate::pages::portal::Site,
    v: NoticeView,
}

/// `GET /portal/warnings`
pub async fn portal_list(State(state): State<AppState>) -> Result<Html<String>, HtmlError> {
    let rows = state
        .ctx(&anbiao_actions::Actor::public(""))
        .warnings(200)
        .await?;
    Ok(Html(
        PortalList {
            nav: "warnings",
            site: crate::pages::portal::Site::of(&state),
            rows,
        }
        .render()?,
    ))
}

/// `GET /portal/warnings/{id}`
pub async fn portal_one(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Html<String>, HtmlError> {
    let n = state
        .ctx(&anbiao_actions::Actor::public(""))
        .warning(id)
        .await?;
    let v = notice_view(&state, n).await?;
    Ok(Html(
        PortalOne {
            nav: "warnings",
            site: crate::pages::portal::Site::of(&state),
            v,
        }
        .render()?,
    ))
}

/// `GET /portal/warnings/{id}/pdf`
pub async fn portal_pdf(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, HtmlError> {
    let n = state
        .ctx(&anbiao_actions::Actor::public(""))
        .warning(id)
        .await?;
    let v = notice_view(&state, n).await?;
    let subtitle = format!("{} 发布", v.n.published_on.clone().unwrap_or_default());
    let drawn = crate::documents::pdf(&state, &v.n.title, &subtitle, &notice_text(&v)).await?;
    Ok(crate::documents::download(
        drawn,
        &format!("warning-{id}.pdf"),
        &format!("{}.pdf", v.n.title),
    ))
}
