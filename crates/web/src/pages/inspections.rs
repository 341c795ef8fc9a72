//! Inspections as recorded (监督检查记录): the list within scope, the form an inspector fills
//! in on site (checklist of the version in force, two officers, findings that open hazards
//! with their photos), and an inspection's page with its hazards and enforcement decisions.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, Response};
use serde::Deserialize;

use anbiao_actions::inspections::{Finding, Record, Subject};
use anbiao_domain::Permission;
use anbiao_domain::checklist::Answer;
use anbiao_domain::date::format_date;
use anbiao_domain::hazard::Level;
use anbiao_store::enforcement::Decision;
use anbiao_store::hazards;
use anbiao_store::inspections::{Inspection, Kind};

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::hazards::{LineView, categories, decision_kinds, form_date, read_multipart};
use crate::pages::{Layout, redirect, show_refusal};

/// Finding rows on the form.
const FINDING_ROWS: usize = 3;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub page: Option<String>,
    pub size: Option<String>,
}

#[derive(Template)]
#[template(path = "inspections/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Inspection>,
    pager: crate::pager::Pager,
    can_record: bool,
}

/// `GET /inspections`
pub async fn list(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, HtmlError> {
    let req = anbiao_store::paging::PageReq::parse(q.page.as_deref(), q.size.as_deref());
    let actor = u.acting("page");
    let page = state.ctx(&actor).inspections(req).await?;
    let people = state
        .ctx(&actor)
        .people(page.rows.iter().map(|r| r.officers.as_str()))
        .await?;
    let pager = crate::pager::Pager::new("/inspections", &[], &page);
    let mut rows = page.rows;
    for r in &mut rows {
        r.officers = people.names(&r.officers);
    }
    Ok(Html(
        ListPage {
            layout: Layout::new(&u, &state, "inspections"),
            rows,
            pager,
            can_record: u.can(Permission::Inspect),
        }
        .render()?,
    ))
}

/// `GET /inspections/export.xlsx`: every inspection within the user's scope as a workbook, the
/// record number first, days as dates, officers by name.
pub async fn export(State(state): State<AppState>, u: CurrentUser) -> Result<Response, HtmlError> {
    use anbiao_sheets::XCell;
    let actor = u.acting("export");
    let cx = state.ctx(&actor);
    let all = anbiao_actions::exports::whole_list(|req| cx.inspections(req)).await?;
    let people = cx.people(all.iter().map(|r| r.officers.as_str())).await?;
    let rows = all
        .iter()
        .map(|i| {
            vec![
                XCell::Number(i.id as f64),
                crate::export::day_cell(&i.inspected_on),
                XCell::Text(i.name.clone()),
                XCell::Text(crate::views::region_name(&state.reference, &i.region_code)),
                XCell::Text(i.kind_label().into()),
                XCell::Text(people.names(&i.officers)),
                XCell::Number(i.findings as f64),
                XCell::Text(i.summary.clone()),
            ]
        })
        .collect();
    Ok(crate::export::list_xlsx(
        "监督检查记录",
        "inspections.xlsx",
        &u.user.display_name,
        cx.on,
        &[
            "记录号",
            "检查日期",
            "企业",
            "所属地区",
            "类型",
            "检查人员",
            "发现隐患",
            "情况",
        ],
        rows,
    )
    .await?)
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    pub enterprise: Option<i64>,
    pub kind: Option<String>,
}

pub struct ItemRow {
    pub key: String,
    pub group: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "inspections/new.html")]
struct NewPage {
    layout: Layout,
    enterprise_id: Option<i64>,
    enterprise_name: String,
    kinds: Vec<(&'static str, &'static str, bool)>,
    checklist: crate::pages::rules::RuleRef,
    items: Vec<ItemRow>,
    /// The enterprise's obligation-list gaps still open, to check on site.
    gaps: Vec<anbiao_actions::obligations::OpenGap>,
    gap_key: &'static str,
    rows: Vec<usize>,
    major_items: Vec<(String, String)>,
    standard: String,
    officer: String,
    today: String,
    error: Option<String>,
    /// What the officer had entered, when a save was refused (the form comes back filled in).
    posted: Posted,
}

/// The fields of a refused form, to fill it in again.
#[derive(Debug, Clone, Default)]
pub struct Posted(std::collections::HashMap<String, String>);

impl Posted {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value entered in `name`, or `default` when the form is new.
    pub fn or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        if self.0.is_empty() {
            default
        } else {
            self.0.get(name).map_or("", String::as_str)
        }
    }

    /// The value of the field `prefix` + `key` + `suffix`.
    pub fn val(&self, prefix: &str, key: &str, suffix: &str) -> &str {
        self.0
            .get(&format!("{prefix}{key}{suffix}"))
            .map_or("", String::as_str)
    }

    /// Whether the radio `prefix` + `key` = `value` is checked: as entered, or `default` when
    /// nothing was.
    pub fn radio(&self, prefix: &str, key: &str, value: &str, default: &str) -> bool {
        match self.0.get(&format!("{prefix}{key}")) {
            Some(v) => v.trim() == value,
            None => value == default,
        }
    }
}

