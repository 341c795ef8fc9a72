//! The counts behind a programme's figures, taken as of a day from dated records: enterprises'
//! active_from/closed_on, certificates' validity, revocation and supersession dates, case and
//! assessment dates, audit dates. Counts are per unit (`region.unit`) of the enterprise's region.

use std::collections::BTreeMap;

use anbiao_domain::Scope;
use anbiao_domain::date::format_date;
use anbiao_domain::programme::{Metric, UnitCounts};
use time::Date;

use crate::enterprise::push_scope;
use crate::sql::{Arg, SqlBuf};
use crate::{Db, StoreError, bind_args, with_pool};

/// `e` operating on the day bound next (two placeholders).
fn active(b: &mut SqlBuf, d: &str) {
    b.push(" e.active_from <= ");
    b.bind(Arg::Text(d.into()));
    b.push(" AND (e.closed_on IS NULL OR e.closed_on > ");
    b.bind(Arg::Text(d.into()));
    b.push(")");
}

/// Certificate `c` valid on the day (five placeholders).
fn valid(b: &mut SqlBuf, d: &str) {
    b.push(" c.valid_from <= ");
    b.bind(Arg::Text(d.into()));
    b.push(" AND c.valid_until >= ");
    b.bind(Arg::Text(d.into()));
    b.push(" AND (c.revoked_on IS NULL OR c.revoked_on > ");
    b.bind(Arg::Text(d.into()));
    b.push(") AND (c.superseded_on IS NULL OR c.superseded_on > ");
    b.bind(Arg::Text(d.into()));
    b.push(")");
}

const SMALL_MICRO: &str = "CASE WHEN e.size_class IN ('small', 'micro') THEN 1 ELSE 0 END";
const ABOVE: &str = "CASE WHEN e.above_scale THEN 1 ELSE 0 END";

async fn rows<T>(db: &Db, b: &SqlBuf) -> Result<Vec<T>, StoreError>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let sql = b.render(db.backend());
    Ok(with_pool!(db, |p| bind_args!(
        sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql.clone())),
        &b.args
    )
    .fetch_all(p)
    .await)?)
}

