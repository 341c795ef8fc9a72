//! The printable certificate: an A4 PDF for the enterprise and the officers who may see it.

use axum::extract::{Path, State};
use axum::response::Response;

use anbiao_domain::Grade;
use anbiao_domain::certificate::CertificateStatus;
use anbiao_domain::date::{format_date_cn, parse_date};
use anbiao_print::{CertificateSheet, certificate_pdf};
use anbiao_store::certificate;

use crate::auth::CurrentUser;
use crate::error::{AppError, HtmlError};
use crate::{AppState, export};

/// `GET /certificates/{id}/pdf`
pub async fn pdf(
    State(state): State<AppState>,
    u: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, HtmlError> {
    let (c, e) = state
        .ctx(&u.acting("page"))
        .certificate_with_holder(id)
        .await?;
    let font = state.font()?;
    let sheet = sheet_for(&state, &c, &e.name, &e.credit_code)?;
    let font = font.clone();
    let bytes = tokio::task::spawn_blocking(move || certificate_pdf(&font, &sheet))
        .await?
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    Ok(export::download(
        bytes,
        "application/pdf",
        &format!("certificate-{}.pdf", c.id),
        &format!("安全生产标准化证书-{}.pdf", c.number),
    ))
}

/// What the certificate prints, in words.
fn sheet_for(
    state: &AppState,
    c: &certificate::Certificate,
    name: &str,
    credit_code: &str,
) -> Result<CertificateSheet, AppError> {
    let grade = c.grade().ok_or(AppError::NotFound)?;
    let industry = state
        .reference
        .industries
        .get(&c.industry)
        .map(|i| i.name.clone())
        .unwrap_or_default();
    let with_industry = |s: &str| {
        if industry.is_empty() {
            s.to_string()
        } else {
            format!("{s}（{industry}）")
        }
    };
    let (headline, statement) = match grade {
        Grade::SmallMicro => (
            with_industry("小微企业"),
            "经评定，该单位达到安全生产标准化小微企业要求，特发此证。".to_string(),
        ),
        g => {
            let level = format!("{}企业", g.label());
            (
                with_industry(&level),
                format!("经评审，该单位符合安全生产标准化{level}要求，特发此证。"),
            )
        }
    };
    let cn = |s: &str| {
        parse_date(s)
            .map(format_date_cn)
            .unwrap_or_else(|| s.to_string())
    };
    let status_note = match c.status_on(state.today()) {
        CertificateStatus::Valid | CertificateStatus::Pending => None,
        CertificateStatus::Expired => Some(format!("本证书已于 {} 期满失效", cn(&c.valid_until))),
        CertificateStatus::Revoked => Some(format!(
            "本证书已于 {} 撤销",
            cn(c.revoked_on.as_deref().unwrap_or_default())
        )),
        CertificateStatus::Superseded => Some(format!(
            "本证书已于 {} 被新证书替代",
            cn(c.superseded_on.as_deref().unwrap_or_default())
        )),
    };
    Ok(CertificateSheet {
        headline,
        enterprise_name: name.to_string(),
        credit_code: credit_code.to_string(),
        statement,
        number: c.number.clone(),
        validity: format!("{}至{}", cn(&c.valid_from), cn(&c.valid_until)),
        issuer: c.issuer.clone(),
        issued_on: cn(&c.issued_on),
        verify_url: format!("{}/verify/{}", public_base(state)?, c.verify_token),
        status_note,
    })
}

/// The portal's address as configured (`--public-url`). Without it there is no address the
/// public can be sent to: the request's Host is whatever the client wrote, and a certificate's
/// QR code must not carry it.
pub(crate) fn public_base(state: &AppState) -> Result<String, AppError> {
    state
        .config
        .public_url
        .as_deref()
        .map(|u| u.trim_end_matches('/').to_string())
        .ok_or_else(|| {
            AppError::Unavailable(
                "系统未配置公开访问地址（启动参数 --public-url），无法生成证书或风险告知卡上的二维码，请联系系统管理员"
                    .into(),
            )
        })
}
