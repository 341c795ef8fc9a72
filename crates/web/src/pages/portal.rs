//! The public portal (no sign-in): certificate lookup, the verification page a certificate's
//! QR code opens, current public notices with the objection form, and announcements.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use anbiao_actions::portal;
use anbiao_domain::Grade;
use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::lifecycle::Action;
use anbiao_store::certificate::PublicCertificate;

use crate::AppState;
use crate::auth::ClientAddr;
use crate::error::{AppError, HtmlError};
use crate::limit::Verdict;
use crate::views::region_name;

pub struct CertRow {
    pub number: String,
    pub name: String,
    pub credit_code: String,
    pub grade: &'static str,
    pub issuer: String,
    pub valid_from: String,
    pub valid_until: String,
    pub revoked_on: Option<String>,
    pub superseded_on: Option<String>,
    pub status: &'static str,
    pub valid: bool,
    pub token: String,
}

impl CertRow {
    fn new(c: PublicCertificate, on: time::Date) -> Self {
        let d = |s: &str| parse_date(s).unwrap_or(on);
        let status = anbiao_domain::certificate::status_on(
            on,
            d(&c.valid_from),
            d(&c.valid_until),
            c.revoked_on.as_deref().and_then(parse_date),
            c.superseded_on.as_deref().and_then(parse_date),
        );
        Self {
            number: c.number,
            name: c.enterprise_name,
            credit_code: c.credit_code,
            grade: Grade::parse(&c.grade).map(|g| g.label()).unwrap_or(""),
            issuer: c.issuer,
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            revoked_on: c.revoked_on,
            superseded_on: c.superseded_on,
            status: status.label(),
            valid: status == anbiao_domain::certificate::CertificateStatus::Valid,
            token: c.verify_token,
        }
    }
}

/// One line of a section of the portal's home: its date, its words and where it opens.
pub struct HomeLine {
    pub day: String,
    pub text: String,
    pub link: String,
}

/// The portal's home below the lookup: what the bureau has published lately.
#[derive(Default)]
pub struct Home {
    pub notices: Vec<HomeLine>,
    pub notices_total: usize,
    pub announcements: Vec<HomeLine>,
    pub bulletins: Vec<HomeLine>,
    pub warnings: Vec<HomeLine>,
    pub rectification: Vec<HomeLine>,
    /// The list's length in words (12, 超过 10000), empty when it is empty.
    pub rectification_total: String,
    pub draws: Vec<HomeLine>,
}

/// Lines on the home per section.
const HOME_LINES: usize = 5;

