//! Synthetic but realistic Nantong enterprises, reproducible from a seed.
//!
//! Enterprises are spread over the plan's eleven units in proportion to their 二级 targets in
//! the plan's table, with plausible names, valid credit codes whose area digits are those of the
//! registering authority, industries, sizes, sales, staff and contacts.

use std::collections::HashSet;

use anbiao_domain::ReferenceData;
use anbiao_domain::credit_code::{ALPHABET, CreditCode};
use anbiao_domain::enterprise::{EnterpriseInput, EnterpriseStatus};
use rand::seq::IndexedRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use time::Date;
use time::macros::date;

use crate::db::Db;
use crate::enterprise::{self, Actor};
use crate::error::StoreError;

/// The date whose regions the demo uses: the plan's own eleven units.
pub const DEMO_REGION_DATE: Date = date!(2019 - 12 - 31);

struct UnitProfile {
    unit: &'static str,
    /// Relative weight: the unit's 二级 target in the plan's table.
    weight: u32,
    /// Area digits of the registering authority (positions 3–8 of credit codes).
    registration_areas: &'static [&'static str],
    townships: &'static [&'static str],
}

const UNITS: &[UnitProfile] = &[
    UnitProfile {
        unit: "海安",
        weight: 55,
        registration_areas: &["320621", "320685"],
        townships: &[
            "海安街道",
            "城东镇",
            "曲塘镇",
            "李堡镇",
            "角斜镇",
            "雅周镇",
            "白甸镇",
            "南莫镇",
        ],
    },
    UnitProfile {
        unit: "如皋",
        weight: 35,
        registration_areas: &["320682"],
        townships: &[
            "如城街道",
            "长江镇",
            "搬经镇",
            "白蒲镇",
            "丁堰镇",
            "林梓镇",
            "九华镇",
        ],
    },
    UnitProfile {
        unit: "如东",
        weight: 35,
        registration_areas: &["320623"],
        townships: &[
            "掘港街道",
            "岔河镇",
            "马塘镇",
            "栟茶镇",
            "洋口镇",
            "丰利镇",
            "河口镇",
        ],
    },
    UnitProfile {
        unit: "启东",
        weight: 35,
        registration_areas: &["320681"],
        townships: &[
            "汇龙镇",
            "南阳镇",
            "北新镇",
            "吕四港镇",
            "寅阳镇",
            "近海镇",
            "惠萍镇",
        ],
    },
    UnitProfile {
        unit: "海门",
        weight: 35,
        registration_areas: &["320684"],
        townships: &[
            "海门街道",
            "三星镇",
            "常乐镇",
            "悦来镇",
            "临江镇",
            "包场镇",
            "四甲镇",
        ],
    },
    UnitProfile {
        unit: "通州",
        weight: 35,
        registration_areas: &["320612"],
        townships: &[
            "金沙街道",
            "平潮镇",
            "石港镇",
            "刘桥镇",
            "兴仁镇",
            "川姜镇",
            "西亭镇",
        ],
    },
    UnitProfile {
        unit: "崇川",
        weight: 20,
        registration_areas: &["320602"],
        townships: &[
            "城东街道",
            "和平桥街道",
            "观音山街道",
            "狼山镇街道",
            "新城桥街道",
        ],
    },
    UnitProfile {
        unit: "港闸",
        weight: 20,
        registration_areas: &["320611"],
        townships: &[
            "唐闸镇街道",
            "天生港镇街道",
            "秦灶街道",
            "陈桥街道",
            "幸福街道",
        ],
    },
    UnitProfile {
        unit: "开发区",
        weight: 20,
        registration_areas: &["320691"],
        townships: &["竹行街道", "小海街道", "中兴街道", "新开街道"],
    },
    UnitProfile {
        unit: "苏通园区",
        weight: 5,
        registration_areas: &["320600"],
        townships: &["江海街道"],
    },
    UnitProfile {
        unit: "通州湾示范区",
        weight: 5,
        registration_areas: &["320612", "320600"],
        townships: &["三余镇", "海晏镇"],
    },
];

/// (industry code, weight in per mille, words that go into names)
const INDUSTRIES: &[(&str, u32, &[&str])] = &[
    (
        "JX",
        340,
        &[
            "机械",
            "重工",
            "机电",
            "精密机械",
            "液压",
            "船舶配件",
            "电动工具",
            "五金制品",
        ],
    ),
    ("FZ", 200, &["纺织", "家纺", "印染", "服饰", "针织", "化纤"]),
    (
        "QG",
        180,
        &["食品", "家具", "塑业", "纸业", "木业", "包装制品", "日化"],
    ),
    (
        "JC",
        100,
        &["建材", "新型建材", "水泥制品", "玻璃", "石材", "陶瓷"],
    ),
    ("SM", 100, &["商贸", "物流", "超市", "仓储", "供应链"]),
    ("YJ", 35, &["钢铁", "特钢", "金属材料", "铸造"]),
    ("YS", 43, &["铜业", "铝业", "有色金属", "合金材料"]),
    ("YC", 2, &["烟草"]),
];

