//! Evaluation organisations (评审单位), their evaluators (考评员), coaching relations and the
//! assignment of cases. An organisation that coached (辅导/咨询) an enterprise may not evaluate
//! it; an organisation or evaluator past its qualification may not be assigned.

use anbiao_domain::Scope;
use anbiao_domain::date::{format_date, parse_date};
use serde::Serialize;
use sqlx::FromRow;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::Db;
use crate::error::StoreError;
use crate::grading::{self, Step};
use crate::{enterprise, with_pool, with_tx};

#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct Org {
    pub id: i64,
    pub name: String,
    pub credit_code: Option<String>,
    pub qualification: String,
    pub qualified_until: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct Evaluator {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub certificate_no: String,
    pub qualified_until: String,
    pub created_at: i64,
}

use crate::db::now_secs as now;

pub async fn create_org(
    db: &Db,
    actor: &Actor,
    name: &str,
    qualification: &str,
    qualified_until: Date,
) -> Result<i64, StoreError> {
    let name = anbiao_domain::text::clean(name);
    if name.is_empty() || qualification.trim().is_empty() {
        return Err(StoreError::Invalid("评审单位名称和资质不能为空".into()));
    }
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO evaluation_org (name, qualification, qualified_until, created_at) \
        VALUES ($1, $2, $3, $4) RETURNING id";
    let res = with_tx!(&mut tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(&name)
        .bind(qualification.trim())
        .bind(format_date(qualified_until))
        .bind(now())
        .fetch_one(c)
        .await);
    let id = match res {
        Err(e) if StoreError::is_unique_violation(&e) => {
            return Err(StoreError::Conflict(format!("评审单位“{name}”已登记")));
        }
        other => other?,
    };
    let ev = Event::new("org.create", format!("org:{id}")).detail(format!(
        "登记评审单位“{name}”，资质有效期至 {}",
        format_date(qualified_until)
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn add_evaluator(
    db: &Db,
    actor: &Actor,
    org_id: i64,
    name: &str,
    certificate_no: &str,
    qualified_until: Date,
) -> Result<i64, StoreError> {
    get_org(db, org_id).await?;
    let name = anbiao_domain::text::clean(name);
    let cert = anbiao_domain::text::clean(certificate_no);
    if name.is_empty() || cert.is_empty() {
        return Err(StoreError::Invalid("考评员姓名和证书编号不能为空".into()));
    }
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO evaluator (org_id, name, certificate_no, qualified_until, created_at) \
        VALUES ($1, $2, $3, $4, $5) RETURNING id";
    let res = with_tx!(&mut tx, |c| sqlx::query_scalar::<_, i64>(SQL)
        .bind(org_id)
        .bind(&name)
        .bind(&cert)
        .bind(format_date(qualified_until))
        .bind(now())
        .fetch_one(c)
        .await);
    let id = match res {
        Err(e) if StoreError::is_unique_violation(&e) => {
            return Err(StoreError::Conflict(format!(
                "考评员证书编号 {cert} 已登记"
            )));
        }
        other => other?,
    };
    let ev = Event::new("evaluator.create", format!("evaluator:{id}"))
        .detail(format!("登记考评员 {name}（证书 {cert}）"));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn get_org(db: &Db, id: i64) -> Result<Org, StoreError> {
    const SQL: &str = "SELECT id, name, credit_code, qualification, qualified_until, created_at \
        FROM evaluation_org WHERE id = $1";
    with_pool!(db, |p| sqlx::query_as::<_, Org>(SQL)
        .bind(id)
        .fetch_optional(p)
        .await)?
    .ok_or(StoreError::NotFound)
}

pub async fn list_orgs(db: &Db) -> Result<Vec<Org>, StoreError> {
    const SQL: &str = "SELECT id, name, credit_code, qualification, qualified_until, created_at \
        FROM evaluation_org ORDER BY name";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Org>(SQL)
        .fetch_all(p)
        .await)?)
}

pub async fn evaluators_of(db: &Db, org_id: i64) -> Result<Vec<Evaluator>, StoreError> {
    const SQL: &str = "SELECT id, org_id, name, certificate_no, qualified_until, created_at \
        FROM evaluator WHERE org_id = $1 ORDER BY name";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Evaluator>(SQL)
        .bind(org_id)
        .fetch_all(p)
        .await)?)
}

/// The evaluators whose qualification holds on `on`.
pub async fn qualified_evaluators(db: &Db, on: time::Date) -> Result<Vec<i64>, StoreError> {
    const SQL: &str =
        "SELECT id FROM evaluator WHERE qualified_until >= $1 ORDER BY id LIMIT 100000";
    Ok(with_pool!(db, |p| sqlx::query_scalar::<_, i64>(SQL)
        .bind(anbiao_domain::date::format_date(on))
        .fetch_all(p)
        .await)?)
}

