//! The administrators' pages. The system administrator keeps accounts (create, enable,
//! disable, unlock, reset password); the security administrator grants roles and regions and
//! issues partner tokens. Neither page shows business data.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use anbiao_actions::tokens::{self, ForPartner};
use anbiao_domain::{Permission, Role};
use anbiao_store::account::{self, AccountChange, User};
use anbiao_store::enterprise;

use crate::AppState;
use crate::auth::{CurrentUser, PageUser, is_htmx};
use crate::error::{AppError, HtmlError};
use crate::pages::account::TokenRow;
use crate::pages::{Layout, Opt, redirect, show_refusal};
use crate::views::{fmt_unix, region_name};

/// An account as the administrators see it.
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub role_label: &'static str,
    pub region: String,
    pub region_code: String,
    pub township: String,
    pub active: bool,
    pub locked: Option<String>,
    pub must_change: bool,
    pub is_self: bool,
    /// An administrator's account: kept with the command line on the server only.
    pub is_admin: bool,
    /// An evaluation-organisation or evaluator account, linked to an organisation.
    pub is_eval: bool,
    pub org_id: String,
}

impl UserRow {
    fn new(state: &AppState, me: i64, u: &User) -> Self {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        Self {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.clone(),
            role_label: u.role().map(|r| r.label()).unwrap_or("未知角色"),
            region: u
                .region_code
                .as_deref()
                .map(|c| region_name(&state.reference, c))
                .unwrap_or_default(),
            region_code: u.region_code.clone().unwrap_or_default(),
            township: u.township.clone().unwrap_or_default(),
            active: u.active,
            locked: u.locked_until.filter(|t| *t > now).map(fmt_unix),
            must_change: u.must_change_password,
            is_self: u.id == me,
            is_admin: u.role().is_none_or(Role::is_admin),
            is_eval: matches!(u.role(), Some(Role::EvaluationOrg | Role::Evaluator)),
            org_id: u.org_id.map(|o| o.to_string()).unwrap_or_default(),
        }
    }
}

fn region_opts(state: &AppState) -> Vec<Opt> {
    state
        .reference
        .regions
        .valid_on(state.today())
        .map(|r| Opt::new(r.code.clone(), r.name.clone(), None))
        .collect()
}

/// The roles the security administrator grants: not the administrators' (command line only).
fn role_opts() -> Vec<Opt> {
    Role::ALL
        .into_iter()
        .filter(|r| !r.is_admin() && *r != Role::Pending)
        .map(|r| Opt::new(r.as_str(), r.label(), None))
        .collect()
}

async fn user_rows(state: &AppState, u: &CurrentUser) -> Result<Vec<UserRow>, AppError> {
    let me = u.user.id;
    Ok(anbiao_actions::accounts::list(&state.db, &u.acting("page"))
        .await?
        .iter()
        .map(|u| UserRow::new(state, me, u))
        .collect())
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

fn done_message(key: &str) -> Option<String> {
    Some(
        match key {
            "created" => "账户已创建。请将初始密码告知本人，首次登录时须修改。",
            "enable" => "账户已启用。",
            "disable" => "账户已停用，其登录会话已结束。",
            "unlock" => "登录锁定已解除。",
            "reset" => "密码已重置，下次登录时须修改。",
            "granted" => "角色已授予，该账户的登录会话已结束，重新登录后生效。",
            "revoked" => "令牌已吊销，立即失效。",
            "unbound" => "数据共享协议已终止，该账户不能再读取或接收状态变动数据。",
            _ => return None,
        }
        .to_string(),
    )
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    rows: Vec<UserRow>,
    notice: Option<String>,
    error: Option<String>,
}

async fn render_users(
    state: &AppState,
    u: &CurrentUser,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    Ok(Html(
        UsersPage {
            layout: Layout::new(u, state, "users"),
            rows: user_rows(state, u).await?,
            notice,
            error,
        }
        .render()?,
    ))
}

pub async fn users_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(d): Query<Done>,
) -> Result<Html<String>, HtmlError> {
    render_users(&state, &u, done_message(&d.done), None).await
}

