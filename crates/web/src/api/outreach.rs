//! The obligation list, training and the units' figures as JSON (issue 18 item 9): an
//! enterprise's list and status on the day, the training sessions within the caller's reach
//! with their attendance, and the units' coverage and demonstration figures as of a day.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

use anbiao_domain::date::{format_date, parse_date};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// One item of an enterprise's obligation list on the day.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ObligationItemView {
    pub key: String,
    pub group: String,
    pub title: String,
    /// once, yearly, quarterly, monthly or event.
    pub frequency: String,
    /// The period it falls due in (2026, 2026Q4, 2026-12, once), if scheduled.
    pub period: Option<String>,
    pub due_on: Option<String>,
    /// open, overdue, done, gap, gap_overdue, rectified or event.
    pub status: String,
    /// The status in words (待自查 …).
    pub status_name: String,
    /// The rule the item is judged under, e.g. obligations@1#item.five.training.
    pub rule: String,
    /// The legal basis in words.
    pub basis: String,
    /// What the enterprise recorded for the period, if anything.
    pub recorded_on: Option<String>,
    pub note: Option<String>,
    /// For a gap put right, the problem the enterprise had found.
    pub problem: Option<String>,
    pub rectify_by: Option<String>,
}

/// An enterprise's obligation list on the day.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ObligationListView {
    pub enterprise_id: i64,
    pub enterprise: String,
    /// The list's version, e.g. obligations@1.
    pub set: String,
    pub on: String,
    /// The features in force (dust, ammonia …).
    pub features: Vec<String>,
    pub items: Vec<ObligationItemView>,
    /// Gaps of earlier periods not yet put right.
    pub earlier_gaps: i64,
}

/// An enterprise's obligation list (安全生产监管清单) and where each item stands today:
/// officers within their scope, an enterprise its own.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/obligations", params(("id" = i64, Path)), tag = "obligations",
    responses((status = 200, body = ObligationListView), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody), (status = 404, body = crate::error::ApiErrorBody)))]
pub async fn get_obligations(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ObligationListView>, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let actor = u.acting("api");
    let list = state.ctx(&actor).obligation_list(id).await?;
    Ok(Json(ObligationListView {
        enterprise_id: list.enterprise_id,
        enterprise: list.enterprise,
        set: list.set,
        on: format_date(list.on),
        features: list.features.into_iter().map(|(k, _)| k).collect(),
        earlier_gaps: list.earlier_gaps.len() as i64,
        items: list
            .items
            .into_iter()
            .map(|li| ObligationItemView {
                key: li.item.key.clone(),
                group: li.item.group.clone(),
                title: li.item.title.clone(),
                frequency: li.item.frequency.key().to_string(),
                period: li.period.as_ref().map(|p| p.key.clone()),
                due_on: li.period.as_ref().map(|p| format_date(p.due)),
                status: li.status.key().to_string(),
                status_name: li.status.label().to_string(),
                rule: li.rule,
                basis: li.item.basis_words(list.on),
                recorded_on: li.record.as_ref().map(|r| r.recorded_on.clone()),
                note: li.record.as_ref().map(|r| r.note.clone()),
                problem: li.record.as_ref().and_then(|r| r.problem.clone()),
                rectify_by: li.record.as_ref().and_then(|r| r.rectify_by.clone()),
            })
            .collect(),
    }))
}

/// A training session.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TrainingSessionView {
    pub id: i64,
    /// The recording unit (null: the city) and township.
    pub unit: Option<String>,
    pub township: Option<String>,
    pub title: String,
    /// Keys of data/rules/outreach.toml.
    pub organiser: String,
    pub organiser_name: String,
    pub topic: String,
    pub audience: String,
    pub held_on: String,
    /// Hours, e.g. "3.5".
    pub hours: String,
    pub place: String,
    pub trainer: String,
    pub attendees: i64,
}

/// A person at a session.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TrainingAttendanceView {
    pub id: i64,
    pub person: String,
    /// principal, safety_manager, staff, officer or evaluator.
    pub role: String,
    pub enterprise_id: Option<i64>,
    pub evaluator_id: Option<i64>,
    pub affiliation: String,
    pub certificate_no: String,
}

/// A page of sessions.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TrainingListView {
    pub sessions: Vec<TrainingSessionView>,
    /// The whole list's length (up to 10,000; `total_exact` false beyond).
    pub total: i64,
    pub total_exact: bool,
    pub page: u32,
    pub size: u32,
}

/// A session with its attendance.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TrainingDetailView {
    pub session: TrainingSessionView,
    pub attendance: Vec<TrainingAttendanceView>,
}

fn session_view(s: anbiao_store::training::Session) -> TrainingSessionView {
    TrainingSessionView {
        hours: s.hours(),
        id: s.id,
        unit: s.unit,
        township: s.township,
        title: s.title,
        organiser: s.organiser,
        organiser_name: s.organiser_name,
        topic: s.topic,
        audience: s.audience,
        held_on: s.held_on,
        place: s.place,
        trainer: s.trainer,
        attendees: s.attendees,
    }
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct TrainingQuery {
    /// Sessions held in this year only.
    pub year: Option<String>,
    pub page: Option<String>,
    /// 20, 50, 100 or 200.
    pub size: Option<String>,
}

/// The training sessions within the caller's reach (the city's and its unit's), newest first.
#[utoipa::path(get, path = "/api/v1/training", params(TrainingQuery), tag = "training",
    responses((status = 200, body = TrainingListView), (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody)))]
