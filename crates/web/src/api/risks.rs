//! `/api/v1/enterprises/{id}/risks`: an enterprise's risk register (the enterprise within the
//! caller's scope), each point with its assessment as decided and the rule that decided it.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use anbiao_store::risk_points::RiskPoint;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// A risk point.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RiskPointView {
    pub id: i64,
    pub name: String,
    /// place, equipment, activity or post.
    pub kind: String,
    pub location: String,
    /// The hazardous and harmful factors (危险有害因素), in words.
    pub hazards: String,
    /// GB 6441 accident types.
    pub accident_types: Vec<String>,
    pub exposed: i64,
    /// The method's key (lec, ls, or the jurisdiction's own).
    pub method: String,
    /// The factors as chosen, e.g. {"L": "3", "E": "6", "C": "15"}.
    pub factors: std::collections::BTreeMap<String, String>,
    /// The score as an exact decimal, e.g. "270" or "0.05".
    pub score: String,
    /// The level's key: major, high, medium or low under the shipped rules.
    pub level: String,
    pub level_name: String,
    /// 红, 橙, 黄, 蓝.
    pub colour: String,
    /// The rule that decided the level, e.g. risk@1#lec.band.160.
    pub rule: String,
    /// The decision in words.
    pub words: String,
    /// The key of the level of control, e.g. company.
    pub control_level: String,
    pub responsible: String,
    /// The control measures by kind (engineering, management, training, ppe, emergency under
    /// the shipped rules; empty for text written before measures had kinds); each line is an
    /// item of the hazard-check list.
    pub measures: Vec<MeasureView>,
    pub assessed_on: String,
    /// The due day of the current check task.
    pub next_check_due: String,
    /// The day the daily job found the current task overdue, if it is.
    pub check_overdue_since: Option<String>,
    /// Why the point is to be assessed again; empty when it is not.
    pub reassess: String,
    pub version: i64,
}

/// A control measure of one kind.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeasureView {
    pub kind: String,
    /// The kind's name, e.g. 工程技术措施.
    pub name: String,
    pub text: String,
}

/// An enterprise's register.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RiskRegisterView {
    pub enterprise_id: i64,
    pub enterprise: String,
    pub points: Vec<RiskPointView>,
}

fn view(state: &AppState, p: RiskPoint) -> RiskPointView {
    let on = state.today();
    let set = state.reference.risk.in_force(on).ok();
    let level = set.and_then(|s| s.level(&p.level).cloned());
    let measures = p
        .measures()
        .into_iter()
        .map(|m| MeasureView {
            name: set
                .map(|s| anbiao_domain::risk_point::measure_name(s, &m.kind))
                .unwrap_or_default(),
            kind: m.kind,
            text: m.text,
        })
        .collect();
    RiskPointView {
        factors: p.factor_pairs().into_iter().collect(),
        accident_types: p
            .accident_types
            .split('、')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        level_name: level.as_ref().map(|l| l.name.clone()).unwrap_or_default(),
        colour: level.map(|l| l.colour).unwrap_or_default(),
        id: p.id,
        name: p.name,
        kind: p.kind,
        location: p.location,
        hazards: p.hazards,
        exposed: p.exposed,
        method: p.method,
        score: p.score,
        level: p.level,
        rule: p.rule,
        words: p.words,
        control_level: p.control_level,
        responsible: p.responsible,
        measures,
        assessed_on: p.assessed_on,
        next_check_due: p.next_check_due,
        check_overdue_since: p.check_overdue_since,
        reassess: p.reassess,
        version: p.version,
    }
}

/// An enterprise's risk register (风险点辨识清单): officers within their scope, an enterprise
/// its own.
#[utoipa::path(get, path = "/api/v1/enterprises/{id}/risks", params(("id" = i64, Path)), tag = "risks",
    responses((status = 200, body = RiskRegisterView), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody), (status = 404, body = crate::error::ApiErrorBody)))]
pub async fn get_register(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<RiskRegisterView>, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let actor = u.acting("api");
    let reg = state.ctx(&actor).risk_register(id).await?;
    Ok(Json(RiskRegisterView {
        enterprise_id: reg.enterprise_id,
        enterprise: reg.enterprise,
        points: reg.points.into_iter().map(|p| view(&state, p)).collect(),
    }))
}

/// One figure: in a region code, the enterprises with points of a level and the points.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RiskFigureView {
    pub region_code: String,
    /// The region's name on the day.
    pub region: String,
    /// The level's key (major, high, medium, low under the shipped rules); `*` for any level:
    /// the enterprises with a register at all; `*overdue` for points whose check task is
    /// overdue; `*uncontrolled` for points without any control measure.
    pub level: String,
    pub enterprises: i64,
    pub points: i64,
}

/// The risk figures within the caller's scope (running sums per region code and level) and the
/// enterprises with points of the two highest levels.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RiskSummaryView {
    pub figures: Vec<RiskFigureView>,
    /// Per level key (and `*overdue`, `*uncontrolled`), the enterprise ids with such points,
    /// most points first (at most 100).
    pub enterprises: std::collections::BTreeMap<String, Vec<i64>>,
    /// Operating enterprises with no risk register, above scale first (at most 100).
    pub without_register: Vec<i64>,
    /// The figures per industry within the caller's scope.
    pub industry_figures: Vec<RiskIndustryFigureView>,
}

/// One figure per industry: the enterprises with points of a level and the points.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RiskIndustryFigureView {
    pub industry_code: String,
    /// The industry's name.
    pub industry: String,
    /// As in the figures per region (with `*`, `*overdue`, `*uncontrolled`).
    pub level: String,
    pub enterprises: i64,
    pub points: i64,
}

/// The risk figures of the units within the caller's scope (风险分级管控情况).
#[utoipa::path(get, path = "/api/v1/risks/summary", tag = "risks",
    responses((status = 200, body = RiskSummaryView), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody)))]
pub async fn get_summary(
    State(state): State<AppState>,
    u: CurrentUser,
) -> Result<Json<RiskSummaryView>, AppError> {
    let actor = u.acting("api");
    let s = state.ctx(&actor).risk_summary().await?;
    Ok(Json(RiskSummaryView {
        figures: s
            .sums
            .into_iter()
            .map(|f| RiskFigureView {
                region: crate::views::region_name(&state.reference, &f.region_code),
                region_code: f.region_code,
                level: f.level,
                enterprises: f.enterprises,
                points: f.points,
            })
            .collect(),
        without_register: s.without_register.iter().map(|e| e.enterprise_id).collect(),
        industry_figures: s
            .industries
            .iter()
            .map(|f| RiskIndustryFigureView {
                industry: state
                    .reference
                    .industries
                    .get(&f.industry_code)
                    .map(|i| i.name.clone())
                    .unwrap_or_else(|| f.industry_code.clone()),
                industry_code: f.industry_code.clone(),
                level: f.level.clone(),
                enterprises: f.enterprises,
                points: f.points,
            })
            .collect(),
        enterprises: s
            .lists
            .into_iter()
            .map(|(level, at)| (level, at.into_iter().map(|e| e.enterprise_id).collect()))
            .collect(),
    }))
}
