//! What the quality page reads: self-assessment texts and evaluation dates per evaluator.

use std::collections::HashMap;

use anbiao_domain::Scope;
use anbiao_domain::date::{format_date, parse_date};
use time::{Date, OffsetDateTime};

use crate::enterprise::push_scope;
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, bind_args, with_pool};

/// A self-assessment's text: its report and item notes.
#[derive(Debug, Clone)]
pub struct SelfText {
    pub assessment_id: i64,
    pub case_id: i64,
    pub enterprise_id: i64,
    pub enterprise_name: String,
    pub performed_on: String,
    pub text: String,
}

#[derive(sqlx::FromRow)]
struct SelfRow {
    id: i64,
    case_id: i64,
    enterprise_id: i64,
    name: String,
    performed_on: Option<String>,
    submitted_at: i64,
    report: String,
}

fn case_scope(b: &mut SqlBuf, scope: &Scope) {
    push_scope(b, scope, "c.enterprise_id", "c.region_code", "c.township");
}

/// The date of a row: its business date, or the day it was recorded.
fn day_of(performed_on: Option<&str>, submitted_at: i64) -> Date {
    performed_on.and_then(parse_date).unwrap_or_else(|| {
        OffsetDateTime::from_unix_timestamp(submitted_at)
            .map(|t| t.date())
            .unwrap_or(Date::MIN)
    })
}

/// Self-assessments within `scope` performed on or after `since`, with their texts.
pub async fn self_texts(db: &Db, scope: &Scope, since: Date) -> Result<Vec<SelfText>, StoreError> {
    let from = "FROM assessment a JOIN grading_case c ON c.id = a.case_id \
        JOIN enterprise e ON e.id = c.enterprise_id WHERE a.kind = 'self' \
        AND (a.performed_on IS NULL OR a.performed_on >= ";
    let mut b = SqlBuf::new(&format!(
        "SELECT a.id, a.case_id, c.enterprise_id, e.name, a.performed_on, a.submitted_at, a.report {from}"
    ));
    b.bind(Arg::Text(format_date(since)));
    b.push(")");
    case_scope(&mut b, scope);
    b.push(" ORDER BY a.id");
    let sql = b.render(db.backend());
    let rows: Vec<SelfRow> = with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, SelfRow>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?;

    let mut n = SqlBuf::new(
        "SELECT i.assessment_id, i.note FROM assessment_item i JOIN assessment a ON a.id = i.assessment_id \
         JOIN grading_case c ON c.id = a.case_id WHERE a.kind = 'self' AND i.note <> '' \
         AND (a.performed_on IS NULL OR a.performed_on >= ",
    );
    n.bind(Arg::Text(format_date(since)));
    n.push(")");
    case_scope(&mut n, scope);
    n.push(" ORDER BY i.assessment_id, i.item");
    let sql = n.render(db.backend());
    let notes: Vec<(i64, String)> = with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql.clone())),
        &n.args
    )
    .fetch_all(p)
    .await)?;
    let mut by_assessment: HashMap<i64, Vec<String>> = HashMap::new();
    for (id, note) in notes {
        by_assessment.entry(id).or_default().push(note);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let mut text = r.report;
            for note in by_assessment.remove(&r.id).unwrap_or_default() {
                text.push('\n');
                text.push_str(&note);
            }
            SelfText {
                assessment_id: r.id,
                case_id: r.case_id,
                enterprise_id: r.enterprise_id,
                enterprise_name: r.name,
                performed_on: format_date(day_of(r.performed_on.as_deref(), r.submitted_at)),
                text,
            }
        })
        .collect())
}

/// One evaluation an evaluator took part in.
#[derive(Debug, Clone)]
pub struct EvaluationDay {
    pub case_id: i64,
    pub on: Date,
    /// Whether the case is within the reader's scope (only those are named on the page).
    pub visible: bool,
}

/// An evaluator and the evaluations they took part in since `since`.
#[derive(Debug, Clone)]
pub struct EvaluatorLoad {
    pub evaluator_id: i64,
    pub name: String,
    pub org_name: String,
    pub evaluations: Vec<EvaluationDay>,
}