fn n(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Counts per unit on `on`; audits count from `since` (the programme's start) to `on`.
/// Everything but audits comes from the running sums of `standing`, brought up to date first.
pub async fn counts(
    db: &Db,
    on: Date,
    since: Date,
) -> Result<BTreeMap<String, UnitCounts>, StoreError> {
    crate::standing::refresh(db).await?;
    let mut out = crate::standing::sums(db, on).await?;
    audits(db, on, since, &mut out, UnitOf::Stored).await?;
    Ok(out)
}

/// [`counts`] on each of `days`, for a chart: the sums per day, and the audits of the whole
/// period read once (each enterprise's first audit and first rectification in it).
pub async fn counts_on_days(
    db: &Db,
    days: &[Date],
    since: Date,
) -> Result<Vec<BTreeMap<String, UnitCounts>>, StoreError> {
    crate::standing::refresh(db).await?;
    let Some(last) = days.iter().max() else {
        return Ok(Vec::new());
    };
    let (from, to) = (format_date(since), format_date(*last));
    let sql = format!(
        "SELECT q.unit, MIN(q.performed_on), \
         MIN(CASE WHEN q.classification IN ('rectify', 'eliminate') THEN q.performed_on END) \
         FROM quality_audit q WHERE q.grade = 'three' AND q.performed_on >= '{from}' \
         AND q.performed_on <= '{to}' AND q.unit IS NOT NULL GROUP BY q.unit, q.enterprise_id"
    );
    let firsts: Vec<(String, String, Option<String>)> =
        with_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .persistent(false)
            .fetch_all(p)
            .await)?;
    let mut out = Vec::with_capacity(days.len());
    for d in days {
        let mut c = crate::standing::sums(db, *d).await?;
        let day = format_date(*d);
        for (unit, first, first_rectify) in &firsts {
            if *first <= day {
                let u = c.entry(unit.clone()).or_default();
                u.grade_three_audited += 1;
                if first_rectify.as_ref().is_some_and(|r| *r <= day) {
                    u.rectification += 1;
                }
            }
        }
        out.push(c);
    }
    Ok(out)
}

/// The same counts as [`counts`], by scanning the records themselves: the reference the sums
/// are tested against, and the benchmark's comparison.
pub async fn counts_by_scan(
    db: &Db,
    on: Date,
    since: Date,
) -> Result<BTreeMap<String, UnitCounts>, StoreError> {
    let d = format_date(on);
    let mut out: BTreeMap<String, UnitCounts> = BTreeMap::new();

    // Operating enterprises by kind.
    let mut b = SqlBuf::new(&format!(
        "SELECT r.unit, COUNT(*), SUM({ABOVE}), SUM({SMALL_MICRO}) \
         FROM enterprise e JOIN region r ON r.code = e.region_code WHERE"
    ));
    active(&mut b, &d);
    b.push(" GROUP BY r.unit");
    for (unit, all, above, sm) in rows::<(String, i64, i64, i64)>(db, &b).await? {
        let c = out.entry(unit).or_default();
        c.active = n(all);
        c.above_scale = n(above);
        c.below_scale = n(all - above);
        c.small_micro = n(sm);
    }

    // Enterprises holding a valid certificate of each grade.
    let mut b = SqlBuf::new(
        "SELECT r.unit, c.grade, COUNT(DISTINCT e.id) \
         FROM certificate c JOIN enterprise e ON e.id = c.enterprise_id \
         JOIN region r ON r.code = e.region_code WHERE",
    );
    valid(&mut b, &d);
    b.push(" AND");
    active(&mut b, &d);
    b.push(" GROUP BY r.unit, c.grade");
    for (unit, grade, count) in rows::<(String, String, i64)>(db, &b).await? {
        let c = out.entry(unit).or_default();
        match grade.as_str() {
            "one" => c.grade_one = n(count),
            "two" => c.grade_two = n(count),
            "three" => c.grade_three = n(count),
            _ => {}
        }
    }

    // Enterprises holding any valid certificate (once, whatever they hold), by kind.
    let mut b = SqlBuf::new(&format!(
        "SELECT r.unit, CAST({ABOVE} AS BIGINT), CAST({SMALL_MICRO} AS BIGINT), COUNT(*) \
         FROM enterprise e JOIN region r ON r.code = e.region_code WHERE"
    ));
    active(&mut b, &d);
    b.push(" AND EXISTS (SELECT 1 FROM certificate c WHERE c.enterprise_id = e.id AND");
    valid(&mut b, &d);
    b.push(&format!(") GROUP BY r.unit, {ABOVE}, {SMALL_MICRO}"));
    for (unit, above, sm, count) in rows::<(String, i64, i64, i64)>(db, &b).await? {
        let c = out.entry(unit).or_default();
        let k = n(count);
        if above == 1 {
            c.above_scale_certified += k;
        } else {
            c.below_scale_certified += k;
        }
        if sm == 1 {
            c.small_micro_certified += k;
        }
    }

    // 规上 enterprises that have self-assessed (a grading self-assessment, an annual
    // self-assessment) or hold a valid certificate.
    let mut b = SqlBuf::new(
        "SELECT r.unit, COUNT(*) FROM enterprise e JOIN region r ON r.code = e.region_code \
         WHERE e.above_scale AND",
    );
    active(&mut b, &d);
    b.push(
        " AND (EXISTS (SELECT 1 FROM grading_case g JOIN assessment a ON a.case_id = g.id \
         WHERE g.enterprise_id = e.id AND a.kind = 'self' AND COALESCE(a.performed_on, g.opened_on) <= ",
    );
    b.bind(Arg::Text(d.clone()));
    b.push(
        ") OR EXISTS (SELECT 1 FROM certificate c JOIN annual_self_assessment s ON s.certificate_id = c.id \
         WHERE c.enterprise_id = e.id AND s.submitted_on <= ",
    );
    b.bind(Arg::Text(d.clone()));
    b.push(") OR EXISTS (SELECT 1 FROM certificate c WHERE c.enterprise_id = e.id AND");
    valid(&mut b, &d);
    b.push(")) GROUP BY r.unit");
    for (unit, count) in rows::<(String, i64)>(db, &b).await? {
        out.entry(unit).or_default().above_scale_self_assessed = n(count);
    }

    // Small-micro enterprises that have started: a case opened, or a certificate held.
    let mut b = SqlBuf::new(&format!(
        "SELECT r.unit, COUNT(*) FROM enterprise e JOIN region r ON r.code = e.region_code \
         WHERE {SMALL_MICRO} = 1 AND"
    ));
    active(&mut b, &d);
    b.push(" AND (EXISTS (SELECT 1 FROM grading_case g WHERE g.enterprise_id = e.id AND g.opened_on <= ");
    b.bind(Arg::Text(d.clone()));
    b.push(") OR EXISTS (SELECT 1 FROM certificate c WHERE c.enterprise_id = e.id AND c.valid_from <= ");
    b.bind(Arg::Text(d.clone()));
    b.push(")) GROUP BY r.unit");
    for (unit, count) in rows::<(String, i64)>(db, &b).await? {
        out.entry(unit).or_default().small_micro_started = n(count);
    }

    audits(db, on, since, &mut out, UnitOf::Joined).await?;
    Ok(out)
}

/// Where [`audits`] finds an audit's unit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum UnitOf {
    /// The unit the standing refresh wrote on the audit row (one index range, no join).
    Stored,
    /// The enterprise's region now (the scan the stored unit is tested against).
    Joined,
}

