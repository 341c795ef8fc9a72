//! An enterprise's obligation list (安全生产监管清单, 六（二）2) on the day: the enterprise
//! confirms items with evidence or records gaps to put right; officers read the lists within
//! their scope and record the enterprise's features that decide which items apply.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use anbiao_actions::obligations::{ObligationList, Status};
use anbiao_domain::Permission;
use anbiao_domain::date::format_date;

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::rules::{Book, RuleRef};
use crate::pages::{Layout, redirect, show_refusal};

use crate::pages::parse_id;

pub struct ItemRow {
    pub key: String,
    pub group: String,
    pub title: String,
    pub text: String,
    pub frequency: &'static str,
    pub period: String,
    pub due: String,
    pub evidence: String,
    pub basis: String,
    pub rule: RuleRef,
    pub status: &'static str,
    pub status_key: &'static str,
    pub settled: bool,
    /// What was recorded, in words.
    pub recorded: String,
    pub evidence_link: Option<String>,
    pub may_gap: bool,
    pub links: Vec<(String, String)>,
}

/// A gap of an earlier period still to put right.
pub struct EarlierGap {
    pub id: i64,
    pub key: String,
    pub text: String,
    pub late: bool,
}

pub struct FeatureRow {
    pub key: String,
    pub name: String,
    pub on: bool,
}

#[derive(Template)]
#[template(path = "obligations/list.html")]
struct ListPage {
    layout: Layout,
    enterprise_id: i64,
    enterprise: String,
    set_rule: RuleRef,
    day: String,
    rows: Vec<ItemRow>,
    features: Vec<FeatureRow>,
    earlier_gaps: Vec<EarlierGap>,
    counts: Vec<(&'static str, &'static str, usize)>,
    can_keep: bool,
    can_features: bool,
    /// Officers who inspect are offered the inspection form with the open gaps on it.
    can_inspect: bool,
    today: String,
    message: Option<String>,
}

fn rows_of(state: &AppState, list: &ObligationList, can_keep: bool) -> Vec<ItemRow> {
    let book = Book::of(state);
    let set = state.reference.obligations.by_name(&list.set);
    list.items
        .iter()
        .map(|li| {
            let recorded = match &li.record {
                None => String::new(),
                Some(r) => {
                    let what = match r.state.as_str() {
                        "gap" => format!(
                            "{} 登记问题：{}；限 {} 前整改",
                            r.recorded_on,
                            r.note,
                            r.rectify_by.as_deref().unwrap_or("")
                        ),
                        "rectified" => match (&r.problem, r.note.is_empty()) {
                            (Some(p), false) => {
                                format!("{} 整改完成：{}（原问题：{p}）", r.recorded_on, r.note)
                            }
                            (Some(p), true) => format!("{} 整改完成（原问题：{p}）", r.recorded_on),
                            (None, _) => format!("{} 整改完成：{}", r.recorded_on, r.note),
                        },
                        _ => format!("{} 确认：{}", r.recorded_on, r.note),
                    };
                    what.trim_end_matches('：').to_string()
                }
            };
            // The period before this one, missed.
            let recorded = match &li.missed {
                Some(p) if recorded.is_empty() => format!("上期（{}）未登记", p.label()),
                Some(p) => format!("{recorded}；上期（{}）未登记", p.label()),
                None => recorded,
            };
            ItemRow {
                key: li.item.key.clone(),
                group: li.item.group.clone(),
                title: li.item.title.clone(),
                text: li.item.text.clone(),
                frequency: li.item.frequency.label(),
                period: li.period.as_ref().map(|p| p.label()).unwrap_or_default(),
                due: li
                    .period
                    .as_ref()
                    .map(|p| format_date(p.due))
                    .unwrap_or_default(),
                evidence: li.item.evidence.clone(),
                basis: li.item.basis_words(list.on),
                rule: book.cite(&li.rule),
                status: li.status.label(),
                status_key: li.status.key(),
                settled: li.status.settled() && li.status != Status::OnEvent,
                recorded,
                evidence_link: li
                    .record
                    .as_ref()
                    .filter(|r| r.evidence_name.is_some())
                    .map(|r| format!("/obligation-records/{}/evidence", r.id)),
                may_gap: can_keep && matches!(li.status, Status::Open | Status::Overdue),
                links: li
                    .item
                    .links
                    .iter()
                    .filter_map(|k| set.and_then(|s| s.link(k)))
                    .map(|l| (l.name.clone(), l.url.clone()))
                    .collect(),
            }
        })
        .collect()
}