/// Records that an organisation coached an enterprise (from a date): it may not evaluate it.
pub async fn record_coaching(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    org_id: i64,
    enterprise_id: i64,
    from: Date,
    note: &str,
) -> Result<(), StoreError> {
    let org = get_org(db, org_id).await?;
    let e = enterprise::get(db, scope, enterprise_id).await?;
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO coaching (org_id, enterprise_id, from_on, note, recorded_by) \
        VALUES ($1, $2, $3, $4, $5)";
    let res = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(org_id)
        .bind(enterprise_id)
        .bind(format_date(from))
        .bind(note.trim())
        .bind(&actor.username)
        .execute(c)
        .await
        .map(|_| ()));
    match res {
        Err(err) if StoreError::is_unique_violation(&err) => {
            return Err(StoreError::Conflict("该辅导记录已登记".into()));
        }
        other => other?,
    }
    let ev = Event::new("coaching.record", format!("enterprise:{enterprise_id}")).detail(format!(
        "登记“{}”自 {} 起为“{}”提供辅导/咨询",
        org.name,
        format_date(from),
        e.name
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

/// Assigns an organisation and a team to a case (the Assign step of the life cycle, in the
/// same transaction). Refused when the organisation coached the enterprise, or when the
/// organisation or an evaluator is not qualified on `on`, or an evaluator is not its own.
#[allow(clippy::too_many_arguments)]
pub async fn assign(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    case_id: i64,
    step: &Step<'_>,
    org_id: i64,
    team: &[i64],
    on: Date,
) -> Result<(), StoreError> {
    let case = grading::get(db, scope, case_id).await?;
    let org = get_org(db, org_id).await?;
    let refuse = |why: String| async move {
        let ev = Event::new("case.refused", format!("case:{case_id}"))
            .detail(format!("指派评审单位：{why}"));
        audit_log::append(db, actor, &ev).await?;
        Err::<(), _>(StoreError::Invalid(why))
    };
    if parse_date(&org.qualified_until).is_none_or(|d| d < on) {
        return refuse(format!(
            "评审单位“{}”的资质已于 {} 到期",
            org.name, org.qualified_until
        ))
        .await;
    }
    const COACHED: &str = "SELECT COUNT(*) FROM coaching WHERE org_id = $1 AND enterprise_id = $2";
    let coached: i64 = with_pool!(db, |p| sqlx::query_scalar(COACHED)
        .bind(org_id)
        .bind(case.enterprise_id)
        .fetch_one(p)
        .await)?;
    if coached > 0 {
        return refuse(format!(
            "评审单位“{}”曾为该企业提供辅导/咨询，不得承担其评审",
            org.name
        ))
        .await;
    }
    if team.is_empty() {
        return refuse("请至少指派一名考评员".into()).await;
    }
    let members = evaluators_of(db, org_id).await?;
    for id in team {
        let Some(m) = members.iter().find(|m| m.id == *id) else {
            return refuse(format!("考评员 {id} 不属于“{}”", org.name)).await;
        };
        if parse_date(&m.qualified_until).is_none_or(|d| d < on) {
            return refuse(format!(
                "考评员 {} 的资格已于 {} 到期",
                m.name, m.qualified_until
            ))
            .await;
        }
    }
    let team_text = team
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let names: Vec<&str> = members
        .iter()
        .filter(|m| team.contains(&m.id))
        .map(|m| m.name.as_str())
        .collect();
    let mut s = step.clone();
    let assigned = format!("指派“{}”，考评组：{}", org.name, names.join("、"));
    let reason = match step.reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("{assigned}；{r}"),
        None => assigned,
    };
    s.reason = Some(&reason);
    grading::transition_with(db, scope, actor, case_id, &s, |tx| {
        let team_text = team_text.clone();
        let by = actor.username.clone();
        Box::pin(async move {
            const DEL: &str = "DELETE FROM case_assignment WHERE case_id = $1";
            with_tx!(tx, |c| sqlx::query(DEL)
                .bind(case_id)
                .execute(c)
                .await
                .map(|_| ()))?;
            const INS: &str = "INSERT INTO case_assignment (case_id, org_id, team, assigned_on, assigned_by) \
                VALUES ($1, $2, $3, $4, $5)";
            with_tx!(tx, |c| sqlx::query(INS)
                .bind(case_id)
                .bind(org_id)
                .bind(&team_text)
                .bind(format_date(on))
                .bind(&by)
                .execute(c)
                .await
                .map(|_| ()))?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}

/// The organisation assigned to a case, if any.
pub async fn assignment(db: &Db, case_id: i64) -> Result<Option<(Org, String)>, StoreError> {
    const SQL: &str = "SELECT org_id, team FROM case_assignment WHERE case_id = $1";
    let row: Option<(i64, String)> = with_pool!(db, |p| sqlx::query_as(SQL)
        .bind(case_id)
        .fetch_optional(p)
        .await)?;
    match row {
        None => Ok(None),
        Some((org, team)) => Ok(Some((get_org(db, org).await?, team))),
    }
}