/// 三级 audits since the programme began, and those classed for rectification.
async fn audits(
    db: &Db,
    on: Date,
    since: Date,
    out: &mut BTreeMap<String, UnitCounts>,
    unit_of: UnitOf,
) -> Result<(), StoreError> {
    // Days from `Date`s (digits and dashes) are written into the statement so PostgreSQL plans
    // the range it is given rather than a generic one.
    let (from, to) = (format_date(since), format_date(on));
    let sql = match unit_of {
        UnitOf::Stored => format!(
            "SELECT q.unit, COUNT(DISTINCT q.enterprise_id), \
             COUNT(DISTINCT CASE WHEN q.classification IN ('rectify', 'eliminate') THEN q.enterprise_id END) \
             FROM quality_audit q WHERE q.grade = 'three' AND q.performed_on >= '{from}' \
             AND q.performed_on <= '{to}' AND q.unit IS NOT NULL GROUP BY q.unit"
        ),
        UnitOf::Joined => format!(
            "SELECT r.unit, COUNT(DISTINCT q.enterprise_id), \
             COUNT(DISTINCT CASE WHEN q.classification IN ('rectify', 'eliminate') THEN q.enterprise_id END) \
             FROM quality_audit q JOIN enterprise e ON e.id = q.enterprise_id \
             JOIN region r ON r.code = e.region_code WHERE q.grade = 'three' \
             AND q.performed_on >= '{from}' AND q.performed_on <= '{to}' GROUP BY r.unit"
        ),
    };
    let found: Vec<(String, i64, i64)> =
        with_pool!(db, |p| sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .persistent(false)
            .fetch_all(p)
            .await)?;
    for (unit, audited, rectify) in found {
        let c = out.entry(unit).or_default();
        c.grade_three_audited = n(audited);
        c.rectification = n(rectify);
    }
    Ok(())
}

/// Which side of a figure to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The enterprises counted in the numerator.
    Counted,
    /// The enterprises of the denominator not (yet) counted: those still missing.
    Missing,
}

/// An enterprise behind a figure.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Behind {
    pub id: i64,
    pub name: String,
    pub credit_code: String,
    pub region_code: String,
    pub size_class: Option<String>,
    pub above_scale: Option<bool>,
}