#[derive(sqlx::FromRow)]
struct EvalRow {
    case_id: i64,
    team: String,
    performed_on: Option<String>,
    submitted_at: i64,
}

/// Every evaluator's evaluations since `since`, across the city (a workload is only plausible
/// or not as a whole), marking which cases `scope` may see. Evaluators with no evaluation in
/// the scope are left out.
pub async fn evaluator_loads(
    db: &Db,
    scope: &Scope,
    since: Date,
) -> Result<Vec<EvaluatorLoad>, StoreError> {
    const ALL: &str = "SELECT a.case_id, ca.team, a.performed_on, a.submitted_at FROM assessment a \
        JOIN case_assignment ca ON ca.case_id = a.case_id \
        WHERE a.kind = 'evaluation' AND (a.performed_on IS NULL OR a.performed_on >= $1) ORDER BY a.id";
    let rows: Vec<EvalRow> = with_pool!(db, |p| sqlx::query_as::<_, EvalRow>(ALL)
        .bind(format_date(since))
        .fetch_all(p)
        .await)?;
    let mut v = SqlBuf::new("SELECT c.id FROM grading_case c WHERE 1 = 1");
    case_scope(&mut v, scope);
    let sql = v.render(db.backend());
    let visible: std::collections::HashSet<i64> = with_pool!(db, |p| bind_args!(
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone())),
        &v.args
    )
    .fetch_all(p)
    .await)?
    .into_iter()
    .collect();
    const WHO: &str =
        "SELECT m.id, m.name, o.name FROM evaluator m JOIN evaluation_org o ON o.id = m.org_id";
    let who: HashMap<i64, (String, String)> =
        with_pool!(db, |p| sqlx::query_as::<_, (i64, String, String)>(WHO)
            .fetch_all(p)
            .await)?
        .into_iter()
        .map(|(id, name, org)| (id, (name, org)))
        .collect();
    let mut loads: HashMap<i64, Vec<EvaluationDay>> = HashMap::new();
    for r in rows {
        let on = day_of(r.performed_on.as_deref(), r.submitted_at);
        for id in r
            .team
            .split(',')
            .filter_map(|t| t.trim().parse::<i64>().ok())
        {
            loads.entry(id).or_default().push(EvaluationDay {
                case_id: r.case_id,
                on,
                visible: visible.contains(&r.case_id),
            });
        }
    }
    let mut out: Vec<EvaluatorLoad> = loads
        .into_iter()
        .filter(|(_, days)| days.iter().any(|d| d.visible))
        .filter_map(|(id, evaluations)| {
            let (name, org_name) = who.get(&id)?.clone();
            Some(EvaluatorLoad {
                evaluator_id: id,
                name,
                org_name,
                evaluations,
            })
        })
        .collect();
    out.sort_by_key(|l| l.evaluator_id);
    Ok(out)
}

/// An evaluation whose score a later audit of the same enterprise fell far below.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditGap {
    pub case_id: i64,
    pub enterprise_name: String,
    /// Tenths of a percent.
    pub evaluation_score: i64,
    pub evaluated_on: Option<String>,
    pub audit_score: i64,
    pub audited_on: String,
}

/// Evaluations within `scope` scored at least `gap_tenths` above a later audit's score.
pub async fn audit_gaps(
    db: &Db,
    scope: &Scope,
    gap_tenths: i64,
) -> Result<Vec<AuditGap>, StoreError> {
    let mut b = SqlBuf::new(
        "SELECT c.id AS case_id, e.name AS enterprise_name, a.score AS evaluation_score, \
         a.performed_on AS evaluated_on, q.score AS audit_score, q.performed_on AS audited_on \
         FROM assessment a JOIN grading_case c ON c.id = a.case_id \
         JOIN enterprise e ON e.id = c.enterprise_id \
         JOIN quality_audit q ON q.enterprise_id = c.enterprise_id \
         WHERE a.kind = 'evaluation' AND q.score IS NOT NULL \
         AND q.performed_on >= COALESCE(a.performed_on, c.opened_on) AND a.score - q.score >= ",
    );
    b.bind(Arg::Int(gap_tenths));
    case_scope(&mut b, scope);
    b.push(" ORDER BY a.score - q.score DESC, c.id LIMIT 200");
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, AuditGap>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}
