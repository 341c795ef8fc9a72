//! The partners' feed (issue 19 item 3; 通政发〔2018〕27号 六（五）: the member departments act on an
//! enterprise's standardisation standing, so they are told when it changes). Each enterprise's
//! standing on a day is a small snapshot ([`Standing`]); comparing the snapshot last sent with the
//! one of today gives the changes ([`changes`]): graded, renewed, upgraded, downgraded, revoked,
//! expired, otherwise ended, an accident recorded, key supervision on or off, closed, reopened.
//! A partner sees of each change only the fields its agreement names ([`FIELDS`], the
//! `[[set.agreement]]` entries of `data/rules/consequences.toml`).

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use crate::date::parse_date;
use crate::grade::Grade;

/// What changed in an enterprise's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Graded,
    Renewed,
    Upgraded,
    Downgraded,
    Revoked,
    Expired,
    Ended,
    Accident,
    KeyOn,
    KeyOff,
    Closed,
    Reopened,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Self::Graded,
        Self::Renewed,
        Self::Upgraded,
        Self::Downgraded,
        Self::Revoked,
        Self::Expired,
        Self::Ended,
        Self::Accident,
        Self::KeyOn,
        Self::KeyOff,
        Self::Closed,
        Self::Reopened,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Graded => "graded",
            Self::Renewed => "renewed",
            Self::Upgraded => "upgraded",
            Self::Downgraded => "downgraded",
            Self::Revoked => "revoked",
            Self::Expired => "expired",
            Self::Ended => "ended",
            Self::Accident => "accident",
            Self::KeyOn => "key_supervision_on",
            Self::KeyOff => "key_supervision_off",
            Self::Closed => "closed",
            Self::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Graded => "取得标准化等级",
            Self::Renewed => "证书延续（换发）",
            Self::Upgraded => "等级提升",
            Self::Downgraded => "等级降低",
            Self::Revoked => "证书被撤销",
            Self::Expired => "证书有效期届满",
            Self::Ended => "证书失效",
            Self::Accident => "发生生产安全事故",
            Self::KeyOn => "列为重点监管企业",
            Self::KeyOff => "不再列为重点监管企业",
            Self::Closed => "停产关闭或注销",
            Self::Reopened => "恢复生产经营",
        }
    }
}

/// The fields of a change an agreement may name, with their names in Chinese. `seq`, `kind`,
/// `kind_name`, `on`, `recorded_at` and `enterprise_id` (this system's own number) are in every
/// event a partner reads.
pub const FIELDS: [(&str, &str); 10] = [
    ("credit_code", "统一社会信用代码"),
    ("name", "企业名称"),
    ("unit", "所属县（市、区）"),
    ("township", "所属乡镇（街道）"),
    ("grade", "标准化等级"),
    ("previous_grade", "原等级"),
    ("certificate_number", "证书编号"),
    ("valid_until", "证书有效期至"),
    ("accident_on", "事故发生日期"),
    ("key_supervision", "是否重点监管"),
];

/// The Chinese name of a field, if it is one.
pub fn field_name(key: &str) -> Option<&'static str> {
    FIELDS.iter().find(|(k, _)| *k == key).map(|(_, n)| *n)
}

/// The certificate an enterprise holds on the day (the best grade if several).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub number: String,
    pub grade: String,
    pub valid_until: String,
}

/// An enterprise's standing on a day, as the feed compares it (stored as JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub operating: bool,
    pub certificate: Option<Held>,
    /// The latest accident recorded up to the day.
    pub last_accident: Option<String>,
    pub key_supervision: bool,
}

impl Standing {
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// None for text this module did not write (the enterprise is then compared as new).
    pub fn decode(s: &str) -> Option<Self> {
        serde_json::from_str(s).ok()
    }
}

/// One change, with what it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: Kind,
    /// The day it took effect, as far as the records say (the day noticed otherwise).
    pub on: Date,
    pub grade: Option<String>,
    pub previous_grade: Option<String>,
    pub certificate_number: Option<String>,
    pub valid_until: Option<String>,
    pub accident_on: Option<String>,
    pub key_supervision: bool,
}

fn rank(grade: &str) -> u8 {
    match Grade::parse(grade) {
        Some(Grade::One) => 4,
        Some(Grade::Two) => 3,
        Some(Grade::Three) => 2,
        Some(Grade::SmallMicro) => 1,
        None => 0,
    }
}