const TRADE_NAMES: &[&str] = &[
    "恒力", "华宇", "金鼎", "永盛", "宏达", "天成", "鑫源", "瑞丰", "通达", "海润", "江海", "中天",
    "东方", "长城", "新华", "博远", "荣昌", "泰和", "振华", "兴业", "万通", "嘉禾", "三友", "亚太",
    "明珠", "德胜", "银河", "龙腾", "凯达", "恒通", "协和", "联创", "佳美", "富源", "华东", "宝丰",
    "开元", "远航", "顺风", "安泰", "立信", "盛世", "和顺", "汇丰", "大成", "信达", "锦华", "维康",
    "卓越", "精工", "高科", "双星",
];
const SURNAMES: &[&str] = &[
    "张", "王", "李", "陈", "刘", "杨", "黄", "吴", "周", "徐", "朱", "顾", "沈", "陆", "季", "缪",
    "施", "曹", "钱", "袁",
];
const GIVEN: &[&str] = &[
    "建华", "国平", "海军", "晓东", "志强", "红梅", "丽娟", "卫东", "建国", "春华", "俊", "勇",
    "敏", "静", "磊", "伟", "芳", "军", "霞", "斌",
];

/// Generates `n` enterprises from `seed`. The same `(n, seed)` always gives the same data.
pub fn generate(
    reference: &ReferenceData,
    n: usize,
    seed: u64,
) -> Result<Vec<EnterpriseInput>, StoreError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let regions = &reference.regions;
    let units: Vec<(&UnitProfile, String)> = UNITS
        .iter()
        .map(|u| {
            regions
                .valid_on(DEMO_REGION_DATE)
                .find(|r| r.unit == u.unit)
                .map(|r| (u, r.code.clone()))
                .ok_or_else(|| StoreError::Invalid(format!("参考数据中找不到单位“{}”", u.unit)))
        })
        .collect::<Result<_, _>>()?;
    let total_weight: u32 = units.iter().map(|(u, _)| u.weight).sum();
    let rules = reference
        .size_rules
        .in_force(DEMO_REGION_DATE)
        .ok_or_else(|| StoreError::Invalid("没有适用的规模规则".into()))?;
    let alphabet: Vec<char> = ALPHABET.chars().collect();
    let mut codes = HashSet::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    let mut assigned = 0usize;
    for (ui, (unit, region_code)) in units.iter().enumerate() {
        // Largest units first get their exact share; the last takes the remainder.
        let share = if ui + 1 == units.len() {
            n - assigned
        } else {
            (n as u64 * u64::from(unit.weight) / u64::from(total_weight)) as usize
        };
        assigned += share;
        for _ in 0..share {
            let industry = pick_industry(&mut rng);
            let Some(ind) = reference.industries.get(industry.0) else {
                return Err(StoreError::Invalid(format!(
                    "参考数据中找不到行业 {}",
                    industry.0
                )));
            };
            // Staff: mostly small firms, a long tail of large ones.
            let staff: i64 = match rng.random_range(0..100) {
                0..=44 => rng.random_range(3..20),
                45..=79 => rng.random_range(20..100),
                80..=94 => rng.random_range(100..300),
                95..=98 => rng.random_range(300..1000),
                _ => rng.random_range(1000..5000),
            };
            let per_head_wan: i64 = rng.random_range(15..90);
            let sales_yuan = staff * per_head_wan * 10_000 + rng.random_range(0..10_000) * 100;
            let area = unit
                .registration_areas
                .choose(&mut rng)
                .copied()
                .unwrap_or("320600");
            let code = loop {
                let tail: String = (0..5)
                    .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                    .collect();
                let prefix = format!("91{area}MA1{tail}");
                if let Some(c) = CreditCode::complete(&prefix)
                    && codes.insert(c.to_string())
                {
                    break c;
                }
            };
            let township = unit.townships.choose(&mut rng).copied().unwrap_or("");
            let place = if rng.random_bool(0.6) {
                format!("南通{}", trim_unit(unit.unit))
            } else {
                "江苏".to_string()
            };
            let name = format!(
                "{place}{}{}{}",
                TRADE_NAMES.choose(&mut rng).copied().unwrap_or("恒力"),
                industry.2.choose(&mut rng).copied().unwrap_or("机械"),
                if rng.random_bool(0.85) {
                    "有限公司"
                } else {
                    "股份有限公司"
                }
            );
            let status = match rng.random_range(0..100) {
                0..=93 => EnterpriseStatus::Active,
                94..=97 => EnterpriseStatus::Suspended,
                _ => EnterpriseStatus::Closed,
            };
            let contact = format!(
                "{}{}",
                SURNAMES.choose(&mut rng).copied().unwrap_or("张"),
                GIVEN.choose(&mut rng).copied().unwrap_or("伟")
            );
            let phone = if rng.random_bool(0.5) {
                format!("0513-8{:07}", rng.random_range(0..10_000_000))
            } else {
                format!(
                    "1{}{:09}",
                    ["3", "5", "8"].choose(&mut rng).copied().unwrap_or("3"),
                    rng.random_range(0..1_000_000_000u32)
                )
            };
            let size = rules.classify(&ind.size_sector, sales_yuan, staff);
            out.push(EnterpriseInput {
                credit_code: code,
                code_override_reason: None,
                name,
                region_code: region_code.clone(),
                township: Some(township.to_string()),
                industry_code: ind.code.clone(),
                annual_sales_yuan: Some(sales_yuan),
                employees: Some(staff),
                size,
                status,
                contact_person: Some(contact),
                contact_phone: Some(phone),
                address: Some(format!(
                    "{}{}路{}号",
                    township,
                    ["人民", "建设", "工业", "富民", "通港", "园区"]
                        .choose(&mut rng)
                        .copied()
                        .unwrap_or("人民"),
                    rng.random_range(1..300)
                )),
            });
        }
    }
    Ok(out)
}

