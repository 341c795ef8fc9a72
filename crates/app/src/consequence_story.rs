//! The demo's designations (认定) that the incentive and restriction measures of 六（五） read:
//! the state-owned industrial enterprises the owners' offices list (about one above-scale
//! enterprise in forty) and the city's 2017 诚信示范企业 (about one 达标 above-scale enterprise in
//! ten and a few others, which, not 达标 by the plan's deadline, are "to be handled").
//! Deterministic for a seed; written once.

use std::collections::HashSet;

use anbiao_domain::ReferenceData;
use anbiao_domain::Scope;
use anbiao_domain::consequences::Condition;
use anbiao_store::Db;
use anbiao_store::audit_log::Actor;
use anbiao_store::consequences;
use anbiao_store::enterprise::{self, Filter};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::macros::date;

/// What the story wrote: (state-owned, credit models).
pub async fn tell(
    db: &Db,
    reference: &ReferenceData,
    seed: u64,
    today: time::Date,
) -> anyhow::Result<Option<(usize, usize)>> {
    if consequences::count_designations(db).await? > 0 {
        return Ok(None);
    }
    let Some(set) = reference.consequences.sets.first() else {
        return Ok(None);
    };
    let name = |k: &str| set.designation(k).map_or(k.to_string(), |d| d.name.clone());
    let (state_owned, credit_model) = (name("state_owned"), name("credit_model"));
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6C_0019);
    let actor = Actor::new("南通市应急管理局 安全生产基础处", "demo");
    let all = enterprise::list_all(db, &Scope::City, &Filter::default(), 1_000_000).await?;
    // The city honoured mostly enterprises in good standing: 达标 ones far more often.
    let certified = Condition {
        certified: Some(true),
        ..Condition::default()
    };
    let certified: HashSet<i64> =
        consequences::chunk(db, &Scope::City, &certified, &[], today, 0, 1_000_000)
            .await?
            .into_iter()
            .map(|l| l.id)
            .collect();
    let (mut owned, mut models) = (0, 0);
    for e in all.iter().filter(|e| e.above_scale == Some(true)) {
        if rng.random_range(0..40) == 0 {
            consequences::designate(
                db,
                &actor,
                &anbiao_domain::Scope::City,
                e.id,
                ("state_owned", &state_owned),
                date!(2015 - 01 - 01),
                "南通市国资委、各县（市、区）国资办《国有工贸企业名录》",
            )
            .await?;
            owned += 1;
        } else if rng.random_range(0..if certified.contains(&e.id) { 10 } else { 120 }) == 0 {
            consequences::designate(
                db,
                &actor,
                &anbiao_domain::Scope::City,
                e.id,
                ("credit_model", &credit_model),
                date!(2017 - 12 - 28),
                "南通市社会信用体系建设领导小组办公室《2017年度南通市诚信示范企业名单》",
            )
            .await?;
            models += 1;
        }
    }
    Ok(Some((owned, models)))
}