async fn list_page(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    message: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let list = cx.obligation_list(id).await?;
    let can_keep = u.user.enterprise_id == Some(id) && u.can(Permission::KeepObligations);
    let set = state.reference.obligations.by_name(&list.set);
    let features = set
        .map(|s| {
            s.features
                .iter()
                .map(|f| FeatureRow {
                    key: f.key.clone(),
                    name: f.name.clone(),
                    on: list.features.iter().any(|(k, _)| *k == f.key),
                })
                .collect()
        })
        .unwrap_or_default();
    let late = |r: &&anbiao_store::obligations::Record| {
        r.rectify_by
            .as_deref()
            .and_then(anbiao_domain::date::parse_date)
            .is_some_and(|d| d < list.on)
    };
    let earlier_late = list.earlier_gaps.iter().filter(late).count();
    let earlier_open = list.earlier_gaps.len() - earlier_late;
    let counts = [
        Status::Overdue,
        Status::GapOverdue,
        Status::Gap,
        Status::Open,
        Status::Done,
        Status::Rectified,
    ]
    .into_iter()
    .map(|s| {
        // Gaps of earlier periods count with this period's.
        let more = match s {
            Status::GapOverdue => earlier_late,
            Status::Gap => earlier_open,
            _ => 0,
        };
        (s.key(), s.label(), list.count(s) + more)
    })
    .chain(std::iter::once((
        "missed",
        "上期未登记",
        list.items.iter().filter(|i| i.missed.is_some()).count(),
    )))
    .collect();
    let earlier_gaps = list
        .earlier_gaps
        .iter()
        .map(|r| {
            let title = set
                .and_then(|s| s.items.iter().rev().find(|i| i.key == r.item_key))
                .map_or(r.item_key.clone(), |i| i.title.clone());
            EarlierGap {
                id: r.id,
                key: r.item_key.clone(),
                text: format!(
                    "{title}（{}）：{}，限 {} 前整改",
                    anbiao_actions::obligations::period_words(r),
                    r.note,
                    r.rectify_by.as_deref().unwrap_or("")
                ),
                late: late(&r),
            }
        })
        .collect();
    let page = ListPage {
        layout: Layout::new(u, state, "obligations"),
        enterprise_id: list.enterprise_id,
        set_rule: Book::of(state).cite(&list.set),
        day: format_date(list.on),
        rows: rows_of(state, &list, can_keep),
        features,
        earlier_gaps,
        counts,
        can_inspect: u.can(Permission::Inspect),
        can_keep,
        can_features: u.can(Permission::EditEnterprises),
        today: format_date(cx.on),
        enterprise: list.enterprise,
        message,
    };
    Ok(Html(page.render()?))
}

/// `GET /enterprises/{id}/obligations`
pub async fn list(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    let id = parse_id(&id)?;
    list_page(&state, &u, id, None).await
}

/// Where the enterprise's own list is, or the refusal for a user without one.
fn own(u: &CurrentUser) -> Result<i64, AppError> {
    u.user
        .enterprise_id
        .ok_or(AppError::Forbidden("只有企业用户可以对照清单自查自改"))
}

/// `POST /obligations/{key}/confirm` (multipart: `note`, `evidence`)
pub async fn confirm(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(key): Path<String>,
    headers: HeaderMap,
    multipart: axum::extract::Multipart,
) -> Result<Response, HtmlError> {
    let id = own(&u)?;
    let result = async {
        let (fields, files) = crate::pages::hazards::read_multipart(multipart).await?;
        let note = fields.get("note").map(String::as_str).unwrap_or("");
        let name = fields
            .get("file.filename")
            .map(String::as_str)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or("证明材料");
        let file = files.get("file").map(|b| (name, b.as_slice()));
        let actor = u.acting("form");
        let cx = state.ctx(&actor);
        // A gap of an earlier period names its record; the item of today's list does not.
        match fields
            .get("gap")
            .map(|g| g.trim())
            .filter(|g| !g.is_empty())
        {
            Some(g) => {
                let gap = g
                    .parse::<i64>()
                    .map_err(|_| AppError::bad("gap", "待整改问题无效"))?;
                Ok::<i64, AppError>(cx.rectify_earlier_gap(&key, gap, note, file).await?)
            }
            None => Ok(cx.confirm_obligation(&key, note, file).await?),
        }
    }
    .await;
    match result {
        Ok(_) => Ok(redirect(
            &format!("/enterprises/{id}/obligations"),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e, |m| list_page(&state, &u, id, Some(m))).await,
    }
}

#[derive(Deserialize)]
pub struct GapForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    rectify_by: String,
}

