//! An enterprise's standing: its certificates with their status today, its accidents, the
//! proposals the rules make after an accident, and revocation with reasons by an officer.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use anbiao_domain::Permission;
use anbiao_domain::date::parse_date;
use anbiao_domain::rules::Accident;

use crate::AppState;
use crate::auth::{CurrentUser, PageUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::{Layout, redirect, show_refusal};

pub struct CertLine {
    pub id: i64,
    pub number: String,
    pub grade: &'static str,
    pub issuer: String,
    pub valid: String,
    pub status: &'static str,
    pub live: bool,
    pub revoked: String,
    pub token: String,
    /// When renewal may be applied for, by the rules that set the validity.
    pub renewal: String,
    /// The rule that opens renewal, in words with its page.
    pub renewal_rule: Option<crate::pages::rules::RuleRef>,
    /// Annual self-assessments: submitted and missing years.
    pub annual: String,
    pub annual_missing: bool,
    /// Years the enterprise may submit now.
    pub annual_years: Vec<i64>,
    /// What the rules propose after the enterprise's accidents, with the rule.
    pub proposal: Option<(String, String)>,
}

pub struct AccidentLine {
    pub on: String,
    pub deaths: i64,
    pub serious: i64,
    pub loss_wan: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "enterprises/standing.html")]
struct StandingPage {
    book: crate::pages::rules::Book,
    layout: Layout,
    id: i64,
    name: String,
    certs: Vec<CertLine>,
    accidents: Vec<AccidentLine>,
    audits: Vec<anbiao_store::audits::Audit>,
    can_view_audits: bool,
    can_record: bool,
    can_revoke: bool,
    can_annual: bool,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    u: &CurrentUser,
    id: i64,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let standing = state.ctx(&actor).standing(id).await?;
    let e = standing.enterprise;
    let rows = standing.accidents;
    let accidents: Vec<Accident> = rows.iter().filter_map(|a| a.accident()).collect();
    let on = state.today();
    let mut annuals = std::collections::HashMap::new();
    let mut rows_c = Vec::new();
    for (c, years) in standing.certificates {
        annuals.insert(c.id, years);
        rows_c.push(c);
    }
    let certs = rows_c
        .into_iter()
        .map(|c| {
            let status = c.status_on(on);
            let live = status == anbiao_domain::certificate::CertificateStatus::Valid;
            let from = parse_date(&c.valid_from).unwrap_or(on);
            // The latest accident during the certificate's life that the rules act on.
            let proposal = if live {
                accidents
                    .iter()
                    .rev()
                    .filter(|a| a.occurred_on >= from)
                    .find_map(|a| {
                        let set = state.reference.grading.in_force(a.occurred_on).ok()?;
                        let p = set.proposal_after(c.grade()?, a, &accidents)?;
                        Some((
                            format!("{}：{}", p.value.action.label(), p.value.reason),
                            p.rule.to_string(),
                        ))
                    })
            } else {
                None
            };
            let until = parse_date(&c.valid_until).unwrap_or(on);
            let (renewal, renewal_rule) = match state.reference.grading.in_force(from) {
                Ok(set) if live => {
                    let opens = set.renewal_opens(until);
                    let rule = crate::pages::rules::Book::of(state).cite(&opens.rule.to_string());
                    let words = if on >= opens.value {
                        format!(
                            "已进入复评申请期（{} 起）",
                            anbiao_domain::date::format_date(opens.value)
                        )
                    } else {
                        format!(
                            "复评申请自 {} 起",
                            anbiao_domain::date::format_date(opens.value)
                        )
                    };
                    (words, Some(rule))
                }
                _ => (String::new(), None),
            };
            let done = annuals.get(&c.id).cloned().unwrap_or_default();
            let due = if live {
                anbiao_domain::certificate::annual_years_due(from, until, on)
            } else {
                Vec::new()
            };
            let mut parts = Vec::new();
            let mut missing = Vec::new();
            for y in 1..=due
                .last()
                .copied()
                .unwrap_or(0)
                .max(done.iter().map(|a| a.validity_year).max().unwrap_or(0))
            {
                match done.iter().find(|a| a.validity_year == y) {
                    Some(a) => parts.push(format!(
                        "第{y}年已提交（{} 分）",
                        anbiao_domain::scoring::Percent(a.score)
                    )),
                    None if due.contains(&y) => {
                        parts.push(format!("第{y}年缺失"));
                        missing.push(y);
                    }
                    None => {}
                }
            }
            let next = due.last().copied().unwrap_or(0) + 1;
            let mut annual_years = missing.clone();
            if live
                && !done.iter().any(|a| a.validity_year == next)
                && parse_date(&c.valid_until).is_some_and(|u| state.today() <= u)
            {
                annual_years.push(next);
            }
            CertLine {
                id: c.id,
                renewal,
                renewal_rule,
                annual: parts.join("；"),
                annual_missing: !missing.is_empty(),
                annual_years,
                grade: c.grade().map(|g| g.label()).unwrap_or(""),
                issuer: c.issuer.clone(),
                valid: format!("{} 至 {}", c.valid_from, c.valid_until),
                status: status.label(),
                live,
                revoked: c
                    .revoked_on
                    .as_deref()
                    .map(|d| format!("{d} 撤销：{}", c.revoked_reason.clone().unwrap_or_default()))
                    .unwrap_or_default(),
                token: c.verify_token.clone(),
                number: c.number,
                proposal,
            }
        })
        .collect();
    let audits = standing.audits;
    let accidents = rows
        .into_iter()
        .map(|a| AccidentLine {
            on: a.occurred_on,
            deaths: a.deaths,
            serious: a.serious_injuries,
            loss_wan: format!("{:.1}", a.direct_loss_yuan as f64 / 10_000.0),
            description: a.description,
        })
        .collect();
    Ok(Html(
        StandingPage {
            book: crate::pages::rules::Book::of(state),
            layout: Layout::new(u, state, "enterprises"),
            id,
            name: e.name,
            certs,
            accidents,
            audits,
            can_view_audits: u.can(Permission::ViewProgrammes),
            can_record: u.can(Permission::RecordAccidents),
            can_revoke: u.can(Permission::RevokeCertificates),
            can_annual: matches!(u.scope, anbiao_domain::Scope::Enterprise { .. }),
            error,
        }
        .render()?,
    ))
}

