//! The enterprises an incentive or restriction measure concerns on a day (六（五）), found in SQL
//! from the measure's condition, and the facts of each that the domain puts in words; and the
//! designations officers record on enterprises (国有工贸企业, 市级诚信示范企业).

use std::collections::HashMap;

use anbiao_domain::Scope;
use anbiao_domain::consequences::{Condition, Facts, HeldCertificate, window_start};
use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::grade::Grade;
use anbiao_domain::supervision::Status;
use serde::Serialize;
use sqlx::FromRow;
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::enterprise::push_scope;
use crate::paging::{self, PageReq, Paged};
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, with_tx};

/// An enterprise on a measure's list (its facts are read separately).
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct Listed {
    pub id: i64,
    pub credit_code: String,
    pub name: String,
    pub region_code: String,
    pub township: Option<String>,
}

/// A certificate valid on `d` (`c` the certificate table's alias).
fn valid_on(b: &mut SqlBuf, c: &str, d: &str) {
    b.push(&format!(" AND {c}.valid_from <= "));
    b.bind(Arg::Text(d.into()));
    b.push(&format!(" AND {c}.valid_until >= "));
    b.bind(Arg::Text(d.into()));
    b.push(&format!(
        " AND ({c}.revoked_on IS NULL OR {c}.revoked_on > "
    ));
    b.bind(Arg::Text(d.into()));
    b.push(&format!(
        ") AND ({c}.superseded_on IS NULL OR {c}.superseded_on > "
    ));
    b.bind(Arg::Text(d.into()));
    b.push(")");
}

/// `EXISTS` a certificate of the enterprise `e` valid on `d`, of one of `grades` (any if empty).
fn holds_certificate(b: &mut SqlBuf, d: &str, grades: &[Grade]) {
    b.push("EXISTS (SELECT 1 FROM certificate c WHERE c.enterprise_id = e.id");
    if !grades.is_empty() {
        b.push(" AND c.grade IN ");
        b.bind_list(grades.iter().map(|g| Arg::Text(g.key().into())));
    }
    valid_on(b, "c", d);
    b.push(")");
}

/// Whether the enterprise had started standardisation by `d`: a certificate begun or a grading
/// case opened by then (as the inspection plan reads it).
fn started(b: &mut SqlBuf, d: &str) {
    b.push(
        "(EXISTS (SELECT 1 FROM certificate s WHERE s.enterprise_id = e.id AND s.valid_from <= ",
    );
    b.bind(Arg::Text(d.into()));
    b.push(") OR EXISTS (SELECT 1 FROM grading_case g WHERE g.enterprise_id = e.id AND g.opened_on <= ");
    b.bind(Arg::Text(d.into()));
    b.push("))");
}

/// The enterprise's supervision status on `d` is `s`.
fn has_status(b: &mut SqlBuf, d: &str, s: Status) {
    let better: &[Grade] = match s {
        Status::GradeOne => &[],
        Status::GradeTwo => &[Grade::One],
        Status::GradeThree => &[Grade::One, Grade::Two],
        Status::SmallMicro => &[Grade::One, Grade::Two, Grade::Three],
        Status::NotCertified | Status::NotStarted => &[],
    };
    let grade = match s {
        Status::GradeOne => Some(Grade::One),
        Status::GradeTwo => Some(Grade::Two),
        Status::GradeThree => Some(Grade::Three),
        Status::SmallMicro => Some(Grade::SmallMicro),
        Status::NotCertified | Status::NotStarted => None,
    };
    b.push("(");
    match grade {
        Some(g) => {
            holds_certificate(b, d, &[g]);
            if !better.is_empty() {
                b.push(" AND NOT ");
                holds_certificate(b, d, better);
            }
        }
        None => {
            b.push("NOT ");
            holds_certificate(b, d, &[]);
            b.push(if s == Status::NotCertified {
                " AND "
            } else {
                " AND NOT "
            });
            started(b, d);
        }
    }
    b.push(")");
}

/// An event of `table` (`col` its day column) in the window `(start, d]`.
fn in_window(b: &mut SqlBuf, table: &str, col: &str, start: &str, d: &str) {
    b.push(&format!(
        "EXISTS (SELECT 1 FROM {table} w WHERE w.enterprise_id = e.id AND w.{col} > "
    ));
    b.bind(Arg::Text(start.into()));
    b.push(&format!(" AND w.{col} <= "));
    b.bind(Arg::Text(d.into()));
    b.push(")");
}

