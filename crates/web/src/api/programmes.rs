//! `/api/v1/programmes`: the loaded programmes, and each one's target table as of a day.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::programme::{Cell, Programme, Row, TargetTable};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProgrammeView {
    pub id: String,
    pub name: String,
    /// The document that set it (e.g. 通政发〔2018〕27号).
    pub document: String,
    pub issued_on: String,
    pub start: String,
    pub end: String,
}

impl ProgrammeView {
    fn new(p: &Programme) -> Self {
        Self {
            id: p.id.clone(),
            name: p.name.clone(),
            document: p.document.clone(),
            issued_on: format_date(p.issued_on),
            start: format_date(p.start),
            end: format_date(p.end),
        }
    }
}

/// One figure: a count, or a rate (in percent) with its numerator and denominator.
#[derive(Serialize, utoipa::ToSchema)]
pub struct FigureView {
    /// The metric key (see docs/metrics.md), e.g. grade_two_count.
    pub metric: String,
    pub label: String,
    /// The count, or the rate in percent; null when there is nothing to divide by.
    pub value: Option<f64>,
    pub numerator: u64,
    /// Null for a count.
    pub denominator: Option<u64>,
    pub target: Option<f64>,
    /// The day the target is due.
    pub by: String,
    /// met, behind (before the day it is due), missed (after it), no_data; null without a target.
    pub status: Option<String>,
    pub status_label: Option<String>,
    /// The day the figure was taken (a passed city target is judged on its own day).
    pub taken_on: String,
    /// Enterprises still needed to reach the target.
    pub shortfall: Option<u64>,
}

impl FigureView {
    pub fn new(c: &Cell) -> Self {
        Self {
            metric: c.metric.key().into(),
            label: c.metric.label().into(),
            value: c.figure.value().map(|v| (v * 10.0).round() / 10.0),
            numerator: c.figure.numerator,
            denominator: c.figure.denominator,
            target: c.target,
            by: format_date(c.by),
            status: c.standing.map(|s| {
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            }),
            status_label: c.standing.map(|s| s.label().to_string()),
            taken_on: format_date(c.taken_on),
            shortfall: c.shortfall,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitView {
    /// The plan's unit name (e.g. 海安); empty for the city's 合计 row.
    pub unit: String,
    pub label: String,
    pub metrics: Vec<FigureView>,
}

impl UnitView {
    fn new(r: &Row) -> Self {
        Self {
            unit: r.unit.clone(),
            label: r.label.clone(),
            metrics: r.cells.iter().map(FigureView::new).collect(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TargetsView {
    pub programme: ProgrammeView,
    pub as_of: String,
    /// The phase the day falls in, if any.
    pub phase: Option<String>,
    pub units: Vec<UnitView>,
    /// The attachment's 合计 row, over the whole city.
    pub city: UnitView,
    /// The city's own targets (section 三 of the plan).
    pub city_targets: Vec<FigureView>,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct TargetsQuery {
    /// The day (YYYY-MM-DD); today when absent.
    pub as_of: Option<String>,
}

/// The day asked for, or a 400 saying what is wrong.
pub fn as_of(state: &AppState, raw: Option<&str>) -> Result<time::Date, AppError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(state.today()),
        Some(s) => parse_date(s).ok_or_else(|| {
            AppError::bad(
                "as_of",
                format!("as_of 应为 YYYY-MM-DD 格式的日期，收到“{s}”"),
            )
        }),
    }
}

/// The table of `p` on `on` as `u` reads it.
pub async fn table_on(
    state: &AppState,
    u: &CurrentUser,
    p: &Programme,
    on: time::Date,
) -> Result<TargetTable, AppError> {
    let actor = u.acting("page");
    Ok(state.ctx(&actor).target_table(p, on).await?)
}

/// The loaded programmes.
#[utoipa::path(get, path = "/api/v1/programmes", tag = "programmes",
    responses((status = 200, body = [ProgrammeView]), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody)))]
pub async fn list_programmes(
    State(state): State<AppState>,
    _u: CurrentUser,
) -> Json<Vec<ProgrammeView>> {
    Json(
        state
            .reference
            .programmes
            .iter()
            .map(ProgrammeView::new)
            .collect(),
    )
}

/// A programme's target table as of a day: per unit and for the city, each metric's value,
/// numerator, denominator, target and status.
#[utoipa::path(get, path = "/api/v1/programmes/{id}/targets", params(("id" = String, Path, description = "Programme id, e.g. nantong.2018"), TargetsQuery), tag = "programmes",
    responses((status = 200, body = TargetsView), (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody), (status = 404, body = crate::error::ApiErrorBody)))]
pub async fn get_targets(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<TargetsQuery>,
) -> Result<Json<TargetsView>, AppError> {
    let p = state.reference.programme(&id).ok_or(AppError::NotFound)?;
    let on = as_of(&state, q.as_of.as_deref())?;
    let t = table_on(&state, &u, p, on).await?;
    Ok(Json(TargetsView {
        programme: ProgrammeView::new(p),
        as_of: format_date(on),
        phase: t.phase.clone(),
        units: t.rows.iter().map(UnitView::new).collect(),
        city: UnitView::new(&t.total),
        city_targets: t.city.iter().map(FigureView::new).collect(),
    }))
}
