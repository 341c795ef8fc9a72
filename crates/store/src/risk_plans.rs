//! Site plans (一图): an enterprise's plans as uploaded, and the placing of its risk points on
//! them. Every read and write loads the enterprise or the point within the scope first; a
//! placement is a change of the point, conditional on the version read.

use anbiao_domain::Scope;
use anbiao_domain::date::format_date;
use anbiao_domain::risk_plan::{Place, PlanImage, PlanKind};
use serde::Serialize;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::enterprise::push_scope;
use crate::hazards::sha256;
use crate::risk_points::{RiskPoint, event};
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, bind_args, enterprise, with_pool, with_tx};

/// The most plans an enterprise keeps (a site and its workshops).
pub const MAX_PLANS: i64 = 30;

/// A plan without its bytes.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct Plan {
    pub id: i64,
    pub enterprise_id: i64,
    pub name: String,
    pub kind: String,
    pub width: i64,
    pub height: i64,
    pub uploaded_by: String,
    pub uploaded_at: i64,
}

const COLUMNS: &str =
    "s.id, s.enterprise_id, s.name, s.kind, s.width, s.height, s.uploaded_by, s.uploaded_at";

/// Adds a plan to an enterprise within the scope.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    enterprise_id: i64,
    name: &str,
    kind: PlanKind,
    image: &PlanImage,
    bytes: &[u8],
) -> Result<i64, StoreError> {
    let e = enterprise::get(db, scope, enterprise_id).await?;
    if of_enterprise(db, scope, enterprise_id).await?.len() as i64 >= MAX_PLANS {
        return Err(StoreError::Invalid(format!(
            "每家企业至多上传 {MAX_PLANS} 张平面图"
        )));
    }
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO risk_site_plan (enterprise_id, name, kind, content_type, bytes, width, height, \
        sha256, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(enterprise_id)
        .bind(name)
        .bind(kind.key())
        .bind(image.content_type)
        .bind(bytes)
        .bind(image.width)
        .bind(image.height)
        .bind(sha256(bytes))
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)?;
    let ev = Event::new("risk_plan.upload", format!("enterprise:{enterprise_id}")).detail(format!(
        "“{}”上传{}“{name}”（{}×{} 像素）",
        e.name,
        kind.label(),
        image.width,
        image.height
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// An enterprise's plans (the enterprise within the scope), in the order uploaded.
pub async fn of_enterprise(
    db: &Db,
    scope: &Scope,
    enterprise_id: i64,
) -> Result<Vec<Plan>, StoreError> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLUMNS} FROM risk_site_plan s JOIN enterprise e ON e.id = s.enterprise_id \
         WHERE s.enterprise_id = "
    ));
    b.bind(Arg::Int(enterprise_id));
    push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    b.push(" ORDER BY s.id LIMIT ");
    b.bind(Arg::Int(MAX_PLANS));
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Plan>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

/// A plan within the scope.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Plan, StoreError> {
    let mut b = SqlBuf::new(&format!(
        "SELECT {COLUMNS} FROM risk_site_plan s JOIN enterprise e ON e.id = s.enterprise_id WHERE s.id = "
    ));
    b.bind(Arg::Int(id));
    push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    let sql = b.render(db.backend());
    with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, Plan>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)
}

/// A plan's image (the plan within the scope): its content type and bytes.
pub async fn image(db: &Db, scope: &Scope, id: i64) -> Result<(String, Vec<u8>), StoreError> {
    get(db, scope, id).await?;
    const SQL: &str = "SELECT content_type, bytes FROM risk_site_plan WHERE id = $1";
    with_pool!(db, |p| sqlx::query_as::<_, (String, Vec<u8>)>(SQL)
        .bind(id)
        .fetch_optional(p)
        .await)?
    .ok_or(StoreError::NotFound)
}

/// Places `point` (read within the scope, seen at `version`) on `plan` (of the same
/// enterprise), recorded in the point's history.
#[allow(clippy::too_many_arguments)]
pub async fn place(
    db: &Db,
    actor: &Actor,
    point: &RiskPoint,
    version: i64,
    plan: &Plan,
    at: &Place,
    on: Date,
) -> Result<(), StoreError> {
    if plan.enterprise_id != point.enterprise_id {
        return Err(StoreError::NotFound);
    }
    if point.version != version {
        return Err(StoreError::Conflict(
            "风险点已被他人修改，请刷新后重试".into(),
        ));
    }
    let mut tx = db.begin().await?;
    // The version is not raised: a place is not what the cards print, and a printed card's QR
    // code names the version. The update is still conditional on the version read.
    const SQL: &str = "UPDATE risk_point SET plan_id = $1, plan_at = $2, updated_at = $3 \
        WHERE id = $4 AND version = $5";
    let n = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(plan.id)
        .bind(at.stored())
        .bind(now_secs())
        .bind(point.id)
        .bind(version)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict(
            "风险点已被他人修改，请刷新后重试".into(),
        ));
    }
    let note = format!(
        "在“{}”上标注风险点“{}”：{}（{}）",
        plan.name,
        point.name,
        if at.0.len() == 1 { "点" } else { "区域" },
        at.words()
    );
    event(&mut tx, actor, point.id, "update", &note, on).await?;
    let ev = Event::new(
        "risk_point.place",
        format!("enterprise:{}", point.enterprise_id),
    )
    .detail(format!("{note}（{}）", format_date(on)));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}