async fn home(state: &AppState) -> Result<Home, HtmlError> {
    let notices = portal::notices(&state.db).await?;
    let announcements = portal::announcements(&state.db, HOME_LINES as i64).await?;
    let bulletins = portal::bulletins(&state.db).await?;
    let warnings = state
        .ctx(&anbiao_actions::Actor::public(""))
        .warnings(HOME_LINES as i64)
        .await?;
    let since = rectification_since(state);
    let rectification = portal::rectification(
        &state.db,
        since,
        anbiao_store::paging::PageReq {
            page: 1,
            size: HOME_LINES as u32,
        },
    )
    .await?;
    let draws = portal::draws(&state.db, 3).await?;
    let grade = |g: &str| Grade::parse(g).map(|g| g.label()).unwrap_or("");
    Ok(Home {
        notices_total: notices.len(),
        notices: notices
            .into_iter()
            .rev()
            .take(HOME_LINES)
            .map(|n| HomeLine {
                day: time::OffsetDateTime::from_unix_timestamp(n.started_us / 1_000_000)
                    .map(|t| format_date(t.date()))
                    .unwrap_or_default(),
                text: format!(
                    "{}（{}，{}）",
                    n.enterprise_name,
                    crate::views::region_name(&state.reference, &n.region_code),
                    grade(n.result_grade.as_deref().unwrap_or(&n.grade))
                ),
                link: "/portal/notices".into(),
            })
            .collect(),
        announcements: announcements
            .into_iter()
            .map(|(day, c)| HomeLine {
                day,
                text: format!("{} 获评{}", c.enterprise_name, grade(&c.grade)),
                link: format!("/verify/{}", c.verify_token),
            })
            .collect(),
        bulletins: bulletins
            .into_iter()
            .take(HOME_LINES)
            .map(|b| HomeLine {
                day: b.published_on.clone().unwrap_or_default(),
                text: b.title,
                link: format!("/portal/bulletins/{}", b.id),
            })
            .collect(),
        warnings: warnings
            .into_iter()
            .map(|w| HomeLine {
                day: w.published_on.clone().unwrap_or_default(),
                text: w.title,
                link: format!("/portal/warnings/{}", w.id),
            })
            .collect(),
        rectification_total: match rectification.total {
            anbiao_store::paging::Total::Exact(0) => String::new(),
            anbiao_store::paging::Total::Exact(n) => n.to_string(),
            anbiao_store::paging::Total::MoreThan(n) => format!("超过 {n}"),
        },
        rectification: rectification
            .rows
            .into_iter()
            .map(|r| HomeLine {
                day: r.performed_on,
                text: format!(
                    "{}（{}）{}",
                    r.name,
                    crate::views::region_name(&state.reference, &r.region_code),
                    if r.classification == "eliminate" {
                        "：淘汰"
                    } else {
                        "：整改"
                    }
                ),
                link: "/portal/rectification".into(),
            })
            .collect(),
        draws: draws
            .into_iter()
            .map(|p| HomeLine {
                day: p.published_on.clone().unwrap_or_default(),
                text: format!(
                    "{} {} 年度双随机抽查结果",
                    crate::pages::inspection_plans::plan_unit_name(state, &p),
                    p.year
                ),
                link: format!("/portal/inspections/{}", p.id),
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "portal/lookup.html")]
struct LookupPage {
    nav: &'static str,
    site: crate::pages::portal::Site,
    q: String,
    rows: Vec<CertRow>,
    home: Home,
}

#[derive(Deserialize)]
pub struct LookupQuery {
    #[serde(default)]
    q: String,
}

pub async fn lookup(
    State(state): State<AppState>,
    Query(query): Query<LookupQuery>,
) -> Result<Html<String>, HtmlError> {
    let (q, found) = portal::search(&state.db, &query.q, 50).await?;
    let home = if query.q.trim().is_empty() {
        home(&state).await?
    } else {
        Home::default()
    };
    let rows = found
        .into_iter()
        .map(|c| CertRow::new(c, state.today()))
        .collect();
    Ok(Html(
        LookupPage {
            nav: "lookup",
            site: crate::pages::portal::Site::of(&state),
            q,
            rows,
            home,
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "portal/verify.html")]
struct VerifyPage {
    nav: &'static str,
    site: crate::pages::portal::Site,
    c: Option<CertRow>,
    today: String,
}

pub async fn verify(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, HtmlError> {
    let found = portal::verify(&state.db, &token).await?;
    let status = if found.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let page = VerifyPage {
        nav: "lookup",
        site: crate::pages::portal::Site::of(&state),
        c: found.map(|c| CertRow::new(c, state.today())),
        today: format_date(state.today()),
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub struct NoticeRow {
    pub case_id: i64,
    pub name: String,
    pub region: String,
    pub grade: &'static str,
    pub ends: String,
}

#[derive(Template)]
#[template(path = "portal/notices.html")]
struct NoticesPage {
    nav: &'static str,
    site: crate::pages::portal::Site,
    rows: Vec<NoticeRow>,
    notice: Option<String>,
    error: Option<String>,
}

async fn render_notices(
    state: &AppState,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let on = state.today();
    let set = state.reference.grading.in_force(on).ok();
    let rows = portal::notices(&state.db)
        .await?
        .into_iter()
        .map(|n| {
            let start = time::OffsetDateTime::from_unix_timestamp(n.started_us / 1_000_000)
                .map(|t| t.date())
                .unwrap_or(on);
            let ends = set
                .map(|s| format_date(s.notice_ends(start).value))
                .unwrap_or_default();
            let grade = n
                .result_grade
                .as_deref()
                .or(Some(n.grade.as_str()))
                .and_then(Grade::parse)
                .map(|g| g.label())
                .unwrap_or("");
            NoticeRow {
                case_id: n.case_id,
                name: n.enterprise_name,
                region: region_name(&state.reference, &n.region_code),
                grade,
                ends,
            }
        })
        .collect();
    Ok(Html(
        NoticesPage {
            nav: "notices",
            site: crate::pages::portal::Site::of(state),
            rows,
            notice,
            error,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
pub struct NoticesQuery {
    #[serde(default)]
    registered: Option<String>,
}

/// `GET /portal/notices`; after an objection (`?registered=1`) with what happens next.
pub async fn notices(
    State(state): State<AppState>,
    Query(q): Query<NoticesQuery>,
) -> Result<Html<String>, HtmlError> {
    let registered = q.registered.is_some().then(|| {
        "异议已登记，已转负责定级的监管部门核实。决定受理的，该企业的定级公示暂停直至异议处理完毕；处理结果将通过您留下的联系方式告知。"
            .to_string()
    });
    render_notices(&state, registered, None).await
}

#[derive(Deserialize)]
pub struct ObjectionInput {
    #[serde(default)]
    name: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    reason: String,
}

/// A member of the public objects to a case in notice: the objection is recorded and the
/// officers notified; the notice is held only when the grader takes the objection up.
pub async fn object(
    State(state): State<AppState>,
    Extension(client): Extension<ClientAddr>,
    Path(case_id): Path<String>,
    Form(input): Form<ObjectionInput>,
) -> Result<Response, HtmlError> {
    let case_id = case_id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let clean = |s: &str| anbiao_domain::text::clean(s);
    let (name, contact, reason) = (
        clean(&input.name),
        clean(&input.contact),
        clean(&input.reason),
    );
    if name.is_empty() || contact.is_empty() || reason.chars().count() < 5 {
        return refused(
            &state,
            "请填写姓名或单位、联系电话，并说明异议的事实和理由（至少5个字）",
        )
        .await;
    }
    // Too long is said, not cut: the objector's words are kept as written or not at all.
    for (text, label, max) in [
        (&name, "姓名或单位", 50),
        (&contact, "联系电话", 30),
        (&reason, "异议事实和理由", 500),
    ] {
        if text.chars().count() > max {
            return refused(&state, &format!("{label}不能超过 {max} 个字")).await;
        }
    }
    // A number the bureau can call back: a mobile or a fixed line, with an extension if any.
    let digits = contact.chars().filter(char::is_ascii_digit).count();
    if digits < 7
        || !contact
            .chars()
            .all(|c| c.is_ascii_digit() || " -+()（）转".contains(c))
    {
        return refused(
            &state,
            "联系电话应为手机号码或固定电话（如 13800000000 或 0513-81234567）",
        )
        .await;
    }
    if let Verdict::Refused { .. } = state.sign_in_limiter.attempt(&client.0) {
        return Err(AppError::TooManyRequests.into());
    }
    let mut actor = anbiao_actions::Actor::public(&client.0);
    actor.audit.username = format!("公众：{name}");
    let why = anbiao_actions::grading::objection_text(&name, &contact, &reason);
    let ctx = state.ctx(&actor);
    match ctx
        .act(case_id, Action::Object, Some(&why))
        .await
        .map_err(AppError::from)
    {
        // Post, redirect, get: reloading the page does not send the objection again.
        Ok(_) => Ok(super::redirect("/portal/notices?registered=1", false)),
        Err(AppError::NotFound) => Err(AppError::NotFound.into()),
        Err(AppError::Conflict(message)) if message.contains("请勿重复提交") => {
            refused(&state, &message).await
        }
        Err(AppError::BadRequest { .. } | AppError::Conflict(_)) => {
            refused(&state, "该企业目前不在公示期，无法提出异议").await
        }
        Err(e) => Err(e.into()),
    }
}

async fn refused(state: &AppState, msg: &str) -> Result<Response, HtmlError> {
    let page = render_notices(state, None, Some(msg.to_string())).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

pub struct AnnouncementRow {
    pub issued_on: String,
    pub name: String,
    pub grade: &'static str,
    pub number: String,
    pub issuer: String,
    pub valid_until: String,
    pub token: String,
}

#[derive(Template)]
#[template(path = "portal/announcements.html")]
struct AnnouncementsPage {
    nav: &'static str,
    site: crate::pages::portal::Site,
    rows: Vec<AnnouncementRow>,
    pager: crate::pager::Pager,
}

pub async fn announcements(
    State(state): State<AppState>,
    Query(q): Query<crate::pager::PageQuery>,
) -> Result<Html<String>, HtmlError> {
    let page = portal::announcements_page(&state.db, q.req())
        .await?
        .map(|a| AnnouncementRow {
            issued_on: a.issued_on,
            name: a.c.enterprise_name,
            grade: Grade::parse(&a.c.grade).map(|g| g.label()).unwrap_or(""),
            number: a.c.number,
            issuer: a.c.issuer,
            valid_until: a.c.valid_until,
            token: a.c.verify_token,
        });
    let pager = crate::pager::Pager::new("/portal/announcements", &[], &page);
    Ok(Html(
        AnnouncementsPage {
            nav: "announcements",
            site: crate::pages::portal::Site::of(&state),
            rows: page.rows,
            pager,
        }
        .render()?,
    ))
}

pub struct RectificationRow {
    pub name: String,
    pub region: String,
    pub audited_on: String,
    pub rectify_by: String,
    pub class: &'static str,
}

#[derive(Template)]
#[template(path = "portal/rectification.html")]
struct RectificationPage {
    nav: &'static str,
    site: crate::pages::portal::Site,
    rows: Vec<RectificationRow>,
    pager: crate::pager::Pager,
    since: String,
}

/// The day the published rectification list starts: the programme's start, or three years back
/// without a programme.
fn rectification_since(state: &AppState) -> time::Date {
    state
        .reference
        .programmes
        .first()
        .map(|p| p.start)
        .unwrap_or_else(|| state.today() - time::Duration::days(3 * 365))
}

/// `GET /portal/rectification`: enterprises put into 整改提升 after an audit (seed 六（四）2:
/// the list is published), from the programme's start.
pub async fn rectification(
    State(state): State<AppState>,
    Query(q): Query<crate::pager::PageQuery>,
) -> Result<Html<String>, HtmlError> {
    let since = rectification_since(&state);
    let req = q.req();
    let mut page = portal::rectification(&state.db, since, req).await?;
    let pager = crate::pager::Pager::new("/portal/rectification", &[], &page);
    let rows = std::mem::take(&mut page.rows)
        .into_iter()
        .map(|r| RectificationRow {
            name: r.name,
            region: crate::views::region_name(&state.reference, &r.region_code),
            audited_on: r.performed_on,
            rectify_by: r.rectify_by.unwrap_or_default(),
            class: if r.classification == "eliminate" {
                "淘汰（撤销证书）"
            } else {
                "整改"
            },
        })
        .collect();
    Ok(Html(
        RectificationPage {
            nav: "rectification",
            site: crate::pages::portal::Site::of(&state),
            rows,
            pager,
            since: format_date(since),
        }
        .render()?,
    ))
}

/// `GET /portal/rectification.xlsx`: the whole published list, days as dates.
pub async fn rectification_xlsx(State(state): State<AppState>) -> Result<Response, HtmlError> {
    use anbiao_sheets::XCell;
    let since = rectification_since(&state);
    let db = &state.db;
    let all =
        anbiao_actions::exports::whole_list(|req| portal::rectification(db, since, req)).await?;
    let rows = all
        .into_iter()
        .map(|r| {
            vec![
                XCell::Text(r.name),
                XCell::Text(crate::views::region_name(&state.reference, &r.region_code)),
                crate::export::day_cell(&r.performed_on),
                r.rectify_by
                    .as_deref()
                    .map_or(XCell::Empty, crate::export::day_cell),
                XCell::Text(
                    if r.classification == "eliminate" {
                        "淘汰（撤销证书）"
                    } else {
                        "整改"
                    }
                    .into(),
                ),
            ]
        })
        .collect();
    Ok(crate::export::list_xlsx(
        "整改提升企业名单",
        "rectification.xlsx",
        "南通市安全生产标准化公示网站",
        state.today(),
        &["企业名称", "所属地区", "审计日期", "整改期限", "处理"],
        rows,
    )
    .await?)
}

/// What every page of the public site shows beside its content: the bureau's contact, from
/// the server's configuration (`serve --contact`), in the foot of the page.
#[derive(Debug, Clone, Default)]
pub struct Site {
    pub contact: Option<String>,
}

impl Site {
    pub fn of(state: &AppState) -> Self {
        Self {
            contact: state.config.contact.clone(),
        }
    }
}