/// The changes from `old` (None: never sent, compared as an operating enterprise with nothing
/// on file, so its first snapshot states what is notable) to `new`, noticed on `today`.
/// `revoked` are the certificates revoked up to today, (day, number).
pub fn changes(
    old: Option<&Standing>,
    new: &Standing,
    revoked: &[(Date, String)],
    today: Date,
) -> Vec<Change> {
    let blank = Standing {
        operating: true,
        certificate: None,
        last_accident: None,
        key_supervision: false,
    };
    let old = old.unwrap_or(&blank);
    let mut out = Vec::new();
    let change = |kind: Kind, on: Date, cert: Option<&Held>, previous: Option<&Held>| Change {
        kind,
        on,
        grade: cert.map(|c| c.grade.clone()),
        previous_grade: previous.map(|c| c.grade.clone()),
        certificate_number: cert.or(previous).map(|c| c.number.clone()),
        valid_until: cert.or(previous).map(|c| c.valid_until.clone()),
        accident_on: None,
        key_supervision: new.key_supervision,
    };
    let revoked_on = |number: &str| {
        revoked
            .iter()
            .filter(|(_, n)| n == number)
            .map(|(d, _)| *d)
            .max()
    };
    match (&old.certificate, &new.certificate) {
        (None, Some(n)) => out.push(change(Kind::Graded, today, Some(n), None)),
        (Some(o), None) => {
            let (kind, on) = if let Some(d) = revoked_on(&o.number) {
                (Kind::Revoked, d)
            } else {
                match parse_date(&o.valid_until) {
                    Some(u) if u < today => (Kind::Expired, u + Duration::days(1)),
                    _ => (Kind::Ended, today),
                }
            };
            out.push(change(kind, on, None, Some(o)));
        }
        (Some(o), Some(n))
            if o.number != n.number || o.grade != n.grade || o.valid_until != n.valid_until =>
        {
            if let Some(d) = revoked_on(&o.number) {
                out.push(change(Kind::Revoked, d, None, Some(o)));
            }
            let kind = match rank(&n.grade).cmp(&rank(&o.grade)) {
                std::cmp::Ordering::Greater => Kind::Upgraded,
                std::cmp::Ordering::Less => Kind::Downgraded,
                std::cmp::Ordering::Equal => Kind::Renewed,
            };
            out.push(change(kind, today, Some(n), Some(o)));
        }
        _ => {}
    }
    if let Some(a) = &new.last_accident
        && old.last_accident.as_ref().is_none_or(|o| a > o)
    {
        let on = parse_date(a).unwrap_or(today);
        let mut c = change(Kind::Accident, on, new.certificate.as_ref(), None);
        c.accident_on = Some(a.clone());
        out.push(c);
    }
    if new.key_supervision != old.key_supervision {
        let kind = if new.key_supervision {
            Kind::KeyOn
        } else {
            Kind::KeyOff
        };
        out.push(change(kind, today, new.certificate.as_ref(), None));
    }
    if new.operating != old.operating {
        let kind = if new.operating {
            Kind::Reopened
        } else {
            Kind::Closed
        };
        out.push(change(kind, today, new.certificate.as_ref(), None));
    }
    out
}

/// The JSON a stored event carries: every field of [`FIELDS`] the change has.
pub fn body(change: &Change, who: &Who) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::Value;
    let mut m = serde_json::Map::new();
    let mut put = |k: &str, v: Option<&String>| {
        if let Some(v) = v {
            m.insert(k.to_string(), Value::String(v.clone()));
        }
    };
    put("credit_code", Some(&who.credit_code));
    put("name", Some(&who.name));
    put("unit", Some(&who.unit));
    put("township", who.township.as_ref());
    put("grade", change.grade.as_ref());
    put("previous_grade", change.previous_grade.as_ref());
    put("certificate_number", change.certificate_number.as_ref());
    put("valid_until", change.valid_until.as_ref());
    put("accident_on", change.accident_on.as_ref());
    m.insert(
        "key_supervision".into(),
        Value::Bool(change.key_supervision),
    );
    m
}

/// Who a change concerns, as the registry names it on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub credit_code: String,
    pub name: String,
    /// The unit's name (县、市、区).
    pub unit: String,
    pub township: Option<String>,
}

