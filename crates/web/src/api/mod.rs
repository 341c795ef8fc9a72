//! The JSON API under `/api/v1`, with its OpenAPI document.

pub mod cases;
pub mod consequences;
pub mod enterprises;
pub mod feed;
pub mod outreach;
pub mod programmes;
pub mod risks;
pub mod session;

use axum::Json;
use axum::body::Bytes;
use serde::de::DeserializeOwned;
use utoipa::OpenApi;

use crate::error::AppError;

/// The OpenAPI document of `/api/v1`.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Parses a JSON body; a wrong field or type is named in the error.
pub fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, AppError> {
    if body.is_empty() {
        return Err(AppError::BadRequest {
            field: None,
            message: "请求体为空，应为 JSON 对象".into(),
        });
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        if let Some(rest) = msg.strip_prefix("unknown field `") {
            let name = rest.split('`').next().unwrap_or("").to_string();
            return AppError::bad(&name, format!("未知字段“{name}”"));
        }
        if inner.is_syntax() || inner.is_eof() {
            return AppError::BadRequest {
                field: None,
                message: "请求体不是有效的 JSON".into(),
            };
        }
        let field = if path == "." {
            None
        } else {
            Some(path.clone())
        };
        AppError::BadRequest {
            message: format!("字段“{path}”的类型或取值不正确"),
            field,
        }
    })
}

/// Declares the two ways to call the API: a bearer token, or the session cookie with
/// `X-CSRF-Token` on state-changing calls.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("安全管理员或本人签发的接口令牌（abt_…）"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("anbiao_sid"))),
        );
        openapi.security = Some(vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("session", Vec::<String>::new()),
        ]);
    }
}

#[derive(OpenApi)]
#[openapi(
    modifiers(&Security),
    info(
        title = "安标 anbiao API",
        version = "1",
        description = "南通市工贸企业安全生产标准化管理系统接口。所有数据按调用者的角色与辖区过滤。"
    ),
    paths(
        enterprises::list_enterprises,
        enterprises::get_enterprise,
        enterprises::create_enterprise,
        enterprises::update_enterprise,
        session::create_session,
        cases::list_cases,
        cases::get_case,
        cases::take_step,
        cases::list_certificates,
        programmes::list_programmes,
        programmes::get_targets,
        risks::get_register,
        risks::get_summary,
        outreach::get_obligations,
        outreach::list_training,
        outreach::get_training,
        outreach::get_figures,
        consequences::list_measures,
        consequences::get_measure_list,
        feed::get_feed,
        session::delete_session,
    ),
    components(schemas(
        crate::views::EnterpriseView,
        enterprises::EnterpriseBody,
        enterprises::EnterpriseList,
        session::Credentials,
        cases::CaseView,
        cases::CaseEventView,
        cases::CaseDetail,
        cases::StepBody,
        cases::CertificateView,
        programmes::ProgrammeView,
        programmes::FigureView,
        programmes::UnitView,
        programmes::TargetsView,
        risks::RiskPointView,
        risks::RiskRegisterView,
        risks::RiskFigureView,
        risks::RiskSummaryView,
        outreach::ObligationItemView,
        outreach::ObligationListView,
        outreach::TrainingSessionView,
        outreach::TrainingAttendanceView,
        outreach::TrainingListView,
        outreach::TrainingDetailView,
        outreach::UnitFigureView,
        outreach::OutreachFiguresView,
        consequences::MeasureDoc,
        consequences::MeasuresDoc,
        consequences::MeasureEntryDoc,
        consequences::MeasureListDoc,
        feed::FeedEventDoc,
        feed::FeedPageDoc,
        session::SessionCreated,
        crate::error::ApiErrorBody,
        crate::error::ApiFieldError,
    ))
)]
pub struct ApiDoc;