/// `qualifies` for `metric`: the numerator's condition on `e`, as of `d`, audits from `s`.
fn qualifies(b: &mut SqlBuf, metric: Metric, d: &str, s: &str) {
    let valid_of = |b: &mut SqlBuf, grade: Option<&str>| {
        b.push("EXISTS (SELECT 1 FROM certificate c WHERE c.enterprise_id = e.id AND");
        if let Some(g) = grade {
            b.push(" c.grade = ");
            b.bind(Arg::Text(g.into()));
            b.push(" AND");
        }
        valid(b, d);
        b.push(")");
    };
    let audited = |b: &mut SqlBuf, rectify: bool| {
        b.push("EXISTS (SELECT 1 FROM quality_audit q WHERE q.enterprise_id = e.id AND q.grade = 'three'");
        if rectify {
            b.push(" AND q.classification IN ('rectify', 'eliminate')");
        }
        b.push(" AND q.performed_on >= ");
        b.bind(Arg::Text(s.into()));
        b.push(" AND q.performed_on <= ");
        b.bind(Arg::Text(d.into()));
        b.push(")");
    };
    match metric {
        Metric::GradeOneCount => valid_of(b, Some("one")),
        Metric::GradeTwoCount => valid_of(b, Some("two")),
        Metric::GradeThreeAuditRate => audited(b, false),
        Metric::RectificationRate => audited(b, true),
        Metric::SmallMicroCertifiedRate
        | Metric::AboveScaleCertifiedRate
        | Metric::BelowScaleCertifiedRate => valid_of(b, None),
        Metric::SmallMicroCoverage => {
            b.push("(EXISTS (SELECT 1 FROM grading_case g WHERE g.enterprise_id = e.id AND g.opened_on <= ");
            b.bind(Arg::Text(d.into()));
            b.push(") OR EXISTS (SELECT 1 FROM certificate c WHERE c.enterprise_id = e.id AND c.valid_from <= ");
            b.bind(Arg::Text(d.into()));
            b.push("))");
        }
        Metric::AboveScaleSelfAssessedRate => {
            b.push(
                "(EXISTS (SELECT 1 FROM grading_case g JOIN assessment a ON a.case_id = g.id \
                 WHERE g.enterprise_id = e.id AND a.kind = 'self' AND COALESCE(a.performed_on, g.opened_on) <= ",
            );
            b.bind(Arg::Text(d.into()));
            b.push(
                ") OR EXISTS (SELECT 1 FROM certificate c JOIN annual_self_assessment s ON s.certificate_id = c.id \
                 WHERE c.enterprise_id = e.id AND s.submitted_on <= ",
            );
            b.bind(Arg::Text(d.into()));
            b.push(") OR ");
            valid_of(b, None);
            b.push(")");
        }
    }
}

/// The denominator's condition on `e` (None for a count: its list is the numerator only).
fn population(b: &mut SqlBuf, metric: Metric, d: &str) -> bool {
    match metric {
        Metric::GradeOneCount | Metric::GradeTwoCount => return false,
        Metric::GradeThreeAuditRate | Metric::RectificationRate => {
            active(b, d);
            b.push(" AND EXISTS (SELECT 1 FROM certificate c WHERE c.enterprise_id = e.id AND c.grade = 'three' AND");
            valid(b, d);
            b.push(")");
        }
        Metric::SmallMicroCoverage | Metric::SmallMicroCertifiedRate => {
            active(b, d);
            b.push(&format!(" AND {SMALL_MICRO} = 1"));
        }
        Metric::AboveScaleCertifiedRate | Metric::AboveScaleSelfAssessedRate => {
            active(b, d);
            b.push(" AND e.above_scale");
        }
        Metric::BelowScaleCertifiedRate => {
            active(b, d);
            b.push(" AND (e.above_scale IS NULL OR NOT e.above_scale)");
        }
    }
    true
}

/// The enterprises of `unit` behind `metric` on `on` within `scope`: counted, or still missing
/// (in the denominator, not in the numerator). At most `limit`, by name.
pub async fn behind(
    db: &Db,
    scope: &Scope,
    q: &BehindQuery<'_>,
) -> Result<Vec<Behind>, StoreError> {
    let d = format_date(q.on);
    let s = format_date(q.since);
    let mut b = SqlBuf::new(
        "SELECT e.id, e.name, e.credit_code, e.region_code, e.size_class, e.above_scale \
         FROM enterprise e JOIN region r ON r.code = e.region_code WHERE r.unit = ",
    );
    b.bind(Arg::Text(q.unit.into()));
    let counts_only = matches!(q.metric, Metric::GradeOneCount | Metric::GradeTwoCount);
    match q.side {
        Side::Counted => {
            b.push(" AND ");
            if counts_only
                || matches!(
                    q.metric,
                    Metric::GradeThreeAuditRate | Metric::RectificationRate
                )
            {
                // Counted as the count queries do: operating for certificates; any audited
                // enterprise for audits.
                if counts_only {
                    active(&mut b, &d);
                    b.push(" AND ");
                }
                qualifies(&mut b, q.metric, &d, &s);
            } else {
                population(&mut b, q.metric, &d);
                b.push(" AND ");
                qualifies(&mut b, q.metric, &d, &s);
            }
        }
        Side::Missing => {
            b.push(" AND ");
            if !population(&mut b, q.metric, &d) {
                return Ok(Vec::new());
            }
            b.push(" AND NOT ");
            qualifies(&mut b, q.metric, &d, &s);
        }
    }
    push_scope(&mut b, scope, "e.id", "e.region_code", "e.township");
    b.push(" ORDER BY e.name, e.id LIMIT ");
    b.bind(Arg::Int(q.limit.clamp(1, 5000)));
    rows::<Behind>(db, &b).await
}