async fn render_new(
    state: &AppState,
    u: &CurrentUser,
    q: &NewQuery,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    render_filled(state, u, q, error, Posted::default()).await
}

async fn render_filled(
    state: &AppState,
    u: &CurrentUser,
    q: &NewQuery,
    error: Option<String>,
    posted: Posted,
) -> Result<Html<String>, HtmlError> {
    let on = state.today();
    let set = state
        .reference
        .checklists
        .in_force(on)
        .ok_or_else(|| AppError::bad("on", format!("{} 没有适用的检查表", format_date(on))))?;
    let enterprise_name = match q.enterprise {
        Some(id) => state.ctx(&u.acting("page")).enterprise(id).await?.name,
        None => String::new(),
    };
    let gaps = match q.enterprise {
        Some(id) if u.can(Permission::ViewObligations) => {
            state.ctx(&u.acting("page")).open_gaps(id).await?
        }
        _ => Vec::new(),
    };
    let kind = q
        .kind
        .as_deref()
        .and_then(Kind::parse)
        .unwrap_or(Kind::Plan);
    let standard = state.reference.major_hazards.in_force(on);
    let major_items = major_items(state, on).await?;
    let view = NewPage {
        layout: Layout::new(u, state, "inspections"),
        enterprise_id: q.enterprise,
        enterprise_name,
        kinds: Kind::ALL
            .iter()
            .map(|k| (k.key(), k.label(), *k == kind))
            .collect(),
        checklist: crate::pages::rules::Book::of(state).cite(&set.name()),
        items: set
            .items
            .iter()
            .map(|i| ItemRow {
                key: i.key.clone(),
                group: i.group.clone(),
                text: i.text.clone(),
            })
            .collect(),
        gaps,
        gap_key: anbiao_actions::inspections::GAP_KEY,
        rows: (1..=FINDING_ROWS).collect(),
        major_items,
        standard: standard.map(|s| s.title.clone()).unwrap_or_default(),
        officer: u.user.username.clone(),
        today: format_date(on),
        error,
        posted,
    };
    Ok(Html(view.render()?))
}

/// `GET /inspections/new?enterprise=&kind=`
pub async fn new_form(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<NewQuery>,
) -> Result<Html<String>, HtmlError> {
    render_new(&state, &u, &q, None).await
}

