//! The incentive and restriction measures (激励约束措施, 六（五）) and the enterprises each concerns
//! on a day, with the facts that put each there, as JSON (issue 19 item 2).

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

use anbiao_actions::consequences::MeasureView;
use anbiao_domain::date::format_date;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// A measure in force on the day.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeasureDoc {
    /// e.g. listing.excluded
    pub key: String,
    /// The plan's section, e.g. 六（五）1.
    pub section: String,
    /// The acting department's key and name.
    pub department: String,
    pub department_name: String,
    pub title: String,
    pub text: String,
    /// eligible, preferred, excluded, rate_down, rate_up or to_handle.
    pub effect: String,
    pub effect_name: String,
    /// The condition on the enterprise's standing, in words.
    pub condition: String,
    /// For a rate: who sets the band (and the band where the rules give one).
    pub range: Option<String>,
    /// The rule that decides, e.g. consequences@1#measure.listing.excluded.
    pub rule: String,
    /// confirmed, inferred, default, recalled-high or recalled-low.
    pub confidence: String,
    /// True where users are shown 待核对.
    pub to_be_checked: bool,
}

fn doc(m: MeasureView) -> MeasureDoc {
    MeasureDoc {
        key: m.key,
        section: m.section,
        department: m.department,
        department_name: m.department_name,
        title: m.title,
        text: m.text,
        effect: m.effect.to_string(),
        effect_name: m.effect_label.to_string(),
        condition: m.condition,
        range: m.range,
        rule: m.rule,
        confidence: m.confidence,
        to_be_checked: m.to_be_checked,
    }
}

/// The measures in force on a day.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeasuresDoc {
    pub on: String,
    pub title: String,
    pub source: String,
    pub measures: Vec<MeasureDoc>,
}

/// One enterprise a measure concerns, with the facts that put it there.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeasureEntryDoc {
    pub enterprise_id: i64,
    pub credit_code: String,
    pub name: String,
    /// The unit (县、市、区) as named on the day.
    pub unit: String,
    pub township: Option<String>,
    /// e.g. 二级证书 苏AQB…，有效期至2021-05-31；近12个月无生产安全事故记录
    pub reasons: String,
}

/// A page of a measure's list.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeasureListDoc {
    pub on: String,
    pub measure: MeasureDoc,
    /// Exact up to 10,000; beyond it `total_exact` is false.
    pub total: i64,
    pub total_exact: bool,
    pub page: u32,
    pub size: u32,
    pub entries: Vec<MeasureEntryDoc>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct MeasuresQuery {
    /// The day (YYYY-MM-DD, not after today); today when absent.
    pub on: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct MeasureListQuery {
    /// The day (YYYY-MM-DD, not after today); today when absent.
    pub on: Option<String>,
    pub page: Option<String>,
    /// 20, 50, 100 or 200.
    pub size: Option<String>,
}

/// The incentive and restriction measures (六（五）) in force on a day.
#[utoipa::path(get, path = "/api/v1/consequences", params(MeasuresQuery), tag = "consequences",
    responses((status = 200, body = MeasuresDoc), (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody)))]
pub async fn list_measures(
    State(state): State<AppState>,
    u: CurrentUser,
    Query(q): Query<MeasuresQuery>,
) -> Result<Json<MeasuresDoc>, AppError> {
    let actor = u.acting("api");
    let cx = state.ctx(&actor);
    let day = cx.consequence_day(q.on.as_deref())?;
    let m = cx.consequence_measures(day)?;
    Ok(Json(MeasuresDoc {
        on: m.on,
        title: m.title,
        source: m.source,
        measures: m.measures.into_iter().map(doc).collect(),
    }))
}

/// The enterprises a measure concerns on a day within the caller's scope, each with the facts
/// that put it there.
#[utoipa::path(get, path = "/api/v1/consequences/{key}", params(("key" = String, Path), MeasureListQuery), tag = "consequences",
    responses((status = 200, body = MeasureListDoc), (status = 400, body = crate::error::ApiErrorBody), (status = 401, body = crate::error::ApiErrorBody), (status = 403, body = crate::error::ApiErrorBody), (status = 404, body = crate::error::ApiErrorBody)))]
pub async fn get_measure_list(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(key): Path<String>,
    Query(q): Query<MeasureListQuery>,
) -> Result<Json<MeasureListDoc>, AppError> {
    let actor = u.acting("api");
    let cx = state.ctx(&actor);
    let day = cx.consequence_day(q.on.as_deref())?;
    let req = anbiao_store::paging::PageReq::parse(q.page.as_deref(), q.size.as_deref());
    let l = cx.measure_list(&key, day, req).await?;
    let (total, total_exact) = match l.entries.total {
        anbiao_store::paging::Total::Exact(n) => (n, true),
        anbiao_store::paging::Total::MoreThan(n) => (n, false),
    };
    Ok(Json(MeasureListDoc {
        on: format_date(l.on),
        measure: doc(l.measure),
        total,
        total_exact,
        page: l.entries.req.page,
        size: l.entries.req.size,
        entries: l
            .entries
            .rows
            .into_iter()
            .map(|e| MeasureEntryDoc {
                enterprise_id: e.enterprise_id,
                credit_code: e.credit_code,
                name: e.name,
                unit: e.unit,
                township: e.township,
                reasons: e.reasons,
            })
            .collect(),
    }))
}
