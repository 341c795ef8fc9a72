//! Assessments of a case: a self-assessment or an evaluation, item by item, with the outcome the
//! scoring engine computed on the case's sheet.

use anbiao_domain::Scope;
use anbiao_domain::scoring::{Entry, ItemInput, Outcome};
use serde::Serialize;
use sqlx::FromRow;
use time::OffsetDateTime;

use crate::audit_log::{self, Actor, Event};
use crate::db::Db;
use crate::error::StoreError;
use crate::{grading, with_pool, with_tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    SelfAssessment,
    Evaluation,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Self::SelfAssessment => "self",
            Self::Evaluation => "evaluation",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::SelfAssessment => "自评",
            Self::Evaluation => "评审",
        }
    }
}

#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct Assessment {
    pub id: i64,
    pub case_id: i64,
    pub kind: String,
    pub sheet_id: String,
    pub sheet_version: i64,
    /// Tenths of a percent.
    pub score: i64,
    /// Tenths of a point.
    pub earned: i64,
    pub not_applicable: i64,
    /// Comma-separated failed veto items.
    pub vetoed: String,
    pub report: String,
    pub submitted_by: String,
    pub submitted_at: i64,
}

#[derive(Debug, Clone, FromRow, Serialize, PartialEq, Eq)]
pub struct AssessmentItem {
    pub item: String,
    pub entry: String,
    pub points: Option<i64>,
    pub veto_failed: bool,
    pub note: String,
}

/// An assessment to store: entries with notes, and the outcome the engine computed.
#[derive(Debug, Clone)]
pub struct NewAssessment<'a> {
    pub case_id: i64,
    pub kind: Kind,
    pub inputs: &'a [(ItemInput, String)],
    pub outcome: &'a Outcome,
    pub report: &'a str,
    /// The business date it was performed on.
    pub performed_on: time::Date,
}

/// Stores an assessment of a case within the scope.
pub async fn submit(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    a: &NewAssessment<'_>,
) -> Result<i64, StoreError> {
    let NewAssessment {
        case_id,
        kind,
        inputs,
        outcome,
        report,
        performed_on,
    } = *a;
    let case = grading::get(db, scope, case_id).await?;
    let mut tx = db.begin().await?;
    const SQL: &str = "INSERT INTO assessment (case_id, kind, sheet_id, sheet_version, score, earned, not_applicable, \
        vetoed, report, submitted_by, submitted_at, performed_on) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id";
    let id: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(SQL)
        .bind(case_id)
        .bind(kind.key())
        .bind(&case.sheet_id)
        .bind(case.sheet_version)
        .bind(outcome.score.0)
        .bind(outcome.earned.0)
        .bind(outcome.not_applicable.0)
        .bind(outcome.vetoed.join(","))
        .bind(report.trim())
        .bind(&actor.username)
        .bind(OffsetDateTime::now_utc().unix_timestamp())
        .bind(anbiao_domain::date::format_date(performed_on))
        .fetch_one(c)
        .await)?;
    const ITEM: &str = "INSERT INTO assessment_item (assessment_id, item, entry, points, veto_failed, note) \
        VALUES ($1, $2, $3, $4, $5, $6)";
    for (i, note) in inputs {
        let (entry, points) = match i.entry {
            Entry::NotApplicable => ("not_applicable", None),
            Entry::Earned(p) => ("earned", Some(p.0)),
            Entry::Deducted(p) => ("deducted", Some(p.0)),
        };
        with_tx!(&mut tx, |c| sqlx::query(ITEM)
            .bind(id)
            .bind(&i.item)
            .bind(entry)
            .bind(points)
            .bind(i.veto_failed)
            .bind(note.trim())
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    let ev = Event::new(
        &format!("assessment.{}", kind.key()),
        format!("case:{case_id}"),
    )
    .states(
        None::<&()>,
        Some(&inputs.iter().map(|(i, _)| i).collect::<Vec<_>>()),
    )
    .detail(format!(
        "提交{}：得分 {}（{}）{}",
        kind.label(),
        outcome.score,
        outcome.sheet,
        if outcome.vetoed() {
            format!("，否决项不合格：{}", outcome.vetoed.join("、"))
        } else {
            String::new()
        }
    ));
    audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(id)
}

/// The latest assessment of a kind for a case within the scope.
pub async fn latest(
    db: &Db,
    scope: &Scope,
    case_id: i64,
    kind: Kind,
) -> Result<Option<Assessment>, StoreError> {
    grading::get(db, scope, case_id).await?;
    const SQL: &str = "SELECT id, case_id, kind, sheet_id, sheet_version, score, earned, not_applicable, vetoed, \
        report, submitted_by, submitted_at FROM assessment WHERE case_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, Assessment>(SQL)
        .bind(case_id)
        .bind(kind.key())
        .fetch_optional(p)
        .await)?)
}

pub async fn items(db: &Db, assessment_id: i64) -> Result<Vec<AssessmentItem>, StoreError> {
    const SQL: &str = "SELECT item, entry, points, veto_failed, note FROM assessment_item \
        WHERE assessment_id = $1 ORDER BY item";
    Ok(with_pool!(db, |p| sqlx::query_as::<_, AssessmentItem>(
        SQL
    )
    .bind(assessment_id)
    .fetch_all(p)
    .await)?)
}
