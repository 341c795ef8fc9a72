//! The web layer's one error type, mapped to a status once. 4xx carry a Chinese message for the
//! user; 5xx log their cause and show a generic message.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use thiserror::Error;

use anbiao_actions::ActionError;
use anbiao_domain::FieldError;
use anbiao_sheets::SheetError;
use anbiao_store::StoreError;

#[derive(Debug, Error)]
pub enum AppError {
    #[error("请先登录")]
    Unauthenticated,
    #[error("用户名或密码错误。连续输错多次后账户会暂时锁定，请稍后再试或联系系统管理员")]
    BadCredentials,
    #[error("您没有{0}的权限")]
    Forbidden(&'static str),
    /// Refused by the action layer on the record (party, relation, field), in its words.
    #[error("{0}")]
    Denied(String),
    #[error("请求来源校验失败，请刷新页面后重试")]
    Csrf,
    #[error("未找到该记录，或不在您的管辖范围内")]
    NotFound,
    #[error("{message}")]
    BadRequest {
        field: Option<String>,
        message: String,
    },
    #[error("提交的信息有误")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Sheet(#[from] SheetError),
    #[error("登录尝试过于频繁，请稍后再试")]
    TooManyRequests,
    #[error("访问过于频繁，请一分钟后再试")]
    PublicTooFrequent,
    #[error("首次登录或密码已被重置，请先修改密码")]
    PasswordChangeRequired,
    #[error("{0}")]
    BadToken(&'static str),
    /// A service the request needs is not configured on this server (e.g. no CJK font).
    #[error("{0}")]
    Unavailable(String),
    #[error("系统内部错误")]
    Internal(String),
}

impl AppError {
    pub fn bad(field: &str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated | Self::BadCredentials | Self::BadToken(_) => {
                StatusCode::UNAUTHORIZED
            }
            Self::Forbidden(_) | Self::Denied(_) | Self::Csrf | Self::PasswordChangeRequired => {
                StatusCode::FORBIDDEN
            }
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest { .. } | Self::Sheet(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests | Self::PublicTooFrequent => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthenticated",
            Self::BadCredentials => "bad_credentials",
            Self::Forbidden(_) | Self::Denied(_) => "forbidden",
            Self::Csrf => "csrf",
            Self::NotFound => "not_found",
            Self::BadRequest { .. } => "bad_request",
            Self::Invalid(_) => "validation_failed",
            Self::Conflict(_) => "conflict",
            Self::Sheet(_) => "bad_file",
            Self::TooManyRequests | Self::PublicTooFrequent => "too_many_requests",
            Self::PasswordChangeRequired => "password_change_required",
            Self::BadToken(_) => "invalid_token",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// The message shown to the user; for validation errors, the first field's message.
    pub fn message(&self) -> String {
        match self {
            Self::Invalid(errs) => errs
                .first()
                .map(|e| format!("{}：{}", e.field.label(), e.message))
                .unwrap_or_else(|| self.to_string()),
            other => other.to_string(),
        }
    }

    pub fn field(&self) -> Option<String> {
        match self {
            Self::BadRequest { field, .. } => field.clone(),
            Self::Invalid(errs) => errs.first().map(|e| e.field.key().to_string()),
            _ => None,
        }
    }

    /// The JSON body of API errors: `{"code", "message", "field"?, "errors"?}`.
    pub fn json_body(&self) -> ApiErrorBody {
        ApiErrorBody {
            code: self.code(),
            message: self.message(),
            field: self.field(),
            errors: match self {
                Self::Invalid(errs) => Some(
                    errs.iter()
                        .map(|e| ApiFieldError {
                            field: e.field.key().to_string(),
                            message: e.message.clone(),
                        })
                        .collect(),
                ),
                _ => None,
            },
        }
    }

    fn log(&self) {
        if let Self::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ApiFieldError>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiFieldError {
    pub field: String,
    pub message: String,
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::Invalid(m) => Self::BadRequest {
                field: None,
                message: m,
            },
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<ActionError> for AppError {
    fn from(e: ActionError) -> Self {
        match e {
            ActionError::NotFound => Self::NotFound,
            ActionError::Forbidden(m) => Self::Denied(m),
            ActionError::Conflict(m) => Self::Conflict(m),
            ActionError::Invalid { field, message } => Self::BadRequest { field, message },
            ActionError::Fields(errs) => Self::Invalid(errs),
            ActionError::Internal(m) => Self::Internal(m),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(format!("template: {e}"))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Internal(format!("task: {e}"))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: String,
    signed_in: bool,
}

/// An error rendered as an HTML page (or fragment for htmx).
pub struct HtmlError(pub AppError);

impl From<AppError> for HtmlError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

macro_rules! html_error_from {
    ($($t:ty),*) => {
        $(impl From<$t> for HtmlError {
            fn from(e: $t) -> Self {
                Self(e.into())
            }
        })*
    };
}
html_error_from!(
    StoreError,
    ActionError,
    askama::Error,
    SheetError,
    tokio::task::JoinError
);

impl IntoResponse for HtmlError {
    fn into_response(self) -> Response {
        let e = self.0;
        e.log();
        let to = match e {
            AppError::Unauthenticated => Some("/login"),
            AppError::PasswordChangeRequired => Some("/account/password"),
            _ => None,
        };
        if let Some(to) = to {
            // htmx follows HX-Redirect; a plain browser request follows Location.
            let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
            r.headers_mut()
                .insert("HX-Redirect", HeaderValue::from_static(to));
            return r;
        }
        error_page(e.status(), e.message())
    }
}

/// The error page with `status` and its code as the page names it.
pub fn error_page(status: StatusCode, message: String) -> Response {
    let title = match status {
        StatusCode::FORBIDDEN => "无权访问",
        StatusCode::TOO_MANY_REQUESTS => "请求过于频繁",
        StatusCode::LOCKED => "账户已锁定",
        StatusCode::NOT_FOUND => "未找到",
        StatusCode::REQUEST_TIMEOUT => "请求超时",
        StatusCode::INTERNAL_SERVER_ERROR => "系统错误",
        _ => "请求有误",
    };
    let page = ErrorPage {
        status: status.as_u16(),
        title,
        message: message.clone(),
        signed_in: true,
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, message).into_response(),
    }
}

impl IntoResponse for AppError {
    /// API errors are JSON.
    fn into_response(self) -> Response {
        self.log();
        let mut r = (self.status(), axum::Json(self.json_body())).into_response();
        if matches!(self, Self::BadToken(_)) {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"anbiao\""),
            );
        }
        r
    }
}
