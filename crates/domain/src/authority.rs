//! Who may do what, as data (`data/rules/authority.toml`): the party each role acts as, the
//! party of each grading step, and which registry fields an enterprise keeps itself. The action
//! layer asks these rules before it looks at a record's state; every refusal names the rule.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use time::Date;

use crate::account::Role;
use crate::date::{Validity, parse_date};
use crate::enterprise::Field;
use crate::lifecycle::{Action, Party};
use crate::reference::ReferenceError;
use crate::rules::AuthorityLevel;

/// Who takes a grading step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Who {
    Enterprise,
    District,
    City,
    Evaluator,
    Public,
    /// The body that grades the case's level: the district for 小微达标, else the city.
    Grader,
}

impl Who {
    /// The party this is for a case graded at `grading`.
    pub fn party(self, grading: AuthorityLevel) -> Party {
        match self {
            Self::Enterprise => Party::Enterprise,
            Self::District => Party::District,
            Self::City => Party::City,
            Self::Evaluator => Party::Evaluator,
            Self::Public => Party::Public,
            Self::Grader if grading == AuthorityLevel::District => Party::District,
            Self::Grader => Party::City,
        }
    }
}

/// Who changes a registry field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKeeper {
    /// The enterprise itself (and officers within scope).
    Enterprise,
    /// Only an officer within scope, with the reason recorded.
    Officer,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthoritySet {
    pub id: String,
    pub version: u32,
    pub effective_from: String,
    #[serde(default)]
    pub effective_to: Option<String>,
    pub source: String,
    pub confidence: String,
    parties: BTreeMap<String, Party>,
    grading: HashMap<Action, Who>,
    hazards: BTreeMap<String, Vec<Party>>,
    #[serde(default)]
    steps: BTreeMap<String, Vec<Party>>,
    enterprise_fields: BTreeMap<String, FieldKeeper>,
    #[serde(skip)]
    validity: Validity,
}

/// A refusal by these rules, in words, with the rule that decided it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}（{rule}）")]
pub struct Refusal {
    pub message: String,
    pub rule: String,
}

impl AuthoritySet {
    fn rule(&self, part: &str) -> String {
        format!("{}@{}#{part}", self.id, self.version)
    }

    /// The party a user of `role` acts as, if any.
    pub fn party_of(&self, role: Role) -> Option<Party> {
        self.parties.get(role.as_str()).copied()
    }

    /// Who takes a grading step.
    pub fn grading_step(&self, action: Action) -> Option<Who> {
        self.grading.get(&action).copied()
    }

    /// Whether `party` may take `action` on a case graded at `grading`. Decided before the
    /// case's state is looked at.
    pub fn may_take(
        &self,
        party: Option<Party>,
        action: Action,
        grading: AuthorityLevel,
    ) -> Result<(), Refusal> {
        let rule = self.rule(&format!("grading.{}", action.key()));
        let Some(who) = self.grading_step(action) else {
            return Err(Refusal {
                message: format!("“{}”未规定办理方", action.label()),
                rule,
            });
        };
        let expected = who.party(grading);
        match party {
            Some(p) if p == expected => Ok(()),
            Some(p) => Err(Refusal {
                message: format!(
                    "“{}”应由{}办理，{}不能办理",
                    action.label(),
                    expected.label(),
                    p.label()
                ),
                rule,
            }),
            None => Err(Refusal {
                message: format!("“{}”应由{}办理", action.label(), expected.label()),
                rule,
            }),
        }
    }

    /// Whether `party` may take a hazard step (`report`, `plan`, `rectify`, `accept`, `return`).
    pub fn may_take_hazard_step(&self, party: Option<Party>, step: &str) -> Result<(), Refusal> {
        let rule = self.rule(&format!("hazards.{step}"));
        let allowed = self.hazards.get(step).map(Vec::as_slice).unwrap_or(&[]);
        let label = hazard_step_label(step);
        match party {
            Some(p) if allowed.contains(&p) => Ok(()),
            _ => {
                let who: Vec<&str> = allowed.iter().map(|p| p.label()).collect();
                Err(Refusal {
                    message: format!("隐患“{label}”应由{}办理", who.join("或")),
                    rule,
                })
            }
        }
    }

