//! Training (培训, 六（六）1): the sessions within the officer's reach, recording one, its
//! attendance from the sign-in sheet or one by one, the attendance certificate, and the
//! coverage as of a day.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use anbiao_actions::training::{CoverageLine, PersonForm, SessionForm, SignInReport};
use anbiao_domain::Permission;
use anbiao_domain::date::{format_date, format_date_cn, parse_date};
use anbiao_domain::outreach::OutreachSet;
use anbiao_store::training::{Attendance, Session};

use crate::AppState;
use crate::auth::{CurrentUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pager::Pager;
use crate::pages::rules::{Book, RuleRef};
use crate::pages::{Layout, parse_id, redirect, show_refusal};

/// A session as a row shows it.
pub struct SessionRow {
    pub id: i64,
    pub title: String,
    pub held_on: String,
    pub organiser: String,
    pub topic: String,
    pub audience: String,
    pub hours: String,
    pub attendees: i64,
    pub by: String,
}

fn term(
    list: Option<&OutreachSet>,
    f: impl Fn(&OutreachSet) -> Option<String>,
    key: &str,
) -> String {
    list.and_then(f).unwrap_or_else(|| key.to_string())
}

fn session_row(state: &AppState, s: &Session) -> SessionRow {
    let set = state
        .reference
        .outreach
        .in_force(parse_date(&s.held_on).unwrap_or_else(|| state.today()));
    let by = match (&s.unit, &s.township) {
        (None, _) => state.reference.regions.city_name.clone(),
        (Some(u), None) => state.reference.regions.unit_name(u, state.today()),
        (Some(u), Some(t)) => format!("{}{t}", state.reference.regions.unit_name(u, state.today())),
    };
    SessionRow {
        id: s.id,
        title: s.title.clone(),
        held_on: s.held_on.clone(),
        organiser: s.organiser_name.clone(),
        topic: term(set, |x| x.topic(&s.topic).map(|t| t.name.clone()), &s.topic),
        audience: term(
            set,
            |x| x.audience(&s.audience).map(|t| t.name.clone()),
            &s.audience,
        ),
        hours: s.hours(),
        attendees: s.attendees,
        by,
    }
}

#[derive(Template)]
#[template(path = "training/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<SessionRow>,
    pager: Pager,
    year: String,
    can_keep: bool,
    topics: Vec<(String, String)>,
    audiences: Vec<(String, String)>,
    organisers: Vec<(String, String)>,
    form: SessionInput,
    today: String,
    message: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    pub year: Option<String>,
    pub page: Option<String>,
    pub size: Option<String>,
}

/// The session form as posted (kept on a refusal).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SessionInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub organiser: String,
    #[serde(default)]
    pub organiser_name: String,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub held_on: String,
    #[serde(default)]
    pub hours: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub trainer: String,
}

fn terms(list: &[anbiao_domain::outreach::Term]) -> Vec<(String, String)> {
    list.iter()
        .map(|t| (t.key.clone(), t.name.clone()))
        .collect()
}

async fn list_page(
    state: &AppState,
    u: &CurrentUser,
    q: &ListQuery,
    form: SessionInput,
    message: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let year = q
        .year
        .as_deref()
        .map(str::trim)
        .filter(|y| !y.is_empty())
        .map(|y| {
            y.parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(|| AppError::bad("year", format!("年份“{y}”无效")))
        })
        .transpose()?;
    let req = crate::pager::PageQuery {
        page: q.page.clone(),
        size: q.size.clone(),
    }
    .req();
    let page = cx.training_sessions(year, req).await?;
    let pager = Pager::new(
        "/training",
        &[("year", year.map(|y| y.to_string()).unwrap_or_default())],
        &page,
    );
    let set = cx.outreach_set().ok();
    let page = ListPage {
        layout: Layout::new(u, state, "training"),
        rows: page.rows.iter().map(|s| session_row(state, s)).collect(),
        pager,
        year: year.map(|y| y.to_string()).unwrap_or_default(),
        can_keep: u.can(Permission::KeepTraining),
        topics: set.map(|s| terms(&s.topics)).unwrap_or_default(),
        audiences: set.map(|s| terms(&s.audiences)).unwrap_or_default(),
        organisers: set.map(|s| terms(&s.organisers)).unwrap_or_default(),
        form,
        today: format_date(cx.on),
        message,
    };
    Ok(Html(page.render()?))
}