/// Of a stored body, the fields named (in [`FIELDS`] order).
pub fn minimise(
    body: &serde_json::Map<String, serde_json::Value>,
    fields: &[String],
) -> serde_json::Map<String, serde_json::Value> {
    FIELDS
        .iter()
        .filter(|(k, _)| fields.iter().any(|f| f == k))
        .filter_map(|(k, _)| body.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn held(number: &str, grade: &str, until: &str) -> Held {
        Held {
            number: number.into(),
            grade: grade.into(),
            valid_until: until.into(),
        }
    }

    fn standing(cert: Option<Held>) -> Standing {
        Standing {
            operating: true,
            certificate: cert,
            last_accident: None,
            key_supervision: false,
        }
    }

    fn kinds(v: &[Change]) -> Vec<Kind> {
        v.iter().map(|c| c.kind).collect()
    }

    const TODAY: Date = date!(2026 - 12 - 07);

    #[test]
    fn a_first_snapshot_states_only_what_is_notable() {
        assert!(changes(None, &standing(None), &[], TODAY).is_empty());
        let s = Standing {
            operating: true,
            certificate: Some(held("A1", "two", "2028-01-31")),
            last_accident: Some("2026-03-02".into()),
            key_supervision: false,
        };
        let c = changes(None, &s, &[], TODAY);
        assert_eq!(kinds(&c), [Kind::Graded, Kind::Accident]);
        assert_eq!(c[1].on, date!(2026 - 03 - 02));
        assert_eq!(c[0].grade.as_deref(), Some("two"));
    }

    #[test]
    fn certificates_are_told_apart_by_how_they_end_and_what_follows() {
        let two = standing(Some(held("A1", "two", "2026-11-30")));
        // ran out: the day after its last valid day
        let c = changes(Some(&two), &standing(None), &[], TODAY);
        assert_eq!(kinds(&c), [Kind::Expired]);
        assert_eq!(c[0].on, date!(2026 - 12 - 01));
        assert_eq!(c[0].previous_grade.as_deref(), Some("two"));
        // revoked: on its revocation day
        let r = [(date!(2026 - 10 - 01), "A1".to_string())];
        let c = changes(Some(&two), &standing(None), &r, TODAY);
        assert_eq!(kinds(&c), [Kind::Revoked]);
        assert_eq!(c[0].on, date!(2026 - 10 - 01));
        // replaced by a better, the same or a lower grade
        let one = standing(Some(held("B1", "one", "2029-11-30")));
        assert_eq!(
            kinds(&changes(Some(&two), &one, &[], TODAY)),
            [Kind::Upgraded]
        );
        let two_again = standing(Some(held("B2", "two", "2029-11-30")));
        assert_eq!(
            kinds(&changes(Some(&two), &two_again, &[], TODAY)),
            [Kind::Renewed]
        );
        let three = standing(Some(held("B3", "three", "2029-11-30")));
        assert_eq!(
            kinds(&changes(Some(&two), &three, &r, TODAY)),
            [Kind::Revoked, Kind::Downgraded]
        );
        // the same certificate extended: renewed, with its new last day
        let extended = standing(Some(held("A1", "two", "2029-11-30")));
        let c = changes(Some(&two), &extended, &[], TODAY);
        assert_eq!(kinds(&c), [Kind::Renewed]);
        assert_eq!(c[0].valid_until.as_deref(), Some("2029-11-30"));
        // unchanged: nothing
        assert!(changes(Some(&two), &two, &[], TODAY).is_empty());
    }

    #[test]
    fn accidents_supervision_and_closing_are_changes() {
        let mut a = standing(None);
        a.last_accident = Some("2025-01-01".into());
        let mut b = a.clone();
        b.last_accident = Some("2026-12-01".into());
        b.key_supervision = true;
        b.operating = false;
        let c = changes(Some(&a), &b, &[], TODAY);
        assert_eq!(kinds(&c), [Kind::Accident, Kind::KeyOn, Kind::Closed]);
        assert_eq!(c[0].accident_on.as_deref(), Some("2026-12-01"));
        // an older accident recorded late is not news beyond the latest
        let mut older = a.clone();
        older.last_accident = Some("2024-01-01".into());
        assert!(changes(Some(&a), &older, &[], TODAY).is_empty());
        assert_eq!(
            kinds(&changes(Some(&b), &a, &[], TODAY)),
            [Kind::KeyOff, Kind::Reopened]
        );
    }

    #[test]
    fn a_partner_sees_only_the_fields_named() {
        let s = standing(Some(held("A1", "two", "2028-01-31")));
        let c = &changes(None, &s, &[], TODAY)[0];
        let who = Who {
            credit_code: "91320600MA1234567X".into(),
            name: "南通某某机械有限公司".into(),
            unit: "如皋市".into(),
            township: Some("如城街道".into()),
        };
        let b = body(c, &who);
        let m = minimise(&b, &["grade".into(), "credit_code".into(), "nope".into()]);
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 2);
        assert!(keys.contains(&"credit_code") && keys.contains(&"grade"));
        assert!(!m.contains_key("name"));
        assert_eq!(Standing::decode(&s.encode()), Some(s));
        assert_eq!(Standing::decode("x"), None);
    }
}