/// `POST /obligations/{key}/gap`
pub async fn gap(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(key): Path<String>,
    headers: HeaderMap,
    Form(f): Form<GapForm>,
) -> Result<Response, HtmlError> {
    let id = own(&u)?;
    let actor = u.acting("form");
    match state
        .ctx(&actor)
        .mark_obligation_gap(&key, &f.note, &f.rectify_by)
        .await
    {
        Ok(_) => Ok(redirect(
            &format!("/enterprises/{id}/obligations"),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e.into(), |m| list_page(&state, &u, id, Some(m))).await,
    }
}

/// `GET /obligation-records/{id}/evidence`
pub async fn evidence(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("page");
    let (name, kind, bytes) = state.ctx(&actor).obligation_evidence(id).await?;
    let kind: &'static str = match kind.as_str() {
        "application/pdf" => "application/pdf",
        "image/png" => "image/png",
        _ => "image/jpeg",
    };
    let ext = match kind {
        "application/pdf" => "pdf",
        "image/png" => "png",
        _ => "jpg",
    };
    let file = if name.ends_with(&format!(".{ext}")) {
        name
    } else {
        format!("{name}.{ext}")
    };
    Ok(crate::export::download(
        bytes,
        kind,
        &format!("evidence-{id}.{ext}"),
        &file,
    ))
}

#[derive(Deserialize)]
pub struct FeatureForm {
    #[serde(default)]
    feature: String,
    #[serde(default)]
    on: String,
}