/// The enterprises of `scope` operating on `day` for which `cond` holds, as SQL (no ORDER BY).
/// `key_statuses` are the key-supervision statuses of the inspection rules in force that day.
pub fn select(scope: &Scope, cond: &Condition, key_statuses: &[Status], day: Date) -> SqlBuf {
    let d = format_date(day);
    let mut b = SqlBuf::new(
        "SELECT e.id, e.credit_code, e.name, e.region_code, e.township FROM enterprise e \
         WHERE (e.active_from IS NULL OR e.active_from <= ",
    );
    b.bind(Arg::Text(d.clone()));
    b.push(") AND (e.closed_on IS NULL OR e.closed_on > ");
    b.bind(Arg::Text(d.clone()));
    b.push(")");
    push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    if !cond.grades.is_empty() {
        b.push(" AND ");
        holds_certificate(&mut b, &d, &cond.grades);
    }
    match cond.certified {
        Some(true) if cond.grades.is_empty() => {
            b.push(" AND ");
            holds_certificate(&mut b, &d, &[]);
        }
        Some(false) => {
            b.push(" AND NOT ");
            holds_certificate(&mut b, &d, &[]);
        }
        _ => {}
    }
    let window = |m: u32| format_date(window_start(day, m));
    if let Some(m) = cond.accident_free_months {
        b.push(" AND NOT ");
        in_window(&mut b, "accident", "occurred_on", &window(m), &d);
    }
    if let Some(m) = cond.accident_within_months {
        b.push(" AND ");
        in_window(&mut b, "accident", "occurred_on", &window(m), &d);
    }
    if let Some(m) = cond.revocation_free_months {
        b.push(" AND NOT ");
        in_window(&mut b, "certificate", "revoked_on", &window(m), &d);
    }
    if let Some(m) = cond.revoked_within_months {
        b.push(" AND ");
        in_window(&mut b, "certificate", "revoked_on", &window(m), &d);
    }
    if let Some(want) = cond.key_supervision {
        b.push(if want { " AND (" } else { " AND NOT (" });
        if key_statuses.is_empty() {
            b.push("1 = 0");
        }
        for (i, s) in key_statuses.iter().enumerate() {
            if i > 0 {
                b.push(" OR ");
            }
            has_status(&mut b, &d, *s);
        }
        b.push(")");
    }
    if let Some(want) = cond.above_scale {
        b.push(if want {
            " AND e.above_scale = TRUE"
        } else {
            " AND e.above_scale = FALSE"
        });
    }
    if !cond.designations.is_empty() {
        b.push(
            " AND EXISTS (SELECT 1 FROM enterprise_designation x WHERE x.enterprise_id = e.id \
             AND x.designation IN ",
        );
        b.bind_list(cond.designations.iter().cloned().map(Arg::Text));
        b.push(" AND x.since <= ");
        b.bind(Arg::Text(d.clone()));
        b.push(" AND (x.until IS NULL OR x.until > ");
        b.bind(Arg::Text(d));
        b.push("))");
    }
    b
}

/// One page of a measure's list, in registry order, with its total (capped).
pub async fn page(
    db: &Db,
    scope: &Scope,
    cond: &Condition,
    key_statuses: &[Status],
    day: Date,
    req: PageReq,
) -> Result<Paged<Listed>, StoreError> {
    paging::fetch(db, &select(scope, cond, key_statuses, day), "e.id", req).await
}

/// Every enterprise of a measure's list after `after` (by id), at most `limit`: the export reads
/// the whole list in chunks.
pub async fn chunk(
    db: &Db,
    scope: &Scope,
    cond: &Condition,
    key_statuses: &[Status],
    day: Date,
    after: i64,
    limit: i64,
) -> Result<Vec<Listed>, StoreError> {
    let mut b = select(scope, cond, key_statuses, day);
    b.push(" AND e.id > ");
    b.bind(Arg::Int(after));
    b.push(" ORDER BY e.id LIMIT ");
    b.bind(Arg::Int(limit));
    b.fetch_all(db).await
}

#[derive(FromRow)]
struct CertRow {
    enterprise_id: i64,
    number: String,
    grade: String,
    valid_until: String,
}

#[derive(FromRow)]
struct DayRow {
    enterprise_id: i64,
    day: String,
    number: String,
}

#[derive(FromRow)]
struct FlagRow {
    id: i64,
    above_scale: Option<bool>,
    started: i64,
}

#[derive(FromRow)]
struct DesignationRow {
    enterprise_id: i64,
    designation: String,
    since: String,
}