fn parse_id(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().map_err(|_| AppError::NotFound)
}

pub async fn page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<String>,
) -> Result<Html<String>, HtmlError> {
    render(&state, &u, parse_id(&id)?, None).await
}

#[derive(Deserialize)]
pub struct AccidentInput {
    #[serde(default)]
    occurred_on: String,
    #[serde(default)]
    deaths: String,
    #[serde(default)]
    serious_injuries: String,
    #[serde(default)]
    direct_loss_wan: String,
    #[serde(default)]
    description: String,
}

fn count(field: &str, label: &str, v: &str) -> Result<u32, AppError> {
    let v = anbiao_domain::text::clean(v);
    if v.is_empty() {
        return Ok(0);
    }
    v.parse::<u32>()
        .ok()
        .filter(|n| *n <= 10_000)
        .ok_or_else(|| AppError::bad(field, format!("{label}“{v}”应为不小于0的整数")))
}

pub async fn record_accident(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<AccidentInput>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let parsed = (|| {
        let on = parse_date(&input.occurred_on)
            .ok_or_else(|| AppError::bad("occurred_on", "请填写事故日期（如 2019-05-01）"))?;
        if on > state.today() {
            return Err(AppError::bad("occurred_on", "事故日期不能晚于今天"));
        }
        let loss = if input.direct_loss_wan.trim().is_empty() {
            0
        } else {
            anbiao_domain::number::parse_wan_to_yuan(&input.direct_loss_wan)
                .map_err(|m| AppError::bad("direct_loss_wan", format!("直接经济损失{m}")))?
        };
        Ok(Accident {
            occurred_on: on,
            deaths: count("deaths", "死亡人数", &input.deaths)?,
            serious_injuries: count("serious_injuries", "重伤人数", &input.serious_injuries)?,
            direct_loss_yuan: loss,
        })
    })();
    let actor = u.acting("form");
    let result = match parsed {
        Ok(a) => state
            .ctx(&actor)
            .record_accident(id, &a, &input.description)
            .await
            .map(|_| ())
            .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(redirect(
            &format!("/enterprises/{id}/standing"),
            is_htmx(&headers),
        )),
        Err(AppError::BadRequest { message, .. }) => {
            let page = render(&state, &u, id, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RevokeInput {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    on: String,
}

/// An officer confirms a revocation with reasons (usually what the rules proposed).
pub async fn revoke(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<RevokeInput>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let actor = u.acting("form");
    let cx = state.ctx(&actor);
    let c = cx.certificate(id).await?;
    let on = match input.on.trim() {
        "" => state.today(),
        v => match parse_date(v) {
            Some(d) => d,
            None => {
                let page = render(
                    &state,
                    &u,
                    c.enterprise_id,
                    Some(format!("撤销日期“{v}”不是有效日期（格式 2019-03-01）")),
                )
                .await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
        },
    };
    let rule = anbiao_domain::rules::RuleRef::parse(&input.rule).map(|r| r.to_string());
    match cx.revoke(id, on, &input.reason, rule.as_deref()).await {
        Ok(enterprise_id) => Ok(redirect(
            &format!("/enterprises/{enterprise_id}/standing"),
            is_htmx(&headers),
        )),
        Err(
            e @ (anbiao_actions::ActionError::Invalid { .. }
            | anbiao_actions::ActionError::Conflict(_)),
        ) => {
            let page = render(&state, &u, c.enterprise_id, Some(e.to_string())).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

#[derive(Deserialize)]
pub struct AnnualForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    score: String,
    #[serde(default)]
    report: String,
}

/// The enterprise submits its annual self-assessment for a certificate.
pub async fn submit_annual(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<AnnualForm>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    // The enterprise's own step: refused to any other party before the input is looked at.
    let actor = u.acting("form");
    let cx = state.ctx(&actor);
    let enterprise_id = cx.annual_may(id).await?;
    let parsed = (|| {
        let year = input
            .year
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::bad("year", "请选择有效期年度"))?;
        let score = anbiao_domain::standard::Points::parse(&input.score)
            .filter(|p| p.0 <= 1000)
            .map(|p| anbiao_domain::scoring::Percent(p.0))
            .ok_or_else(|| {
                AppError::bad(
                    "score",
                    format!("自评得分“{}”应为 0 至 100 的数，最多一位小数", input.score),
                )
            })?;
        Ok((year, score))
    })();
    let result = match parsed {
        Err(e) => Err(e),
        Ok((year, score)) => cx
            .submit_annual(id, year, score, &input.report)
            .await
            .map_err(AppError::from),
    };
    match result {
        Ok(()) => Ok(redirect(
            &format!("/enterprises/{enterprise_id}/standing"),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e, |m| render(&state, &u, enterprise_id, Some(m))).await,
    }
}

pub struct MissingRow {
    pub enterprise_id: i64,
    pub enterprise: String,
    pub number: String,
    pub grade: &'static str,
    pub valid: String,
    pub missing: String,
}

#[derive(Template)]
#[template(path = "enterprises/annual_missing.html")]
struct MissingPage {
    layout: Layout,
    rows: Vec<MissingRow>,
    pager: crate::pager::Pager,
}

/// Valid certificates whose annual self-assessment is missing, within the officer's scope.
pub async fn annual_missing(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<crate::pager::PageQuery>,
) -> Result<Html<String>, HtmlError> {
    let mut rows = Vec::new();
    let actor = u.acting("page");
    let req = q.req();
    let mut page = state.ctx(&actor).annual_missing(req).await?;
    let pager = crate::pager::Pager::new("/certificates/annual-missing", &[], &page);
    for (c, years, name) in std::mem::take(&mut page.rows) {
        rows.push(MissingRow {
            enterprise_id: c.enterprise_id,
            enterprise: name,
            grade: c.grade().map(|g| g.label()).unwrap_or(""),
            valid: format!("{} 至 {}", c.valid_from, c.valid_until),
            missing: years
                .iter()
                .map(|y| format!("第{y}年"))
                .collect::<Vec<_>>()
                .join("、"),
            number: c.number,
        });
    }
    Ok(Html(
        MissingPage {
            layout: Layout::new(&u, &state, "cases"),
            rows,
            pager,
        }
        .render()?,
    ))
}

pub struct ExpiringRow {
    pub enterprise_id: i64,
    pub enterprise: String,
    pub number: String,
    pub grade: &'static str,
    pub valid_until: String,
    /// Days left, in words (今天到期, 还有 12 天).
    pub left: String,
    pub soon: bool,
}

#[derive(Template)]
#[template(path = "enterprises/expiring.html")]
struct ExpiringPage {
    layout: Layout,
    rows: Vec<ExpiringRow>,
    pager: crate::pager::Pager,
    days: i64,
}

/// `GET /certificates/expiring`: certificates in force within the officer's scope that expire
/// within the workbench's warning period, the soonest first.
pub async fn expiring(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<crate::pager::PageQuery>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let req = q.req();
    let mut page = cx.expiring_certificates(req).await?;
    let pager = crate::pager::Pager::new("/certificates/expiring", &[], &page);
    let today = cx.on;
    let rows = std::mem::take(&mut page.rows)
        .into_iter()
        .map(|(c, name)| {
            let left = parse_date(&c.valid_until).map(|d| (d - today).whole_days());
            ExpiringRow {
                enterprise_id: c.enterprise_id,
                enterprise: name,
                grade: c.grade().map(|g| g.label()).unwrap_or(""),
                valid_until: c.valid_until.clone(),
                left: match left {
                    Some(0) => "今天到期".into(),
                    Some(n) => format!("还有 {n} 天"),
                    None => String::new(),
                },
                soon: left.is_some_and(|n| n <= 30),
                number: c.number,
            }
        })
        .collect();
    Ok(Html(
        ExpiringPage {
            layout: Layout::new(&u, &state, "cases"),
            rows,
            pager,
            days: anbiao_actions::workbench::EXPIRY_WARNING_DAYS,
        }
        .render()?,
    ))
}

/// A certificate's cells in an export: the enterprise, the number as text, the grade, and its
/// days of validity as dates.
fn certificate_cells(
    c: &anbiao_store::certificate::Certificate,
    name: String,
) -> Vec<anbiao_sheets::XCell> {
    use anbiao_sheets::XCell;
    vec![
        XCell::Text(name),
        XCell::Text(c.number.clone()),
        XCell::Text(c.grade().map(|g| g.label()).unwrap_or("").into()),
        crate::export::day_cell(&c.valid_from),
        crate::export::day_cell(&c.valid_until),
    ]
}

/// `GET /certificates/expiring.xlsx`: the whole list of certificates expiring within the
/// warning period, days as dates, numbers as text.
pub async fn expiring_xlsx(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> Result<Response, HtmlError> {
    let actor = u.acting("export");
    let cx = state.ctx(&actor);
    let all = anbiao_actions::exports::whole_list(|req| cx.expiring_certificates(req)).await?;
    let rows = all
        .into_iter()
        .map(|(c, name)| certificate_cells(&c, name))
        .collect();
    Ok(crate::export::list_xlsx(
        "即将到期的证书",
        "expiring-certificates.xlsx",
        &u.user.display_name,
        cx.on,
        &["企业名称", "证书编号", "等级", "有效期起", "有效期至"],
        rows,
    )
    .await?)
}

/// `GET /certificates/annual-missing.xlsx`: the whole list of certificates missing an annual
/// self-assessment, with the years missing.
pub async fn annual_missing_xlsx(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> Result<Response, HtmlError> {
    use anbiao_sheets::XCell;
    let actor = u.acting("export");
    let cx = state.ctx(&actor);
    let all = anbiao_actions::exports::whole_list(|req| cx.annual_missing(req)).await?;
    let rows = all
        .into_iter()
        .map(|(c, years, name)| {
            let mut cells = certificate_cells(&c, name);
            cells.push(XCell::Text(
                years
                    .iter()
                    .map(|y| format!("第{y}年"))
                    .collect::<Vec<_>>()
                    .join("、"),
            ));
            cells
        })
        .collect();
    Ok(crate::export::list_xlsx(
        "年度自评缺失",
        "annual-missing.xlsx",
        &u.user.display_name,
        cx.on,
        &[
            "企业名称",
            "证书编号",
            "等级",
            "有效期起",
            "有效期至",
            "缺失年度",
        ],
        rows,
    )
    .await?)
}