fn opt(s: &str) -> Option<String> {
    let s = anbiao_domain::text::clean(s);
    (!s.is_empty()).then_some(s)
}

async fn enterprise_id(state: &AppState, code: &str) -> Result<Option<i64>, AppError> {
    match opt(code) {
        None => Ok(None),
        Some(c) => enterprise::id_by_credit_code(&state.db, &c.to_uppercase())
            .await?
            .map(Some)
            .ok_or_else(|| AppError::bad("enterprise", format!("统一社会信用代码 {c} 未登记"))),
    }
}

#[derive(Deserialize)]
pub struct NewUserInput {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
}

pub async fn create_user(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Form(input): Form<NewUserInput>,
) -> Result<Response, HtmlError> {
    let result = anbiao_actions::accounts::create(
        &state.db,
        &u.acting("form"),
        &anbiao_actions::accounts::NewAccount {
            username: input.username,
            display_name: input.display_name,
            password: input.password,
        },
        &state.config.policy,
    )
    .await
    .map_err(AppError::from);
    match result {
        Ok(_) => Ok(redirect("/admin/users?done=created", is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render_users(&state, &u, None, Some(m))).await,
    }
}

#[derive(Deserialize)]
pub struct ChangeInput {
    #[serde(default)]
    action: String,
    #[serde(default)]
    password: String,
}

fn parse_id(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().map_err(|_| AppError::NotFound)
}

pub async fn change_user(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<ChangeInput>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let (what, done) = match input.action.as_str() {
        "enable" => (AccountChange::Enable, "enable"),
        "disable" => (AccountChange::Disable, "disable"),
        "unlock" => (AccountChange::Unlock, "unlock"),
        "reset" => (
            AccountChange::ResetPassword(input.password.clone()),
            "reset",
        ),
        _ => return Err(AppError::bad("action", "未知的操作").into()),
    };
    match anbiao_actions::accounts::change(
        &state.db,
        &u.acting("form"),
        id,
        &what,
        &state.config.policy,
    )
    .await
    {
        Ok(()) => Ok(redirect(
            &format!("/admin/users?done={done}"),
            is_htmx(&headers),
        )),
        Err(e) => show_refusal(e.into(), |m| render_users(&state, &u, None, Some(m))).await,
    }
}

#[derive(Template)]
#[template(path = "admin/grants.html")]
struct GrantsPage {
    layout: Layout,
    rows: Vec<UserRow>,
    roles: Vec<Opt>,
    regions: Vec<Opt>,
    orgs: Vec<Opt>,
    notice: Option<String>,
    error: Option<String>,
}

async fn render_grants(
    state: &AppState,
    u: &CurrentUser,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    Ok(Html(
        GrantsPage {
            layout: Layout::new(u, state, "grants"),
            rows: user_rows(state, u).await?,
            roles: role_opts(),
            regions: region_opts(state),
            orgs: anbiao_store::orgs::list_orgs(&state.db)
                .await?
                .into_iter()
                .map(|o| Opt::new(o.id.to_string(), o.name, None))
                .collect(),
            notice,
            error,
        }
        .render()?,
    ))
}

pub async fn grants_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(d): Query<Done>,
) -> Result<Html<String>, HtmlError> {
    render_grants(&state, &u, done_message(&d.done), None).await
}

#[derive(Deserialize)]
pub struct GrantInput {
    #[serde(default)]
    role: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    township: String,
    #[serde(default)]
    enterprise: String,
}