    /// Whether `party` may take a step of another workflow (`certificate.revoke`,
    /// `submission.decide` …, the keys of `[set.steps]`). A step the file does not name is
    /// nobody's.
    pub fn may_take_step(&self, party: Option<Party>, step: &str) -> Result<(), Refusal> {
        let rule = self.rule(&format!("steps.{step}"));
        let allowed = self.step_parties(step);
        match party {
            Some(p) if allowed.contains(&p) => Ok(()),
            _ if allowed.is_empty() => Err(Refusal {
                message: format!("职责分工未规定“{step}”由谁办理"),
                rule,
            }),
            _ => {
                let who: Vec<&str> = allowed.iter().map(|p| p.label()).collect();
                Err(Refusal {
                    message: format!("此项应由{}办理", who.join("或")),
                    rule,
                })
            }
        }
    }

    /// The parties of a workflow step.
    pub fn step_parties(&self, step: &str) -> &[Party] {
        self.steps.get(step).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The workflow steps the file names, with their parties.
    pub fn steps(&self) -> impl Iterator<Item = (&str, &[Party])> {
        self.steps.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// The parties that may take a hazard step.
    pub fn hazard_step_parties(&self, step: &str) -> &[Party] {
        self.hazards.get(step).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Who keeps a registry field (a field the file does not name needs an officer).
    pub fn keeper(&self, field: Field) -> FieldKeeper {
        self.enterprise_fields
            .get(field.key())
            .copied()
            .unwrap_or(FieldKeeper::Officer)
    }

    /// The rule naming who keeps a field.
    pub fn field_rule(&self, field: Field) -> String {
        self.rule(&format!("enterprise_fields.{}", field.key()))
    }
}

/// The hazard steps the rules must name.
pub const HAZARD_STEPS: [&str; 5] = ["report", "plan", "rectify", "accept", "return"];

fn hazard_step_label(step: &str) -> &'static str {
    match step {
        "report" => "登记自查隐患",
        "plan" => "报送治理方案",
        "rectify" => "报告整改完成",
        "accept" => "验收销号",
        "return" => "退回重新整改",
        _ => "未知步骤",
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    set: Vec<AuthoritySet>,
}

#[derive(Debug, Clone)]
pub struct AuthorityRules {
    set: Vec<AuthoritySet>,
    /// The earliest set, answering for days before any set begins.
    earliest: AuthoritySet,
}

impl AuthorityRules {
    pub fn from_toml(text: &str) -> Result<Self, ReferenceError> {
        let bad = |m: String| ReferenceError::new("authority", m);
        let mut rules: File = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        for s in &mut rules.set {
            let from = parse_date(&s.effective_from)
                .ok_or_else(|| bad(format!("{} 的生效日期“{}”无效", s.id, s.effective_from)))?;
            let to = match &s.effective_to {
                Some(t) => Some(
                    parse_date(t).ok_or_else(|| bad(format!("{} 的失效日期“{t}”无效", s.id)))?,
                ),
                None => None,
            };
            s.validity = Validity {
                from: Some(from),
                to,
            };
            for role in s.parties.keys() {
                if Role::parse(role).is_none() {
                    return Err(bad(format!("{}@{}：未知角色“{role}”", s.id, s.version)));
                }
            }
            for a in Action::ALL {
                if !s.grading.contains_key(&a) {
                    return Err(bad(format!(
                        "{}@{}：未规定“{}”由谁办理",
                        s.id,
                        s.version,
                        a.label()
                    )));
                }
            }
            for step in HAZARD_STEPS {
                if s.hazards.get(step).is_none_or(Vec::is_empty) {
                    return Err(bad(format!(
                        "{}@{}：未规定隐患“{}”由谁办理",
                        s.id,
                        s.version,
                        hazard_step_label(step)
                    )));
                }
            }
            if let Some(k) = s
                .hazards
                .keys()
                .find(|k| !HAZARD_STEPS.contains(&k.as_str()))
            {
                return Err(bad(format!("{}@{}：未知的隐患步骤“{k}”", s.id, s.version)));
            }
            for key in s.enterprise_fields.keys() {
                if Field::from_key(key).is_none() {
                    return Err(bad(format!("{}@{}：未知字段“{key}”", s.id, s.version)));
                }
            }
        }
        for (i, a) in rules.set.iter().enumerate() {
            for b in &rules.set[i + 1..] {
                if a.validity.overlaps(&b.validity) {
                    return Err(bad(format!(
                        "{}@{} 与 {}@{} 的生效期间重叠",
                        a.id, a.version, b.id, b.version
                    )));
                }
            }
        }
        let earliest = rules
            .set
            .iter()
            .min_by_key(|s| s.validity.from)
            .cloned()
            .ok_or_else(|| bad("至少需要一组职责分工".into()))?;
        Ok(Self {
            set: rules.set,
            earliest,
        })
    }

    /// The set in force on a day; before the first set begins, the earliest.
    pub fn on(&self, d: Date) -> &AuthoritySet {
        self.set
            .iter()
            .find(|s| s.validity.contains(d))
            .unwrap_or(&self.earliest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::embedded::AUTHORITY;
    use time::macros::date;

    #[test]
    fn the_shipped_file_names_a_party_for_every_step() {
        let r = AuthorityRules::from_toml(AUTHORITY).expect("valid");
        let s = r.on(date!(2018 - 07 - 04));
        // The province's grant is recorded by the city and nobody else.
        for p in [Party::Enterprise, Party::District, Party::Evaluator] {
            let e = s
                .may_take(
                    Some(p),
                    Action::RecordExternalGrant,
                    AuthorityLevel::Province,
                )
                .expect_err("not the city");
            assert_eq!(e.rule, "authority@1#grading.record_external_grant");
            assert!(e.message.contains("市局"), "{e}");
        }
        assert!(
            s.may_take(
                Some(Party::City),
                Action::RecordExternalGrant,
                AuthorityLevel::Province
            )
            .is_ok()
        );
        // Only the enterprise applies.
        assert!(
            s.may_take(Some(Party::City), Action::Apply, AuthorityLevel::City)
                .is_err()
        );
        // The grader follows the level: the district approves 小微达标, the city 三级.
        assert!(
            s.may_take(
                Some(Party::District),
                Action::Approve,
                AuthorityLevel::District
            )
            .is_ok()
        );
        assert!(
            s.may_take(Some(Party::City), Action::Approve, AuthorityLevel::District)
                .is_err()
        );
        assert!(
            s.may_take(None, Action::Approve, AuthorityLevel::City)
                .is_err()
        );
        assert_eq!(s.party_of(Role::SystemAdmin), None);
        assert_eq!(s.party_of(Role::EnterpriseManager), Some(Party::Enterprise));
        assert_eq!(s.keeper(Field::Status), FieldKeeper::Officer);
        assert_eq!(s.keeper(Field::Employees), FieldKeeper::Officer);
        assert_eq!(s.keeper(Field::ContactPhone), FieldKeeper::Enterprise);
        // A field the file does not name needs an officer.
        assert_eq!(s.keeper(Field::CodeOverrideReason), FieldKeeper::Officer);
        // Hazards: the enterprise rectifies, an officer writes off.
        assert!(
            s.may_take_hazard_step(Some(Party::Enterprise), "rectify")
                .is_ok()
        );
        let e = s
            .may_take_hazard_step(Some(Party::Enterprise), "accept")
            .expect_err("not the enterprise");
        assert_eq!(e.rule, "authority@1#hazards.accept");
        assert!(
            s.may_take_hazard_step(Some(Party::District), "accept")
                .is_ok()
        );
        assert!(
            s.may_take_hazard_step(Some(Party::City), "rectify")
                .is_err()
        );
        assert!(s.may_take_hazard_step(None, "report").is_err());
        // Other workflows.
        assert!(
            s.may_take_step(Some(Party::City), "submission.decide")
                .is_ok()
        );
        let e = s
            .may_take_step(Some(Party::District), "submission.decide")
            .expect_err("the city decides");
        assert_eq!(e.rule, "authority@1#steps.submission.decide");
        assert!(
            s.may_take_step(Some(Party::Enterprise), "certificate.annual")
                .is_ok()
        );
        assert!(
            s.may_take_step(Some(Party::City), "certificate.annual")
                .is_err()
        );
        assert!(s.may_take_step(Some(Party::City), "nobody.knows").is_err());
    }

    #[test]
    fn a_file_without_a_step_or_with_an_unknown_role_is_refused() {
        let missing = AUTHORITY.replace("record_external_grant = \"city\"\n", "");
        let e = AuthorityRules::from_toml(&missing).expect_err("missing step");
        assert!(e.message.contains("登记上级定级结果"), "{e}");
        let role = AUTHORITY.replace("evaluator = \"evaluator\"", "inspector = \"evaluator\"");
        assert!(AuthorityRules::from_toml(&role).is_err());
        let field = AUTHORITY.replace("address = \"enterprise\"", "fax = \"enterprise\"");
        assert!(AuthorityRules::from_toml(&field).is_err());
        let step = AUTHORITY.replace("accept = [\"district\", \"city\"]\n", "");
        let e = AuthorityRules::from_toml(&step).expect_err("missing hazard step");
        assert!(e.message.contains("验收销号"), "{e}");
    }
}