/// What `behind` lists.
#[derive(Debug, Clone, Copy)]
pub struct BehindQuery<'a> {
    pub metric: Metric,
    pub unit: &'a str,
    pub on: Date,
    pub since: Date,
    pub side: Side,
    pub limit: i64,
}

/// The 一级/二级 pipeline of a unit on a day (seed 六（四）1: 申报一批、辅导一批、储备一批):
/// each operating enterprise counted once, at its furthest stage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pipeline {
    /// On an accepted list the unit submitted (the key-enterprise list).
    pub reserve: u64,
    /// Coached by an organisation.
    pub coached: u64,
    /// With an open 一级 or 二级 case.
    pub applying: u64,
    /// Holding a valid 一级 or 二级 certificate.
    pub graded: u64,
}

/// The pipeline per unit on `on`; `lists` are the programme's list deadlines (their accepted
/// submissions make the reserve).
pub async fn pipeline(
    db: &Db,
    programme_id: &str,
    lists: &[String],
    on: Date,
) -> Result<BTreeMap<String, Pipeline>, StoreError> {
    let d = format_date(on);
    // Driven from the few enterprises at some stage (一级/二级 certificates and cases, coaching,
    // accepted lists), each at its furthest stage, rather than from every enterprise.
    let mut b = SqlBuf::new(
        "SELECT r.unit, t.stage, COUNT(*) FROM (SELECT x.enterprise_id, MAX(x.stage) AS stage FROM (\
         SELECT c.enterprise_id, 4 AS stage FROM certificate c WHERE c.grade IN ('one', 'two') AND",
    );
    valid(&mut b, &d);
    b.push(
        " UNION ALL SELECT g.enterprise_id, 3 FROM grading_case g WHERE g.grade IN ('one', 'two') \
         AND g.state NOT IN ('withdrawn', 'failed', 'certified', 'externally_certified') AND g.opened_on <= ",
    );
    b.bind(Arg::Text(d.clone()));
    b.push(" UNION ALL SELECT k.enterprise_id, 2 FROM coaching k WHERE k.from_on <= ");
    b.bind(Arg::Text(d.clone()));
    b.push(
        " UNION ALL SELECT se.enterprise_id, 1 FROM submission_enterprise se \
         JOIN submission s ON s.id = se.submission_id WHERE s.programme_id = ",
    );
    b.bind(Arg::Text(programme_id.into()));
    b.push(" AND s.state = 'accepted' AND s.decided_on <= ");
    b.bind(Arg::Text(d.clone()));
    b.push(" AND s.deadline_key IN ");
    if lists.is_empty() {
        b.push("('')");
    } else {
        b.bind_list(lists.iter().cloned().map(Arg::Text));
    }
    // An audit recommending an upgrade (提升) puts the enterprise in reserve too (六（四）2:
    // 对基础条件好、认真开展标准化运行的企业，要推荐创建一、二级标准化).
    b.push(" UNION ALL SELECT q.enterprise_id, 1 FROM quality_audit q WHERE q.classification = 'upgrade' AND q.performed_on <= ");
    b.bind(Arg::Text(d.clone()));
    b.push(
        ") x GROUP BY x.enterprise_id) t JOIN enterprise e ON e.id = t.enterprise_id \
         JOIN region r ON r.code = e.region_code WHERE",
    );
    active(&mut b, &d);
    b.push(" GROUP BY r.unit, t.stage");
    let mut out: BTreeMap<String, Pipeline> = BTreeMap::new();
    for (unit, stage, count) in rows::<(String, i32, i64)>(db, &b).await? {
        let p = out.entry(unit).or_default();
        let k = n(count);
        match stage {
            4 => p.graded += k,
            3 => p.applying += k,
            2 => p.coached += k,
            _ => p.reserve += k,
        }
    }
    Ok(out)
}