/// `POST /enterprises/{id}/features`
pub async fn set_feature(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<FeatureForm>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("form");
    match state
        .ctx(&actor)
        .set_enterprise_feature(id, &f.feature, &f.on)
        .await
    {
        Ok(_) => Ok(redirect(
            &format!("/enterprises/{id}/obligations"),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e.into(), |m| list_page(&state, &u, id, Some(m))).await,
    }
}

pub struct FigureRow {
    pub name: String,
    /// The query narrowing the list behind the row's figures (unit=…, township=…, industry=…).
    pub query: String,
    pub enterprises: i64,
    pub checked: i64,
    pub complete: i64,
    pub open: i64,
    pub overdue: i64,
    pub gaps: i64,
    /// Share self-checked, in words (43.5%).
    pub rate: String,
}

impl FigureRow {
    fn new(name: String, query: String, f: &anbiao_store::obligations::Figures) -> Self {
        Self {
            query,
            rate: if f.enterprises > 0 {
                format!("{:.1}%", f.checked as f64 * 100.0 / f.enterprises as f64)
            } else {
                "—".into()
            },
            name,
            enterprises: f.enterprises,
            checked: f.checked,
            complete: f.complete,
            open: f.open,
            overdue: f.overdue,
            gaps: f.gaps,
        }
    }
}

#[derive(Template)]
#[template(path = "obligations/figures.html")]
struct FiguresPage {
    layout: Layout,
    total: FigureRow,
    place_head: &'static str,
    places: Vec<FigureRow>,
    industries: Vec<FigureRow>,
    missing: Vec<(String, String, i64)>,
    graded: Vec<(i64, String, i64, i64, i64)>,
    limit: i64,
}

/// `GET /obligations`: the officers' figures of the obligation lists within their scope.
pub async fn figures(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, HtmlError> {
    // An enterprise reads its own list: the officers' figures are not for it.
    if let anbiao_domain::Scope::Enterprise { id } = u.scope {
        return Ok(redirect(
            &format!("/enterprises/{id}/obligations"),
            is_htmx(&headers),
        ));
    }
    let actor = u.acting("page");
    let f = state.ctx(&actor).obligation_figures().await?;
    let page = FiguresPage {
        layout: Layout::new(&u, &state, "obligations"),
        total: FigureRow::new("合计".into(), String::new(), &f.total),
        place_head: if matches!(u.scope, anbiao_domain::Scope::City) {
            "县（市、区）"
        } else {
            "乡镇（街道）"
        },
        places: f
            .places
            .iter()
            .map(|(n, q, _, x)| FigureRow::new(n.clone(), q.clone(), x))
            .collect(),
        industries: f
            .industries
            .iter()
            .map(|(n, code, x)| {
                FigureRow::new(
                    n.clone(),
                    format!("industry={}", anbiao_domain::text::percent_encode(code)),
                    x,
                )
            })
            .collect(),
        missing: f.missing,
        graded: f.graded_incomplete,
        limit: anbiao_actions::obligations::FIGURES_LIST,
    };
    Ok(Html(page.render()?).into_response())
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    show: String,
    unit: Option<String>,
    township: Option<String>,
    industry: Option<String>,
    page: Option<String>,
    size: Option<String>,
}

pub struct StatusRow {
    pub id: i64,
    pub name: String,
    pub place: String,
    pub industry: String,
    pub items: i64,
    pub settled: i64,
    pub open: i64,
    pub overdue: i64,
    pub gaps: i64,
    pub day: String,
}

#[derive(Template)]
#[template(path = "obligations/enterprises.html")]
struct EnterprisesPage {
    layout: Layout,
    title: String,
    shows: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<StatusRow>,
    pager: crate::pager::Pager,
    unit: String,
    township: String,
    industry: String,
}

/// `GET /obligations/enterprises?show=&unit=&township=&industry=`: the enterprises behind the
/// officers' figures (who has not checked itself, who has gaps to put right …), a page at a time.
pub async fn enterprises(
    State(state): State<AppState>,
    u: CurrentUser,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Result<Html<String>, HtmlError> {
    use anbiao_store::obligations::Show;
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let show = if q.show.trim().is_empty() {
        Show::Unchecked.key()
    } else {
        q.show.trim()
    };
    let req = crate::pager::PageQuery {
        page: q.page.clone(),
        size: q.size.clone(),
    }
    .req();
    let ask = anbiao_actions::obligations::ListAsk {
        show,
        unit: q.unit.as_deref(),
        township: q.township.as_deref(),
        industry: q.industry.as_deref(),
    };
    let (filter, page) = cx.obligation_enterprises(&ask, req).await?;
    let regions = &state.reference.regions;
    let on = cx.on;
    let unit = q.unit.clone().unwrap_or_default().trim().to_string();
    let township = q.township.clone().unwrap_or_default().trim().to_string();
    let industry = filter.industry.clone().unwrap_or_default();
    let mut title = filter.show.label().to_string();
    let mut narrowed = Vec::new();
    if !unit.is_empty() {
        narrowed.push(regions.unit_name(&unit, on));
    }
    if !township.is_empty() {
        narrowed.push(township.clone());
    }
    if let Some(i) = state.reference.industries.get(&industry) {
        narrowed.push(i.name.clone());
    }
    if !narrowed.is_empty() {
        title = format!("{title}（{}）", narrowed.join("，"));
    }
    let pager = crate::pager::Pager::new(
        "/obligations/enterprises",
        &[
            ("show", filter.show.key().to_string()),
            ("unit", unit.clone()),
            ("township", township.clone()),
            ("industry", industry.clone()),
        ],
        &page,
    );
    let rows = page
        .rows
        .iter()
        .map(|l| StatusRow {
            id: l.enterprise_id,
            name: l.name.clone(),
            place: {
                let unit = regions
                    .get(&l.region_code)
                    .map_or(l.region_code.clone(), |r| regions.unit_name(&r.unit, on));
                if l.township.is_empty() {
                    unit
                } else {
                    format!("{unit} {}", l.township)
                }
            },
            industry: state
                .reference
                .industries
                .get(&l.industry_code)
                .map_or(l.industry_code.clone(), |i| i.name.clone()),
            items: l.items,
            settled: l.settled,
            open: l.open,
            overdue: l.overdue,
            gaps: l.gaps,
            day: l.day.clone(),
        })
        .collect();
    let view = EnterprisesPage {
        layout: Layout::new(&u, &state, "obligations"),
        title,
        shows: Show::ALL
            .iter()
            .map(|s| (s.key(), s.label(), *s == filter.show))
            .collect(),
        rows,
        pager,
        unit,
        township,
        industry,
    };
    Ok(Html(view.render()?))
}