/// The facts of these enterprises on `day` that a measure's reasons are written from: valid
/// certificates, accidents and revocations of the last `window_months` (at least 12), the
/// designations held, size, and the supervision status (`key_supervision` decided from
/// `key_statuses`).
pub async fn facts(
    db: &Db,
    ids: &[i64],
    day: Date,
    window_months: u32,
    key_statuses: &[Status],
) -> Result<HashMap<i64, Facts>, StoreError> {
    let mut out: HashMap<i64, Facts> = ids.iter().map(|i| (*i, Facts::default())).collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let d = format_date(day);
    let start = format_date(window_start(day, window_months.max(12)));
    let id_list = || ids.iter().map(|i| Arg::Int(*i));

    let mut b = SqlBuf::new(
        "SELECT c.enterprise_id, c.number, c.grade, c.valid_until FROM certificate c \
         WHERE c.enterprise_id IN ",
    );
    b.bind_list(id_list());
    valid_on(&mut b, "c", &d);
    for r in b.fetch_all::<CertRow>(db).await? {
        let (Some(grade), Some(until), Some(f)) = (
            Grade::parse(&r.grade),
            parse_date(&r.valid_until),
            out.get_mut(&r.enterprise_id),
        ) else {
            continue;
        };
        f.certificates.push(HeldCertificate {
            number: r.number,
            grade,
            valid_until: until,
        });
    }

    let mut b = SqlBuf::new(
        "SELECT a.enterprise_id, a.occurred_on AS day, '' AS number FROM accident a \
         WHERE a.enterprise_id IN ",
    );
    b.bind_list(id_list());
    b.push(" AND a.occurred_on > ");
    b.bind(Arg::Text(start.clone()));
    b.push(" AND a.occurred_on <= ");
    b.bind(Arg::Text(d.clone()));
    for r in b.fetch_all::<DayRow>(db).await? {
        if let (Some(day), Some(f)) = (parse_date(&r.day), out.get_mut(&r.enterprise_id)) {
            f.accidents.push(day);
        }
    }

    let mut b = SqlBuf::new(
        "SELECT c.enterprise_id, c.revoked_on AS day, c.number FROM certificate c \
         WHERE c.enterprise_id IN ",
    );
    b.bind_list(id_list());
    b.push(" AND c.revoked_on > ");
    b.bind(Arg::Text(start));
    b.push(" AND c.revoked_on <= ");
    b.bind(Arg::Text(d.clone()));
    for r in b.fetch_all::<DayRow>(db).await? {
        if let (Some(day), Some(f)) = (parse_date(&r.day), out.get_mut(&r.enterprise_id)) {
            f.revocations.push((day, r.number));
        }
    }

    let mut b = SqlBuf::new("SELECT e.id, e.above_scale, CASE WHEN ");
    started(&mut b, &d);
    b.push(" THEN CAST(1 AS BIGINT) ELSE CAST(0 AS BIGINT) END AS started FROM enterprise e WHERE e.id IN ");
    b.bind_list(id_list());
    let flags = b.fetch_all::<FlagRow>(db).await?;

    let mut b = SqlBuf::new(
        "SELECT x.enterprise_id, x.designation, x.since FROM enterprise_designation x \
         WHERE x.enterprise_id IN ",
    );
    b.bind_list(id_list());
    b.push(" AND x.since <= ");
    b.bind(Arg::Text(d.clone()));
    b.push(" AND (x.until IS NULL OR x.until > ");
    b.bind(Arg::Text(d));
    b.push(") ORDER BY x.since");
    for r in b.fetch_all::<DesignationRow>(db).await? {
        if let (Some(since), Some(f)) = (parse_date(&r.since), out.get_mut(&r.enterprise_id)) {
            f.designations.push((r.designation, since));
        }
    }

    for r in flags {
        let Some(f) = out.get_mut(&r.id) else {
            continue;
        };
        f.above_scale = r.above_scale;
        f.certificates.sort_by_key(|c| (c.grade, c.valid_until));
        f.accidents.sort_by_key(|d| std::cmp::Reverse(*d));
        f.revocations.sort_by_key(|r| std::cmp::Reverse(r.0));
        let grades: Vec<Grade> = f.certificates.iter().map(|c| c.grade).collect();
        f.key_supervision = key_statuses.contains(&Status::of(&grades, r.started != 0));
    }
    Ok(out)
}

