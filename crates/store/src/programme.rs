//! The counts behind a programme's figures, taken as of a day from dated records: enterprises'
//! active_from/closed_on, certificates' validity, revocation and supersession dates, case and
//! assessment dates, audit dates. Counts are per unit (`region.unit`) of the enterprise's region.

use std::collections::BTreeMap;

use anbiao_domain::date::format_date;
use anbiao_domain::programme::UnitCounts;
use time::Date;

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
pub async fn counts(
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

    // Enterprises holding a valid certificate, by grade and kind.
    let mut b = SqlBuf::new(&format!(
        "SELECT r.unit, c.grade, CAST({ABOVE} AS BIGINT), CAST({SMALL_MICRO} AS BIGINT), COUNT(DISTINCT e.id) \
         FROM certificate c JOIN enterprise e ON e.id = c.enterprise_id \
         JOIN region r ON r.code = e.region_code WHERE"
    ));
    valid(&mut b, &d);
    b.push(" AND");
    active(&mut b, &d);
    b.push(&format!(
        " GROUP BY r.unit, c.grade, {ABOVE}, {SMALL_MICRO}"
    ));
    for (unit, grade, above, sm, count) in rows::<(String, String, i64, i64, i64)>(db, &b).await? {
        let c = out.entry(unit).or_default();
        let k = n(count);
        match grade.as_str() {
            "one" => c.grade_one += k,
            "two" => c.grade_two += k,
            "three" => c.grade_three += k,
            _ => {}
        }
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

    // 三级 audits since the programme began, and those classed for rectification.
    let mut b = SqlBuf::new(
        "SELECT r.unit, COUNT(DISTINCT q.enterprise_id), \
         COUNT(DISTINCT CASE WHEN q.classification IN ('rectify', 'eliminate') THEN q.enterprise_id END) \
         FROM quality_audit q JOIN enterprise e ON e.id = q.enterprise_id \
         JOIN region r ON r.code = e.region_code WHERE q.grade = 'three' AND q.performed_on >= ",
    );
    b.bind(Arg::Text(format_date(since)));
    b.push(" AND q.performed_on <= ");
    b.bind(Arg::Text(d.clone()));
    b.push(" GROUP BY r.unit");
    for (unit, audited, rectify) in rows::<(String, i64, i64)>(db, &b).await? {
        let c = out.entry(unit).or_default();
        c.grade_three_audited = n(audited);
        c.rectification = n(rectify);
    }
    Ok(out)
}
