//! Accidents of an enterprise, as the grading rules read them.

use anbiao_domain::Scope;
use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::rules::Accident;
use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;

use crate::audit_log::{self, Actor, Event};
use crate::db::Db;
use crate::error::StoreError;
use crate::{enterprise, with_pool, with_tx};

#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct AccidentRow {
    pub id: i64,
    pub enterprise_id: i64,
    pub occurred_on: String,
    pub deaths: i64,
    pub serious_injuries: i64,
    pub direct_loss_yuan: i64,
    pub description: String,
    pub recorded_by: String,
    pub recorded_at: i64,
}

impl AccidentRow {
    pub fn accident(&self) -> Option<Accident> {
        Some(Accident {
            occurred_on: parse_date(&self.occurred_on)?,
            deaths: u32::try_from(self.deaths).ok()?,
            serious_injuries: u32::try_from(self.serious_injuries).ok()?,
            direct_loss_yuan: self.direct_loss_yuan,
        })
    }
}

/// Records an accident of an enterprise within the scope.
pub async fn record(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    enterprise_id: i64,
    a: &Accident,
    description: &str,
) -> Result<i64, StoreError> {
    let e = enterprise::get(db, scope, enterprise_id).await?;
    if description.trim().is_empty() {
        return Err(StoreError::Invalid("请填写事故经过".into()));
    }
    if a.direct_loss_yuan < 0 {
        return Err(StoreError::Invalid("直接经济损失不能为负数".into()));
    }
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO accident (enterprise_id, occurred_on, deaths, serious_injuries, direct_loss_yuan, \
        description, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(enterprise_id)
        .bind(format_date(a.occurred_on))
        .bind(i64::from(a.deaths))
        .bind(i64::from(a.serious_injuries))
        .bind(a.direct_loss_yuan)
        .bind(description.trim())
        .bind(&actor.username)
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .fetch_one(c)
        .await)?;
    let ev = Event::new("accident.record", format!("enterprise:{enterprise_id}"))
        .states(None::<&()>, Some(a))
        .detail(format!(
            "登记“{}”{} 事故：死亡 {} 人、重伤 {} 人、直接经济损失 {} 元",
            e.name,
            format_date(a.occurred_on),
            a.deaths,
            a.serious_injuries,
            a.direct_loss_yuan
        ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    // After an accident the enterprise's risk points are identified and assessed again.
    const REASSESS: &str = "UPDATE risk_point SET reassess = $1 WHERE enterprise_id = $2";
    let why = format!(
        "{} 发生事故（死亡 {} 人、重伤 {} 人），应重新辨识评价",
        format_date(a.occurred_on),
        a.deaths,
        a.serious_injuries
    );
    with_tx!(&mut tx, |c| sqlx::query(REASSESS)
        .bind(&why)
        .bind(enterprise_id)
        .execute(c)
        .await
        .map(|_| ()))?;
    tx.commit().await?;
    Ok(id)
}

/// An enterprise's accidents, oldest first.
pub async fn of_enterprise(
    db: &Db,
    scope: &Scope,
    enterprise_id: i64,
) -> Result<Vec<AccidentRow>, StoreError> {
    enterprise::get(db, scope, enterprise_id).await?;
    const SQL: &str = "SELECT id, enterprise_id, occurred_on, deaths, serious_injuries, direct_loss_yuan, description, \
        recorded_by, recorded_at FROM accident WHERE enterprise_id = $1 ORDER BY occurred_on, id";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, AccidentRow>(SQL)
        .bind(enterprise_id)
        .fetch_all(p)
        .await)?)
}