/// `GET /training`
pub async fn list(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, HtmlError> {
    list_page(&state, &u, &q, SessionInput::default(), None).await
}

/// `POST /training`
pub async fn create(
    State(state): State<AppState>,
    u: CurrentUser,
    headers: HeaderMap,
    Form(f): Form<SessionInput>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    let form = SessionForm {
        title: f.title.clone(),
        organiser: f.organiser.clone(),
        organiser_name: f.organiser_name.clone(),
        topic: f.topic.clone(),
        audience: f.audience.clone(),
        held_on: f.held_on.clone(),
        hours: f.hours.clone(),
        place: f.place.clone(),
        trainer: f.trainer.clone(),
    };
    let q = ListQuery::default();
    match state.ctx(&actor).record_training_session(&form).await {
        Ok(id) => Ok(redirect(&format!("/training/{id}"), is_htmx(&headers))),
        Err(e) => show_refusal(e.into(), |m| list_page(&state, &u, &q, f, Some(m))).await,
    }
}

pub struct AttendanceRow {
    pub id: i64,
    pub person: String,
    pub role: String,
    pub affiliation: String,
    pub enterprise_id: Option<i64>,
    pub phone: String,
    pub certificate_no: String,
    pub source: &'static str,
}

fn attendance_row(set: Option<&OutreachSet>, a: &Attendance) -> AttendanceRow {
    AttendanceRow {
        id: a.id,
        person: a.person.clone(),
        role: term(set, |x| x.role(&a.role).map(|r| r.name.clone()), &a.role),
        affiliation: a.affiliation.clone(),
        enterprise_id: a.enterprise_id,
        phone: a.phone.clone().unwrap_or_default(),
        certificate_no: a.certificate_no.clone(),
        source: if a.source == "sheet" {
            "签到表"
        } else {
            "现场登记"
        },
    }
}

#[derive(Template)]
#[template(path = "training/detail.html")]
struct DetailPage {
    layout: Layout,
    s: SessionRow,
    place: String,
    trainer: String,
    rule: RuleRef,
    rows: Vec<AttendanceRow>,
    /// Everyone signed in (the rows are one page of them).
    attended: usize,
    pager: Pager,
    own: bool,
    held: bool,
    roles: Vec<(String, String)>,
    person: PersonInput,
    message: Option<String>,
    report: Option<ReportView>,
}

pub struct ReportView {
    pub recorded: usize,
    pub refused: usize,
    pub rows: Vec<(u64, String, String, String, Option<String>)>,
}

impl From<&SignInReport> for ReportView {
    fn from(r: &SignInReport) -> Self {
        Self {
            recorded: r.recorded,
            refused: r.refused(),
            rows: r
                .rows
                .iter()
                .map(|x| {
                    (
                        x.number,
                        x.name.clone(),
                        x.affiliation.clone(),
                        x.role.clone(),
                        x.problem.clone(),
                    )
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PersonInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub certificate: String,
    #[serde(default)]
    pub phone: String,
}

async fn detail_page(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    person: PersonInput,
    message: Option<String>,
    report: Option<ReportView>,
) -> Result<Html<String>, HtmlError> {
    detail_paged(
        state,
        u,
        id,
        anbiao_store::paging::PageReq::default(),
        person,
        message,
        report,
    )
    .await
}

/// The session's page with one page of its sign-in list.
async fn detail_paged(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    req: anbiao_store::paging::PageReq,
    person: PersonInput,
    message: Option<String>,
    report: Option<ReportView>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let v = cx.training_session(id).await?;
    let held_on = parse_date(&v.session.held_on);
    let set = state.reference.outreach.in_force(held_on.unwrap_or(cx.on));
    // A page of the list; a page past the end shows the last.
    let attended = v.attendance.len();
    let size = req.limit().max(1) as usize;
    let last = attended.div_ceil(size).max(1);
    let req = anbiao_store::paging::PageReq {
        page: (req.page as usize).clamp(1, last) as u32,
        ..req
    };
    let from = req.offset() as usize;
    let paged = anbiao_store::paging::Paged {
        rows: v
            .attendance
            .iter()
            .skip(from)
            .take(size)
            .map(|a| attendance_row(set, a))
            .collect::<Vec<_>>(),
        total: anbiao_store::paging::Total::Exact(attended as i64),
        req,
    };
    let pager = Pager::new(&format!("/training/{id}"), &[], &paged);
    let page = DetailPage {
        layout: Layout::new(u, state, "training"),
        s: session_row(state, &v.session),
        place: v.session.place.clone(),
        trainer: v.session.trainer.clone(),
        rule: Book::of(state).cite(&v.session.rule),
        rows: paged.rows,
        attended,
        pager,
        own: v.own,
        held: held_on.is_none_or(|d| d <= cx.on),
        roles: set
            .map(|s| {
                s.roles
                    .iter()
                    .map(|r| (r.key.clone(), r.name.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        person,
        message,
        report,
    };
    Ok(Html(page.render()?))
}

/// `GET /training/{id}?page=&size=`
pub async fn detail(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<crate::pager::PageQuery>,
) -> Result<Html<String>, HtmlError> {
    let id = parse_id(&id)?;
    detail_paged(&state, &u, id, q.req(), PersonInput::default(), None, None).await
}

/// `POST /training/{id}/attendance`
pub async fn attend(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<PersonInput>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("form");
    let person = PersonForm {
        name: f.name.clone(),
        unit: f.unit.clone(),
        role: f.role.clone(),
        certificate: f.certificate.clone(),
        phone: f.phone.clone(),
    };
    match state.ctx(&actor).add_training_attendee(id, &person).await {
        Ok(_) => Ok(redirect(
            &format!("/training/{id}#attendance"),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e.into(), |m| detail_page(&state, &u, id, f, Some(m), None)).await,
    }
}

/// `POST /training/{id}/import` (multipart: `file`): the report of every row; a sheet with a
/// refused row records nothing and answers 422.
pub async fn import(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    multipart: axum::extract::Multipart,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let result = async {
        let (fields, mut files) = crate::pages::hazards::read_multipart(multipart).await?;
        let bytes = files
            .remove("file")
            .filter(|b| !b.is_empty())
            .ok_or_else(|| match fields.get("file.filename") {
                Some(name) => AppError::bad(
                    "file",
                    format!("所选文件“{name}”是空文件，请检查后重新选择"),
                ),
                None => AppError::bad("file", "请选择签到表文件（.xlsx、.xls 或 .csv）"),
            })?;
        let actor = u.acting("import");
        Ok::<SignInReport, AppError>(state.ctx(&actor).import_sign_in(id, bytes).await?)
    }
    .await;
    match result {
        Ok(report) => {
            let view = ReportView::from(&report);
            let status = if view.refused > 0 {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            };
            let html =
                detail_page(&state, &u, id, PersonInput::default(), None, Some(view)).await?;
            Ok((status, html).into_response())
        }
        Err(e) => {
            show_refusal(e, |m| {
                detail_page(&state, &u, id, PersonInput::default(), Some(m), None)
            })
            .await
        }
    }
}

/// `GET /training/sign-in.xlsx`: the sign-in sheet to print and fill in.
pub async fn template(
    State(state): State<AppState>,
    u: CurrentUser,
) -> Result<Response, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let set = cx.outreach_set()?;
    let roles: Vec<&str> = set.roles.iter().map(|r| r.name.as_str()).collect();
    let title = format!("培训签到表（身份填：{}）", roles.join("、"));
    let header = ["序号", "姓名", "工作单位", "身份", "考评员证书编号", "手机"];
    let rows: Vec<Vec<anbiao_sheets::XCell>> = Vec::new();
    let bytes = anbiao_sheets::write_table("培训签到表", Some(&title), &header, &rows)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::export::xlsx_download(
        bytes,
        "sign-in.xlsx",
        "培训签到表.xlsx",
    ))
}

#[derive(Template)]
#[template(path = "training/certificate.html")]
struct CertificatePage {
    layout: Layout,
    number: String,
    person: String,
    affiliation: String,
    role: String,
    title: String,
    held_on: String,
    hours: String,
    organiser: String,
    session_id: i64,
}

/// `GET /training/attendance/{id}`: the attendance certificate (培训证明), to print.
pub async fn certificate(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("page");
    let (a, s) = state.ctx(&actor).training_attendance(id).await?;
    let held = parse_date(&s.held_on);
    let set = state
        .reference
        .outreach
        .in_force(held.unwrap_or_else(|| state.today()));
    let page = CertificatePage {
        layout: Layout::new(&u, &state, "training"),
        number: a.certificate_no.clone(),
        person: a.person.clone(),
        affiliation: a.affiliation.clone(),
        role: term(set, |x| x.role(&a.role).map(|r| r.name.clone()), &a.role),
        title: s.title.clone(),
        held_on: held.map(format_date_cn).unwrap_or(s.held_on.clone()),
        hours: s.hours(),
        organiser: s.organiser_name.clone(),
        session_id: s.id,
    };
    Ok(Html(page.render()?))
}

pub struct CoverageRow {
    pub name: String,
    pub key: String,
    pub small: String,
    pub sessions: i64,
    pub attendances: i64,
    pub key_total: i64,
    pub key_covered: i64,
    pub small_total: i64,
    pub small_reached: i64,
    pub models: i64,
    pub exchanges: i64,
    pub exchange_attendees: i64,
}

fn share(n: i64, of: i64) -> String {
    if of == 0 {
        "—".into()
    } else {
        let pct = n as f64 * 100.0 / of as f64;
        if n > 0 && pct < 0.1 {
            "不足 0.1%".into()
        } else {
            format!("{pct:.1}%")
        }
    }
}

impl From<&CoverageLine> for CoverageRow {
    fn from(l: &CoverageLine) -> Self {
        Self {
            name: l.name.clone(),
            key: share(l.key_covered, l.key_total),
            small: share(l.small_reached, l.small_total),
            sessions: l.sessions,
            attendances: l.attendances,
            key_total: l.key_total,
            key_covered: l.key_covered,
            small_total: l.small_total,
            small_reached: l.small_reached,
            models: l.models,
            exchanges: l.exchanges,
            exchange_attendees: l.exchange_attendees,
        }
    }
}

#[derive(Template)]
#[template(path = "training/coverage.html")]
struct CoveragePage {
    layout: Layout,
    on: String,
    from: String,
    today: String,
    rule: RuleRef,
    place_head: &'static str,
    by_unit: bool,
    rows: Vec<CoverageRow>,
    total: CoverageRow,
    evaluators: i64,
    evaluators_trained: i64,
    evaluators_share: String,
    check: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CoverageQuery {
    pub on: Option<String>,
}

/// `GET /training/coverage?on=`: the coverage the seed asks about, as of a day.
pub async fn coverage(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<CoverageQuery>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let mut cx = state.ctx(&actor);
    let today = cx.on;
    if let Some(raw) = q.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let day = parse_date(raw).ok_or_else(|| {
            AppError::bad("on", format!("日期“{raw}”无效，应为 2026-12-07 的格式"))
        })?;
        if day > today {
            return Err(AppError::bad("on", "统计日期不能晚于今天").into());
        }
        cx.on = day;
    }
    let v = cx.training_coverage().await?;
    let by_unit = matches!(u.scope, anbiao_domain::Scope::City);
    let page = CoveragePage {
        layout: Layout::new(&u, &state, "training"),
        on: format_date(v.on),
        from: format_date(v.window_from),
        today: format_date(today),
        rule: Book::of(&state).cite(&v.rule),
        place_head: if by_unit {
            "县（市、区）"
        } else {
            "乡镇（街道）"
        },
        by_unit,
        rows: v.lines.iter().map(CoverageRow::from).collect(),
        total: CoverageRow::from(&v.total),
        evaluators: v.evaluators,
        evaluators_trained: v.evaluators_trained,
        evaluators_share: share(v.evaluators_trained, v.evaluators),
        check: v.to_be_checked,
    };
    Ok(Html(page.render()?))
}