pub async fn list_training(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<TrainingQuery>,
) -> Result<Json<TrainingListView>, AppError> {
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => None,
        Some(y) => Some(
            y.parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(|| {
                    AppError::bad("year", format!("year 应为 2000 至 2100 的年份，收到“{y}”"))
                })?,
        ),
    };
    let req = anbiao_store::paging::PageReq::parse(q.page.as_deref(), q.size.as_deref());
    let actor = u.acting("api");
    let page = state.ctx(&actor).training_sessions(year, req).await?;
    let (total, total_exact) = match page.total {
        anbiao_store::paging::Total::Exact(n) => (n, true),
        anbiao_store::paging::Total::MoreThan(n) => (n, false),
    };
    Ok(Json(TrainingListView {
        total,
        total_exact,
        page: page.req.page,
        size: page.req.size,
        sessions: page.rows.into_iter().map(session_view).collect(),
    }))
}

/// A training session and who attended it.
#[utoipa::path(get, path = "/api/v1/training/{id}", params(("id" = i64, Path)), tag = "training",
    responses((status = 200, body = TrainingDetailView), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody), (status = 404, body = crate::error::ApiErrorBody)))]
pub async fn get_training(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<TrainingDetailView>, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let actor = u.acting("api");
    let v = state.ctx(&actor).training_session(id).await?;
    Ok(Json(TrainingDetailView {
        session: session_view(v.session),
        attendance: v
            .attendance
            .into_iter()
            .map(|a| TrainingAttendanceView {
                id: a.id,
                person: a.person,
                role: a.role,
                enterprise_id: a.enterprise_id,
                evaluator_id: a.evaluator_id,
                affiliation: a.affiliation,
                certificate_no: a.certificate_no,
            })
            .collect(),
    }))
}

/// One unit's (or, for a district or township caller, one township's) figures.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitFigureView {
    /// The unit's short name (如皋) or the township.
    pub unit: String,
    pub name: String,
    pub key_enterprises: i64,
    /// Key enterprises whose principal person and safety manager attended within the window.
    pub key_trained: i64,
    pub small_micro: i64,
    pub small_micro_reached: i64,
    pub sessions: i64,
    pub attendances: i64,
    pub model_enterprises: i64,
    pub exchanges: i64,
    pub exchange_attendees: i64,
}

/// The training coverage and demonstration figures as of a day.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OutreachFiguresView {
    pub on: String,
    /// The first day of the window trainings count for.
    pub window_from: String,
    /// The rule that decided the figures, e.g. outreach@1#coverage.
    pub rule: String,
    /// Whether a rule deciding them is recalled or inferred (待核对).
    pub to_be_checked: bool,
    pub units: Vec<UnitFigureView>,
    pub total: UnitFigureView,
    pub evaluators: i64,
    pub evaluators_trained: i64,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct FiguresQuery {
    /// The day (YYYY-MM-DD, not after today); today when absent.
    pub on: Option<String>,
}

fn figure(l: anbiao_actions::training::CoverageLine) -> UnitFigureView {
    UnitFigureView {
        unit: l.unit,
        name: l.name,
        key_enterprises: l.key_total,
        key_trained: l.key_covered,
        small_micro: l.small_total,
        small_micro_reached: l.small_reached,
        sessions: l.sessions,
        attendances: l.attendances,
        model_enterprises: l.models,
        exchanges: l.exchanges,
        exchange_attendees: l.exchange_attendees,
    }
}

/// The units' training coverage, model enterprises and exchanges as of a day (培训覆盖、典型示范).
#[utoipa::path(get, path = "/api/v1/outreach/figures", params(FiguresQuery), tag = "training",
    responses((status = 200, body = OutreachFiguresView), (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody)))]
pub async fn get_figures(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<FiguresQuery>,
) -> Result<Json<OutreachFiguresView>, AppError> {
    let actor = u.acting("api");
    let mut cx = state.ctx(&actor);
    if let Some(raw) = q.on.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let day = parse_date(raw).ok_or_else(|| {
            AppError::bad("on", format!("on 应为 YYYY-MM-DD 格式的日期，收到“{raw}”"))
        })?;
        if day > cx.on {
            return Err(AppError::bad("on", "统计日期不能晚于今天"));
        }
        cx.on = day;
    }
    let v = cx.training_coverage().await?;
    Ok(Json(OutreachFiguresView {
        on: format_date(v.on),
        window_from: format_date(v.window_from),
        rule: v.rule,
        to_be_checked: v.to_be_checked,
        units: v.lines.into_iter().map(figure).collect(),
        total: figure(v.total),
        evaluators: v.evaluators,
        evaluators_trained: v.evaluators_trained,
    }))
}
