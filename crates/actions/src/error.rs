//! The action layer's one error type. The web layer maps it to a status once.

use anbiao_domain::FieldError;
use anbiao_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ActionError {
    /// Not there, or outside the actor's scope: the two are not told apart.
    #[error("未找到该记录，或不在您的管辖范围内")]
    NotFound,
    /// The actor's role, party or relation to the record does not allow the action.
    #[error("{0}")]
    Forbidden(String),
    /// The record's state does not allow the action now.
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    #[error("提交的信息有误")]
    Fields(Vec<FieldError>),
    #[error("系统内部错误")]
    Internal(String),
}

/// Refuses a free text longer than `max` characters, on `field`, naming `what`.
pub fn within(field: &str, what: &str, s: &str, max: usize) -> Result<(), ActionError> {
    match anbiao_domain::text::over_limit(what, s, max) {
        Some(m) => Err(ActionError::bad(field, m)),
        None => Ok(()),
    }
}

impl ActionError {
    pub fn bad(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }
}

impl ActionError {
    /// A refusal of the input without a field, as one on `field` (the form shows it there).
    pub fn at(self, field: &str) -> Self {
        match self {
            Self::Invalid {
                field: None,
                message,
            } => Self::Invalid {
                field: Some(field.to_string()),
                message,
            },
            other => other,
        }
    }
}

impl From<StoreError> for ActionError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(m) => Self::Conflict(m),
            StoreError::Invalid(m) => Self::Invalid {
                field: None,
                message: m,
            },
            other => Self::Internal(other.to_string()),
        }
    }
}
