//! Grids and enterprise safety officers (六（四）3): a township's grids with their officers, the
//! small and micro enterprises of each with their safety officers, and how far each grid's
//! enterprises are on the day (self-assessed, 达标, open gaps on their obligation lists).

use std::collections::BTreeMap;

use anbiao_domain::date::format_date;
use anbiao_domain::standing::{self, Counter};
use serde::Serialize;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::sql::{Arg, SqlBuf};
use crate::training::Reach;
use crate::{Db, StoreError, with_tx};

fn reach_filter(b: &mut SqlBuf, reach: &Reach) {
    match reach {
        Reach::City => {}
        Reach::Unit(u) => {
            b.push(" AND g.unit = ");
            b.bind(Arg::Text(u.clone()));
        }
        Reach::Township { unit, township } => {
            b.push(" AND g.unit = ");
            b.bind(Arg::Text(unit.clone()));
            b.push(" AND g.township = ");
            b.bind(Arg::Text(township.clone()));
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, PartialEq, Eq)]
pub struct Grid {
    pub id: i64,
    pub unit: String,
    pub township: String,
    pub name: String,
    pub officer: String,
    pub officer_phone: Option<String>,
    pub members: i64,
}

const GRID_SELECT: &str = "SELECT g.id, g.unit, g.township, g.name, g.officer, g.officer_phone, \
    (SELECT COUNT(*) FROM grid_member m JOIN enterprise e ON e.id = m.enterprise_id \
     WHERE m.grid_id = g.id AND e.closed_on IS NULL) AS members FROM grid g WHERE 1 = 1";

pub struct NewGrid<'a> {
    pub unit: &'a str,
    pub township: &'a str,
    pub name: &'a str,
    pub officer: &'a str,
    pub officer_phone: Option<&'a str>,
}

pub async fn create(db: &Db, actor: &Actor, g: &NewGrid<'_>) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO grid (unit, township, name, officer, officer_phone, recorded_by, recorded_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
    let id: Result<i64, sqlx::Error> = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(g.unit)
        .bind(g.township)
        .bind(g.name)
        .bind(g.officer)
        .bind(g.officer_phone)
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await);
    let id = match id {
        Ok(id) => id,
        Err(e) if StoreError::is_unique_violation(&e) => {
            return Err(StoreError::Conflict(format!(
                "{}已有名为“{}”的网格",
                g.township, g.name
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let ev = Event::new("grid.create", format!("grid:{id}")).detail(format!(
        "划分网格“{}{}”，网格员 {}",
        g.township, g.name, g.officer
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn list(db: &Db, reach: &Reach) -> Result<Vec<Grid>, StoreError> {
    let mut b = SqlBuf::new(GRID_SELECT);
    reach_filter(&mut b, reach);
    b.push(" ORDER BY g.unit, g.township, g.name LIMIT 5000");
    b.fetch_all(db).await
}

pub async fn get(db: &Db, reach: &Reach, id: i64) -> Result<Grid, StoreError> {
    let mut b = SqlBuf::new(GRID_SELECT);
    b.push(" AND g.id = ");
    b.bind(Arg::Int(id));
    reach_filter(&mut b, reach);
    b.fetch_optional(db).await?.ok_or(StoreError::NotFound)
}

/// An enterprise of a grid, with where it stands on the day.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Member {
    pub enterprise_id: i64,
    pub name: String,
    pub safety_officer: String,
    pub safety_phone: Option<String>,
    pub since: String,
    /// Self-assessed (小微企业自评) by the day.
    pub started: bool,
    /// Holding a valid certificate (达标) on the day.
    pub certified: bool,
    /// Open gaps on its obligation list, as last worked out.
    pub gaps: i64,
}

/// The grid's members (the grid within reach) and where each stands on `on`.
pub async fn members(db: &Db, grid_id: i64, on: Date) -> Result<Vec<Member>, StoreError> {
    let mut b = SqlBuf::new(
        "SELECT m.enterprise_id, e.name, m.safety_officer, m.safety_phone, m.since, s.events, o.gaps \
         FROM grid_member m JOIN enterprise e ON e.id = m.enterprise_id \
         LEFT JOIN standing s ON s.enterprise_id = m.enterprise_id \
         LEFT JOIN obligation_status o ON o.enterprise_id = m.enterprise_id WHERE m.grid_id = ",
    );
    b.bind(Arg::Int(grid_id));
    // Enterprises closed by the day are no longer the grid's to follow.
    b.push(" AND (e.closed_on IS NULL OR e.closed_on > ");
    b.bind(Arg::Text(format_date(on)));
    b.push(")");
    b.push(" ORDER BY e.name LIMIT 5000");
    type Row = (
        i64,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
        Option<i64>,
    );
    let rows: Vec<Row> = b.fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, officer, phone, since, events, gaps)| {
            let held = |c: Counter| {
                events
                    .as_deref()
                    .and_then(standing::decode)
                    .map(|ev| {
                        ev.iter()
                            .filter(|e| e.counter == c && e.day <= on)
                            .map(|e| e.delta)
                            .sum::<i64>()
                            > 0
                    })
                    .unwrap_or(false)
            };
            Member {
                enterprise_id: id,
                name,
                safety_officer: officer,
                safety_phone: phone,
                since,
                started: held(Counter::SmallMicroStarted),
                certified: held(Counter::SmallMicroCertified) || held(Counter::BelowScaleCertified),
                gaps: gaps.unwrap_or(0),
            }
        })
        .collect())
}

/// Per grid within reach: members, self-assessed, 达标 and with open gaps on `on`.
pub async fn progress(
    db: &Db,
    reach: &Reach,
    on: Date,
) -> Result<BTreeMap<i64, (i64, i64, i64, i64)>, StoreError> {
    let mut out = BTreeMap::new();
    for g in list(db, reach).await? {
        let m = members(db, g.id, on).await?;
        out.insert(
            g.id,
            (
                m.len() as i64,
                m.iter().filter(|x| x.started).count() as i64,
                m.iter().filter(|x| x.certified).count() as i64,
                m.iter().filter(|x| x.gaps > 0).count() as i64,
            ),
        );
    }
    Ok(out)
}

/// Puts an enterprise in a grid with its safety officer (moving it from another grid).
#[allow(clippy::too_many_arguments)]
pub async fn assign(
    db: &Db,
    actor: &Actor,
    grid: &Grid,
    enterprise_id: i64,
    enterprise: &str,
    safety_officer: &str,
    safety_phone: Option<&str>,
    since: Date,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    const DELETE: &str = "DELETE FROM grid_member WHERE enterprise_id = $1";
    let moved = with_tx!(&mut tx, |c| sqlx::query(DELETE)
        .bind(enterprise_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    const SQL: &str = "INSERT INTO grid_member (enterprise_id, grid_id, safety_officer, safety_phone, since, \
        recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(enterprise_id)
        .bind(grid.id)
        .bind(safety_officer)
        .bind(safety_phone)
        .bind(format_date(since))
        .bind(&actor.username)
        .bind(now_secs())
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    let ev = Event::new("grid.assign", format!("enterprise:{enterprise_id}")).detail(format!(
        "“{enterprise}”{}网格“{}{}”，企业安全员 {safety_officer}",
        if moved > 0 { "调整到" } else { "纳入" },
        grid.township,
        grid.name
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}