/// `POST /inspections` (multipart): records the inspection and opens its findings.
pub async fn record(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response, HtmlError> {
    let mut asked = NewQuery::default();
    let mut posted = Posted::default();
    let result = async {
        let (fields, files) = read_multipart(multipart).await?;
        posted = Posted(fields.clone());
        let get = |k: &str| fields.get(k).map(|s| s.trim()).unwrap_or_default();
        let subject = match get("enterprise_id") {
            "" => Subject::CreditCode(get("credit_code")),
            v => Subject::Id(
                v.parse::<i64>()
                    .map_err(|_| AppError::bad("enterprise_id", "被检查企业无效"))?,
            ),
        };
        if let Subject::Id(id) = subject {
            asked.enterprise = Some(id);
        }
        let kind =
            Kind::parse(get("kind")).ok_or_else(|| AppError::bad("kind", "请选择检查类型"))?;
        asked.kind = Some(kind.key().to_string());
        let on = form_date(fields.get("on"), "on", "检查日期")?;
        let mut answers = Vec::new();
        for (name, value) in &fields {
            let (Some(key), a) = (name.strip_prefix("answer_"), value.trim()) else {
                continue;
            };
            if a.is_empty() {
                continue;
            }
            let answer = Answer::parse(a).ok_or_else(|| AppError::bad("answer", "检查结论无效"))?;
            answers.push((
                key.to_string(),
                answer,
                get(&format!("note_{key}")).to_string(),
            ));
        }
        let mut findings = Vec::new();
        for n in 1..=FINDING_ROWS {
            let description = get(&format!("f{n}_description"));
            if description.is_empty() {
                continue;
            }
            let level = Level::parse(get(&format!("f{n}_level")))
                .ok_or_else(|| AppError::bad("level", format!("第 {n} 项隐患：请选择隐患级别")))?;
            let deadline = match get(&format!("f{n}_deadline")) {
                "" => None,
                _ => Some(form_date(
                    fields.get(&format!("f{n}_deadline")),
                    "deadline",
                    &format!("第 {n} 项隐患的整改期限"),
                )?),
            };
            let item = fields
                .get(&format!("f{n}_item"))
                .map(|s| s.trim())
                .filter(|s| !s.is_empty());
            findings.push(Finding {
                level,
                item_key: item,
                description,
                deadline,
                photo: files.get(&format!("f{n}_photo")).map(Vec::as_slice),
            });
        }
        let officers = vec![get("officer1").to_string(), get("officer2").to_string()];
        let actor = u.acting("form");
        let id = state
            .ctx(&actor)
            .record_inspection(&Record {
                subject,
                kind,
                on,
                officers,
                answers,
                summary: get("summary"),
                findings,
            })
            .await?;
        Ok::<_, AppError>(id)
    }
    .await;
    match result {
        Ok(id) => Ok(redirect(&format!("/inspections/{id}"), is_htmx(&headers))),
        Err(e) => {
            show_refusal(e, |m| {
                render_filled(&state, &u, &asked, Some(m), posted.clone())
            })
            .await
        }
    }
}

/// A gap of the enterprise's obligation list as the inspection found it.
pub struct GapRow {
    pub gap: anbiao_actions::inspections::CheckedGap,
    pub answer: &'static str,
    pub finding: bool,
}

pub struct AnswerRow {
    pub group: String,
    pub text: String,
    pub answer: &'static str,
    pub finding: bool,
    pub note: String,
}

#[derive(Template)]
#[template(path = "inspections/detail.html")]
struct DetailPage {
    book: crate::pages::rules::Book,
    layout: Layout,
    i: Inspection,
    answers: Vec<AnswerRow>,
    gaps: Vec<GapRow>,
    hazards: Vec<LineView>,
    decisions: Vec<Decision>,
    can_decide: bool,
    kinds: Vec<(&'static str, &'static str)>,
    categories: Vec<(String, String, i64)>,
    today: String,
    error: Option<String>,
}

pub async fn render_detail(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let file = state.ctx(&actor).inspection_file(id).await?;
    let (mut i, recorded) = (file.inspection, file.answers);
    let people = state.ctx(&actor).people([i.officers.as_str()]).await?;
    i.officers = people.names(&i.officers);
    let mut answers = Vec::new();
    if let Some(set) = state.reference.checklists.by_name(&i.checklist) {
        for item in &set.items {
            if let Some((_, a, note)) = recorded.iter().find(|(k, _, _)| *k == item.key) {
                let answer = Answer::parse(a);
                answers.push(AnswerRow {
                    group: item.group.clone(),
                    text: item.text.clone(),
                    answer: answer.map(Answer::label).unwrap_or(""),
                    finding: answer == Some(Answer::Finding),
                    note: note.clone(),
                });
            }
        }
    }
    let on = state.today();
    let hazards = file
        .hazards
        .into_iter()
        .map(|l| LineView::new(l, on))
        .collect();
    let decisions = file.decisions;
    let gaps = file
        .gaps
        .into_iter()
        .map(|gap| {
            let a = Answer::parse(&gap.answer);
            GapRow {
                answer: a.map(gap_answer_label).unwrap_or(""),
                finding: a == Some(Answer::Finding),
                gap,
            }
        })
        .collect();
    let view = DetailPage {
        gaps,
        book: crate::pages::rules::Book::of(state),
        layout: Layout::new(u, state, "inspections"),
        answers,
        hazards,
        decisions,
        can_decide: u.can(Permission::Enforce),
        kinds: decision_kinds(),
        categories: categories(state, on),
        today: format_date(on),
        i,
        error,
    };
    Ok(Html(view.render()?))
}

/// How an answer about a gap reads: put right, not put right, not checked.
fn gap_answer_label(a: Answer) -> &'static str {
    match a {
        Answer::Compliant => "已整改到位",
        Answer::Finding => "未整改到位",
        Answer::NotApplicable => "未核查",
    }
}

/// `GET /inspections/{id}`
pub async fn detail(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Html<String>, HtmlError> {
    render_detail(&state, &u, id, None).await
}

/// The clauses of the major-hazard standard in force on `on` (key, text): those shipped with
/// the standard and those of the full list imported from .xlsx, for a form's suggestions.
pub(crate) async fn major_items(
    state: &AppState,
    on: time::Date,
) -> Result<Vec<(String, String)>, AppError> {
    let standard = state.reference.major_hazards.in_force(on);
    let mut items: Vec<(String, String)> = standard
        .map(|s| s.items.iter().map(|i| (i.key(), i.text.clone())).collect())
        .unwrap_or_default();
    if let Some(s) = standard {
        for (k, t) in hazards::imported_items(&state.db, &s.id).await? {
            if !items.iter().any(|(x, _)| *x == k) {
                items.push((k, t));
            }
        }
    }
    Ok(items)
}