fn trim_unit(u: &str) -> &str {
    match u {
        "通州湾示范区" => "通州湾",
        "苏通园区" => "苏通",
        other => other,
    }
}

fn pick_industry(rng: &mut ChaCha8Rng) -> &'static (&'static str, u32, &'static [&'static str]) {
    let total: u32 = INDUSTRIES.iter().map(|i| i.1).sum();
    let mut x = rng.random_range(0..total);
    for i in INDUSTRIES {
        if x < i.1 {
            return i;
        }
        x -= i.1;
    }
    &INDUSTRIES[0]
}

/// Inserts generated enterprises in one transaction, skipping credit codes already present.
/// Returns how many were inserted. `progress` gets the running count.
pub async fn insert(
    db: &Db,
    rows: &[EnterpriseInput],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<u64, StoreError> {
    let actor = Actor::new("system", "seed");
    let mut tx = db.begin().await?;
    let codes: Vec<String> = rows.iter().map(|e| e.credit_code.to_string()).collect();
    let existing = enterprise::by_codes(&mut tx, &codes).await?;
    let fresh: Vec<EnterpriseInput> = rows
        .iter()
        .filter(|e| !existing.contains_key(e.credit_code.as_str()))
        .cloned()
        .collect();
    let now = time::OffsetDateTime::now_utc();
    let mut done = 0u64;
    for chunk in fresh.chunks(10_000) {
        enterprise::insert_batch(&mut tx, chunk, &actor, now).await?;
        done += chunk.len() as u64;
        progress(done);
    }
    tx.commit().await?;
    if done >= crate::db::ANALYZE_AFTER_ROWS {
        db.after_bulk_load().await?;
    }
    Ok(done)
}

/// Sets when each enterprise began operating (demo and benchmark histories): one transaction,
/// one audit entry for the lot.
pub async fn backdate(db: &Db, actor: &Actor, rows: &[(i64, Date)]) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    const SQL: &str = "UPDATE enterprise SET active_from = $1 WHERE id = $2";
    for (id, from) in rows {
        crate::with_tx!(&mut tx, |c| sqlx::query(SQL)
            .bind(anbiao_domain::date::format_date(*from))
            .bind(*id)
            .execute(c)
            .await
            .map(|_| ()))?;
    }
    let ev = crate::audit_log::Event::new("enterprise.life", "enterprise:*")
        .detail(format!("演示数据：设定 {} 家企业的开业日期", rows.len()));
    crate::audit_log::append_tx(&mut tx, actor, &ev).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_reproducible_and_valid() {
        let r = ReferenceData::embedded().expect("valid");
        let a = generate(&r, 600, 7).expect("generated");
        let b = generate(&r, 600, 7).expect("generated");
        let c = generate(&r, 600, 8).expect("generated");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 600);
        let codes: HashSet<_> = a.iter().map(|e| e.credit_code.clone()).collect();
        assert_eq!(codes.len(), 600);
        for e in &a {
            assert!(e.credit_code.verify().is_ok());
            assert!(
                r.regions
                    .get(&e.region_code)
                    .is_some_and(|x| x.is_valid_on(DEMO_REGION_DATE))
            );
        }
        // 海安 has 55 of 300 weight.
        let haian = a.iter().filter(|e| e.region_code == "320685").count();
        assert_eq!(haian, 600 * 55 / 300);
        let units: HashSet<_> = a.iter().map(|e| e.region_code.clone()).collect();
        assert_eq!(units.len(), 11);
    }
}
