//! Mirrors the reference files into tables, so foreign keys and joins can use them.

use anbiao_domain::ReferenceData;
use anbiao_domain::date::format_date;

use crate::db::Db;
use crate::error::StoreError;
use crate::with_tx;

/// Inserts or updates every region and industry of the reference data. Rows no longer in the
/// files are kept (enterprises may still point at them).
pub async fn sync(db: &Db, data: &ReferenceData) -> Result<(), StoreError> {
    const REGION: &str = "INSERT INTO region (code, name, unit, kind, valid_from, valid_to, successor) \
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
        unit = excluded.unit, kind = excluded.kind, valid_from = excluded.valid_from, \
        valid_to = excluded.valid_to, successor = excluded.successor";
    const INDUSTRY: &str = "INSERT INTO industry (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET name = excluded.name";
    let mut tx = db.begin().await?;
    for r in data.regions.all() {
        let kind = match r.kind {
            anbiao_domain::region::RegionKind::County => "county",
            anbiao_domain::region::RegionKind::District => "district",
            anbiao_domain::region::RegionKind::Zone => "zone",
        };
        with_tx!(&mut tx, |c| sqlx::query(REGION)
            .bind(&r.code)
            .bind(&r.name)
            .bind(&r.unit)
            .bind(kind)
            .bind(r.validity.from.map(format_date))
            .bind(r.validity.to.map(format_date))
            .bind(&r.successor)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    for i in data.industries.all() {
        with_tx!(&mut tx, |c| sqlx::query(INDUSTRY)
            .bind(&i.code)
            .bind(&i.name)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    tx.commit().await
}

/// A digest input that changes when the shipped reference files change.
pub fn fingerprint() -> Vec<u8> {
    use anbiao_domain::reference::embedded;
    [
        embedded::REGIONS,
        embedded::INDUSTRIES,
        embedded::SIZE_RULES,
    ]
    .concat()
    .into_bytes()
}