/// How many designations are on file (the demo writes its own once).
pub async fn count_designations(db: &Db) -> Result<i64, StoreError> {
    let b = SqlBuf::new("SELECT COUNT(*) FROM enterprise_designation");
    let n: Option<(i64,)> = b.fetch_optional(db).await?;
    Ok(n.map_or(0, |r| r.0))
}

/// A designation as recorded.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct DesignationRecord {
    pub id: i64,
    pub enterprise_id: i64,
    pub designation: String,
    pub since: String,
    pub until: Option<String>,
    pub basis: String,
    pub recorded_by: String,
    pub ended_by: Option<String>,
    pub end_reason: Option<String>,
}

const DESIGNATION_SELECT: &str = "SELECT id, enterprise_id, designation, since, until, basis, \
     recorded_by, ended_by, end_reason FROM enterprise_designation";

/// Every designation of an enterprise, current and ended, latest first.
pub async fn designations_of(
    db: &Db,
    enterprise_id: i64,
) -> Result<Vec<DesignationRecord>, StoreError> {
    let mut b = SqlBuf::new(DESIGNATION_SELECT);
    b.push(" WHERE enterprise_id = ");
    b.bind(Arg::Int(enterprise_id));
    b.push(" ORDER BY since DESC, id DESC");
    b.fetch_all(db).await
}

/// One designation by id.
pub async fn designation(db: &Db, id: i64) -> Result<DesignationRecord, StoreError> {
    let mut b = SqlBuf::new(DESIGNATION_SELECT);
    b.push(" WHERE id = ");
    b.bind(Arg::Int(id));
    b.fetch_optional(db).await?.ok_or(StoreError::NotFound)
}

/// Records a designation from `since` (the caller has checked who may and that the enterprise
/// is in the actor's scope); refused while the same designation of the enterprise runs on.
pub async fn designate(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    enterprise_id: i64,
    (key, name): (&str, &str),
    since: Date,
    basis: &str,
) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    crate::enterprise::in_scope_tx(&mut tx, scope, enterprise_id).await?;
    // A new period runs on from `since`: it may not begin while another of the same
    // designation holds (one running on, or one ended after `since`).
    const HELD: &str = "SELECT until FROM enterprise_designation WHERE enterprise_id = $1 \
        AND designation = $2 AND (until IS NULL OR until > $3) ORDER BY since DESC LIMIT 1";
    let held: Option<Option<String>> = with_tx!(&mut tx, |c| sqlx::query_scalar(HELD)
        .bind(enterprise_id)
        .bind(key)
        .bind(format_date(since))
        .fetch_optional(c)
        .await)?;
    match held {
        Some(None) => {
            return Err(StoreError::Conflict(format!(
                "该企业已认定为{name}，如需更改请先终止现有认定"
            )));
        }
        Some(Some(until)) => {
            return Err(StoreError::Conflict(format!(
                "该企业此前的{name}认定至 {until} 终止，新认定的日期应不早于 {until}"
            )));
        }
        None => {}
    }
    const SQL: &str = "INSERT INTO enterprise_designation \
        (enterprise_id, designation, since, basis, recorded_by, recorded_at) \
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(enterprise_id)
        .bind(key)
        .bind(format_date(since))
        .bind(basis)
        .bind(&actor.username)
        .bind(now_secs())
        .fetch_one(c)
        .await)?;
    let ev = Event::new(
        "enterprise.designate",
        format!("enterprise:{enterprise_id}"),
    )
    .detail(format!("认定为{name}，自{}起：{basis}", format_date(since)));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// Ends a designation from `until` (the caller has checked who may); the row stays on file.
pub async fn end_designation(
    db: &Db,
    actor: &Actor,
    scope: &Scope,
    rec: &DesignationRecord,
    name: &str,
    until: Date,
    reason: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    crate::enterprise::in_scope_tx(&mut tx, scope, rec.enterprise_id).await?;
    const SQL: &str = "UPDATE enterprise_designation SET until = $1, ended_by = $2, end_reason = $3 \
        WHERE id = $4 AND enterprise_id = $5 AND until IS NULL";
    let n = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(format_date(until))
        .bind(&actor.username)
        .bind(reason)
        .bind(rec.id)
        .bind(rec.enterprise_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n != 1 {
        return Err(StoreError::Conflict(format!("这项“{name}”认定已经终止")));
    }
    let ev = Event::new(
        "enterprise.designation_end",
        format!("enterprise:{}", rec.enterprise_id),
    )
    .detail(format!(
        "终止{name}认定（自{}起），自{}起不再认定：{reason}",
        rec.since,
        format_date(until)
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}
