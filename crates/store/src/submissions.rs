//! Units' submissions against a programme's deadlines, and the city's decisions on them.

use anbiao_domain::date::format_date;
use sha2::{Digest, Sha256};
use time::Date;

use crate::audit_log::{self, Actor, Event};
use crate::db::now_secs;
use crate::{Db, StoreError, with_pool, with_tx};

pub struct NewSubmission<'a> {
    pub programme_id: &'a str,
    pub deadline_key: &'a str,
    pub unit: &'a str,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    /// For a list: the enterprises it names (already checked to be the unit's).
    pub enterprise_ids: &'a [i64],
    pub note: Option<&'a str>,
    pub on: Date,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Submission {
    pub id: i64,
    pub programme_id: String,
    pub deadline_key: String,
    pub unit: String,
    pub state: String,
    pub file_name: String,
    pub file_sha256: String,
    pub file_size: i64,
    pub note: Option<String>,
    pub submitted_by: String,
    pub submitted_on: String,
    pub decided_by: Option<String>,
    pub decided_on: Option<String>,
    pub decision_reason: Option<String>,
    pub enterprises: i64,
}

const COLUMNS: &str = "s.id, s.programme_id, s.deadline_key, s.unit, s.state, s.file_name, s.file_sha256, \
    s.file_size, s.note, s.submitted_by, s.submitted_on, s.decided_by, s.decided_on, s.decision_reason, \
    (SELECT COUNT(*) FROM submission_enterprise x WHERE x.submission_id = s.id) AS enterprises";

/// Records a submission. Refused while an earlier one awaits a decision or once one is accepted.
pub async fn submit(db: &Db, actor: &Actor, n: &NewSubmission<'_>) -> Result<i64, StoreError> {
    let mut tx = db.begin().await?;
    const OPEN: &str = "SELECT state FROM submission WHERE programme_id = $1 AND deadline_key = $2 \
        AND unit = $3 AND state IN ('submitted', 'accepted') LIMIT 1";
    let open: Option<String> = with_tx!(&mut tx, |c| sqlx::query_scalar(OPEN)
        .bind(n.programme_id)
        .bind(n.deadline_key)
        .bind(n.unit)
        .fetch_optional(c)
        .await)?;
    match open.as_deref() {
        Some("accepted") => return Err(StoreError::Conflict("该事项已通过审核，无需再报".into())),
        Some(_) => {
            return Err(StoreError::Conflict(
                "该事项已报送，正在等待市局审核".into(),
            ));
        }
        None => {}
    }
    let digest: String = Sha256::digest(n.bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    const SQL: &str = "INSERT INTO submission (programme_id, deadline_key, unit, state, file_name, file_sha256, \
        file_size, file_bytes, note, submitted_by, submitted_on, submitted_at) \
        VALUES ($1, $2, $3, 'submitted', $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(n.programme_id)
        .bind(n.deadline_key)
        .bind(n.unit)
        .bind(n.file_name)
        .bind(&digest)
        .bind(n.bytes.len() as i64)
        .bind(n.bytes)
        .bind(n.note)
        .bind(&actor.username)
        .bind(format_date(n.on))
        .bind(now_secs())
        .fetch_one(c)
        .await)?;
    const ITEM: &str =
        "INSERT INTO submission_enterprise (submission_id, enterprise_id) VALUES ($1, $2)";
    for e in n.enterprise_ids {
        with_tx!(&mut tx, |c| sqlx::query(ITEM)
            .bind(id)
            .bind(*e)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    let ev = Event::new("submission.submit", format!("submission:{id}")).detail(format!(
        "{}报送“{}”：{}（{} 字节，SHA-256 {}）{}",
        n.unit,
        n.deadline_key,
        n.file_name,
        n.bytes.len(),
        &digest[..16],
        if n.enterprise_ids.is_empty() {
            String::new()
        } else {
            format!("，名单 {} 家", n.enterprise_ids.len())
        }
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// Every submission of a programme, oldest first (without the files).
pub async fn of_programme(db: &Db, programme_id: &str) -> Result<Vec<Submission>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM submission s WHERE s.programme_id = $1 ORDER BY s.id");
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Submission>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(programme_id)
    .fetch_all(p)
    .await)?)
}

pub async fn get(db: &Db, id: i64) -> Result<Submission, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM submission s WHERE s.id = $1");
    with_pool!(db, |p| sqlx::query_as::<_, Submission>(
        sqlx::AssertSqlSafe(sql.clone())
    )
    .bind(id)
    .fetch_optional(p)
    .await)?
    .ok_or(StoreError::NotFound)
}

/// The submitted file.
pub async fn file(db: &Db, id: i64) -> Result<Vec<u8>, StoreError> {
    const SQL: &str = "SELECT file_bytes FROM submission WHERE id = $1";
    with_pool!(db, |p| sqlx::query_scalar::<_, Vec<u8>>(SQL)
        .bind(id)
        .fetch_optional(p)
        .await)?
    .ok_or(StoreError::NotFound)
}

/// The enterprises a list names: (id, name, credit code).
pub async fn enterprises(db: &Db, id: i64) -> Result<Vec<(i64, String, String)>, StoreError> {
    const SQL: &str = "SELECT e.id, e.name, e.credit_code FROM submission_enterprise x \
        JOIN enterprise e ON e.id = x.enterprise_id WHERE x.submission_id = $1 ORDER BY e.name";
    Ok(with_pool!(db, |p| sqlx::query_as::<
        _,
        (i64, String, String),
    >(SQL)
    .bind(id)
    .fetch_all(p)
    .await)?)
}

/// The city accepts a submission, or returns it with the reason. Only a submission awaiting a
/// decision can be decided (of two concurrent decisions, one wins).
pub async fn decide(
    db: &Db,
    actor: &Actor,
    id: i64,
    accept: bool,
    reason: Option<&str>,
    on: Date,
) -> Result<(), StoreError> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if !accept && reason.is_none() {
        return Err(StoreError::Invalid("退回须写明理由".into()));
    }
    let s = get(db, id).await?;
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE submission SET state = $1, decided_by = $2, decided_on = $3, \
        decision_reason = $4 WHERE id = $5 AND state = 'submitted'";
    let n = with_tx!(&mut tx, |c| sqlx::query(SQL)
        .bind(if accept { "accepted" } else { "returned" })
        .bind(&actor.username)
        .bind(format_date(on))
        .bind(reason)
        .bind(id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(StoreError::Conflict("该报送已审核，不能重复处理".into()));
    }
    let ev = Event::new(
        if accept {
            "submission.accept"
        } else {
            "submission.return"
        },
        format!("submission:{id}"),
    )
    .detail(format!(
        "{}“{}”的报送{}{}",
        s.unit,
        s.deadline_key,
        if accept { "通过" } else { "退回" },
        reason.map(|r| format!("：{r}")).unwrap_or_default()
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}