pub async fn grant(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<GrantInput>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let result = async {
        let role = Role::parse(&input.role).ok_or_else(|| AppError::bad("role", "请选择角色"))?;
        // An enterprise manager keeps their enterprise unless a new code is given.
        let mut ent = enterprise_id(&state, &input.enterprise).await?;
        if ent.is_none() && role == Role::EnterpriseManager {
            ent = account::by_id(&state.db, id)
                .await?
                .and_then(|x| x.enterprise_id);
        }
        let what = AccountChange::Grant {
            role,
            region_code: opt(&input.region),
            township: opt(&input.township),
            enterprise_id: ent,
        };
        anbiao_actions::accounts::change(
            &state.db,
            &u.acting("form"),
            id,
            &what,
            &state.config.policy,
        )
        .await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(redirect("/admin/grants?done=granted", is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render_grants(&state, &u, None, Some(m))).await,
    }
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
struct AdminTokensPage {
    layout: Layout,
    rows: Vec<TokenRow>,
    partners: Vec<Opt>,
    regions: Vec<Opt>,
    datasets: Vec<Opt>,
    secret: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    agreements: Vec<AgreementOpt>,
    bindings: Vec<BindingRow>,
    feed_secret: Option<String>,
}

/// A data-sharing agreement of the rules, as the binding form offers it.
struct AgreementOpt {
    key: String,
    label: String,
    department: String,
    fields: String,
    kinds: String,
    to_be_checked: bool,
}

/// A partner account bound to an agreement.
struct BindingRow {
    user_id: i64,
    account: String,
    agreement: String,
    push_url: String,
    pushed_seq: i64,
    push_state: String,
    since: String,
    by: String,
}

async fn render_admin_tokens(
    state: &AppState,
    u: &CurrentUser,
    secret: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    render_admin_tokens_with(state, u, secret, None, notice, error).await
}

async fn render_admin_tokens_with(
    state: &AppState,
    u: &CurrentUser,
    secret: Option<String>,
    feed_secret: Option<String>,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Html<String>, HtmlError> {
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let rules = &state.reference.consequences;
    let latest = rules.sets.last();
    let agreements = latest
        .map(|set| {
            set.agreements
                .iter()
                .map(|a| AgreementOpt {
                    key: a.key.clone(),
                    label: a.name.clone(),
                    department: set
                        .department(&a.department)
                        .map_or_else(|| a.department.clone(), |d| d.name.clone()),
                    fields: a
                        .fields
                        .iter()
                        .filter_map(|f| anbiao_domain::feed::field_name(f))
                        .collect::<Vec<_>>()
                        .join("、"),
                    kinds: a
                        .kinds
                        .iter()
                        .map(|k| k.label())
                        .collect::<Vec<_>>()
                        .join("、"),
                    to_be_checked: a.to_be_checked(),
                })
                .collect()
        })
        .unwrap_or_default();
    let users = anbiao_actions::accounts::list(&state.db, &actor).await?;
    let name_of = |id: i64| {
        users
            .iter()
            .find(|x| x.id == id)
            .map(|x| x.username.clone())
            .unwrap_or_default()
    };
    let rows = tokens::all(&state.db, &actor)
        .await?
        .iter()
        .map(|t| TokenRow::new(state, t, name_of(t.user_id)))
        .collect();
    let partners = users
        .iter()
        .filter(|x| x.active && x.role() == Some(Role::Partner))
        .map(|x| {
            Opt::new(
                x.id.to_string(),
                format!("{}（{}）", x.display_name, x.username),
                None,
            )
        })
        .collect();
    let datasets = Permission::ALL
        .into_iter()
        .filter(|p| p.is_read_only() && Role::Partner.allows(*p))
        .map(|p| Opt::new(p.key(), p.label(), None))
        .collect();
    let bindings = cx
        .partner_agreements()
        .await?
        .into_iter()
        .map(|b| BindingRow {
            user_id: b.user_id,
            account: users
                .iter()
                .find(|x| x.id == b.user_id)
                .map(|x| format!("{}（{}）", x.display_name, x.username))
                .unwrap_or_default(),
            agreement: rules.agreement(&b.agreement).map_or_else(
                || format!("{}（已不在规则中）", b.agreement),
                |a| a.name.clone(),
            ),
            push_url: b.push_url.clone().unwrap_or_default(),
            pushed_seq: b.pushed_seq,
            push_state: match (&b.push_url, &b.push_error) {
                (None, _) => "不推送，由协作部门按序号读取".into(),
                (Some(_), None) => "推送正常".into(),
                (Some(_), Some(e)) => format!(
                    "连续 {} 次未送达（{e}），{} 后重试",
                    b.push_failures,
                    fmt_unix(b.next_push_at)
                ),
            },
            since: fmt_unix(b.created_at),
            by: b.created_by.clone(),
        })
        .collect();
    Ok(Html(
        AdminTokensPage {
            layout: Layout::new(u, state, "admin-tokens"),
            rows,
            partners,
            regions: region_opts(state),
            datasets,
            secret,
            notice,
            error,
            agreements,
            bindings,
            feed_secret,
        }
        .render()?,
    ))
}

pub async fn tokens_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(d): Query<Done>,
) -> Result<Html<String>, HtmlError> {
    render_admin_tokens(&state, &u, None, done_message(&d.done), None).await
}

pub async fn issue_token(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HtmlError> {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let result = async {
        let user_id = get("user")
            .parse::<i64>()
            .map_err(|_| AppError::bad("user", "请选择协作部门账户"))?;
        let mut permissions = Vec::new();
        for (k, v) in &pairs {
            if k == "data" {
                let p = Permission::parse(v)
                    .ok_or_else(|| AppError::bad("data", format!("未知的数据范围“{v}”")))?;
                permissions.push(p);
            }
        }
        let name = get("name");
        let secret = tokens::issue_for_partner(
            &state.db,
            &u.acting("form"),
            &ForPartner {
                user_id,
                name: &name,
                permissions,
                region_code: opt(&get("region")),
                days: get("days").trim().parse::<i64>().unwrap_or(0),
            },
        )
        .await?;
        Ok::<_, AppError>(secret)
    }
    .await;
    match result {
        Ok(secret) => Ok(render_admin_tokens(&state, &u, Some(secret), None, None)
            .await?
            .into_response()),
        Err(e) => show_refusal(e, |m| render_admin_tokens(&state, &u, None, None, Some(m))).await,
    }
}

/// The security administrator binds a partner account to a data-sharing agreement.
pub async fn bind_partner(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Form(input): Form<BindInput>,
) -> Result<Response, HtmlError> {
    let actor = u.acting("form");
    let result = async {
        let user_id = input
            .user
            .trim()
            .parse::<i64>()
            .map_err(|_| AppError::bad("user", "请选择协作部门账户"))?;
        Ok::<_, AppError>(
            state
                .ctx(&actor)
                .bind_partner(user_id, &input.agreement, Some(&input.push_url))
                .await?,
        )
    }
    .await;
    match result {
        Ok(secret) => Ok(
            render_admin_tokens_with(&state, &u, None, Some(secret), None, None)
                .await?
                .into_response(),
        ),
        Err(e) => show_refusal(e, |m| render_admin_tokens(&state, &u, None, None, Some(m))).await,
    }
}

#[derive(Deserialize)]
pub struct BindInput {
    #[serde(default)]
    user: String,
    #[serde(default)]
    agreement: String,
    #[serde(default)]
    push_url: String,
}

/// The security administrator ends a partner account's agreement.
pub async fn unbind_partner(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    state.ctx(&u.acting("form")).unbind_partner(id).await?;
    Ok(redirect("/admin/tokens?done=unbound", is_htmx(&headers)))
}

pub async fn revoke_token(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    tokens::revoke_any(&state.db, &u.acting("form"), id).await?;
    Ok(redirect("/admin/tokens?done=revoked", is_htmx(&headers)))
}

#[derive(Deserialize)]
pub struct OrgLinkInput {
    #[serde(default)]
    org: String,
}

/// Links an evaluation-organisation or evaluator account to its organisation.
pub async fn link_org(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(input): Form<OrgLinkInput>,
) -> Result<Response, HtmlError> {
    let id = parse_id(&id)?;
    let result = async {
        let org = match input.org.trim() {
            "" => None,
            v => Some(
                v.parse::<i64>()
                    .map_err(|_| AppError::bad("org", "请选择评审单位"))?,
            ),
        };
        anbiao_actions::accounts::link_org(&state.db, &u.acting("form"), id, org).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => Ok(redirect("/admin/grants?done=granted", is_htmx(&headers))),
        Err(e) => show_refusal(e, |m| render_grants(&state, &u, None, Some(m))).await,
    }
}
