//! Supervision inspections (监督检查) as recorded: the officers, the checklist in force on the
//! day, the answers and the hazards found, each registered as a hazard of the enterprise.

use anbiao_domain::checklist::Answer;
use anbiao_domain::date::format_date;
use anbiao_domain::hazard::Level;
use anbiao_domain::{Permission, Role};
use anbiao_store::enforcement::{self, Decision};
use anbiao_store::hazards::{self, Line, NewHazard};
use anbiao_store::inspections::OFFICERS_NEEDED;
use anbiao_store::inspections::{self, Inspection, Kind, NewInspection};
use anbiao_store::{account, enterprise};
use time::Date;

use crate::ctx::Ctx;
use anbiao_domain::text::limits;

use crate::error::{ActionError, within};

/// Which enterprise was inspected: by id (from its page) or by credit code (typed in the field).
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Id(i64),
    CreditCode(&'a str),
}

/// A hazard found on the inspection.
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    pub level: Level,
    pub item_key: Option<&'a str>,
    pub description: &'a str,
    pub deadline: Option<Date>,
    pub photo: Option<&'a [u8]>,
}

/// An inspection as the officers record it.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub subject: Subject<'a>,
    pub kind: Kind,
    pub on: Date,
    pub officers: Vec<String>,
    /// (checklist item key, answer, note)
    pub answers: Vec<(String, Answer, String)>,
    pub summary: &'a str,
    pub findings: Vec<Finding<'a>>,
}

/// An inspection as its page shows it: the record, the answers recorded (item key, answer,
/// note), the hazards it found and the decisions taken on it.
#[derive(Debug, Clone)]
pub struct InspectionFile {
    pub inspection: Inspection,
    pub answers: Vec<(String, String, String)>,
    pub hazards: Vec<Line>,
    pub decisions: Vec<Decision>,
    /// The obligation-list gaps checked: (record, title, answer, note).
    pub gaps: Vec<CheckedGap>,
}

/// A gap of the enterprise's obligation list as an inspection checked it.
#[derive(Debug, Clone)]
pub struct CheckedGap {
    pub title: String,
    pub period: String,
    /// What the enterprise recorded.
    pub problem: String,
    pub rectify_by: Option<String>,
    pub answer: String,
    pub note: String,
}

/// How an inspection's answer names a gap of the obligation list: `gap:` and the record's id.
pub const GAP_KEY: &str = "gap:";

impl Ctx<'_> {
    /// The inspections within the actor's scope, newest first, a page of them.
    pub async fn inspections(
        &self,
        req: anbiao_store::paging::PageReq,
    ) -> Result<anbiao_store::paging::Paged<Inspection>, ActionError> {
        self.actor.require(Permission::ViewInspections)?;
        Ok(inspections::page(self.db, &self.actor.scope, req).await?)
    }

    /// An inspection within the actor's scope with everything its page shows.
    pub async fn inspection_file(&self, id: i64) -> Result<InspectionFile, ActionError> {
        self.actor.require(Permission::ViewInspections)?;
        let scope = &self.actor.scope;
        let inspection = inspections::get(self.db, scope, id).await?;
        let answers = inspections::items(self.db, scope, id).await?;
        let found = hazards::Filter {
            inspection_id: Some(id),
            ..Default::default()
        };
        let hazards = hazards::list(self.db, scope, &found, 100, 0).await?;
        let taken = enforcement::Filter {
            inspection_id: Some(id),
            ..Default::default()
        };
        let decisions = enforcement::list(self.db, scope, &taken, 50, 0).await?;
        let gap_ids: Vec<i64> = answers
            .iter()
            .filter_map(|(k, _, _)| k.strip_prefix(GAP_KEY)?.parse().ok())
            .collect();
        let mut gaps = Vec::new();
        if !gap_ids.is_empty() {
            let records = anbiao_store::obligations::records_by_id(
                self.db,
                scope,
                inspection.enterprise_id,
                &gap_ids,
            )
            .await?;
            let set = self.reference.obligations.by_name(
                records
                    .first()
                    .and_then(|r| r.rule.split('#').next())
                    .unwrap_or_default(),
            );
            for r in records {
                let Some((_, a, note)) = answers
                    .iter()
                    .find(|(k, _, _)| k.strip_prefix(GAP_KEY) == Some(r.id.to_string().as_str()))
                else {
                    continue;
                };
                let title = set
                    .and_then(|s| s.items.iter().rev().find(|i| i.key == r.item_key))
                    .map_or_else(|| r.item_key.clone(), |i| i.title.clone());
                gaps.push(CheckedGap {
                    title,
                    period: crate::obligations::period_words(&r),
                    problem: r.note.clone(),
                    rectify_by: r.rectify_by.clone(),
                    answer: a.clone(),
                    note: note.clone(),
                });
            }
        }
        Ok(InspectionFile {
            inspection,
            answers,
            hazards,
            decisions,
            gaps,
        })
    }

    /// The enterprise a credit code names, within the actor's scope; out of scope reads as
    /// unknown.
    pub async fn enterprise_by_code(&self, field: &str, code: &str) -> Result<i64, ActionError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(ActionError::bad(
                field,
                "请填写被检查企业的统一社会信用代码",
            ));
        }
        let unknown = || ActionError::bad(field, format!("没有统一社会信用代码为“{code}”的企业"));
        let id = enterprise::id_by_credit_code(self.db, &code.to_uppercase())
            .await?
            .ok_or_else(unknown)?;
        enterprise::get(self.db, &self.actor.scope, id)
            .await
            .map_err(|_| unknown())?;
        Ok(id)
    }

    /// The officers named on an inspection: two different people, each an active officer
    /// account of the city or of the enterprise's unit (its district's or townships'
    /// officers, as the plan pairs them), and the one recording among them.
    async fn check_officers(
        &self,
        officers: &[String],
        region_code: &str,
    ) -> Result<(), ActionError> {
        let names: Vec<&str> = officers
            .iter()
            .map(|o| o.trim())
            .filter(|o| !o.is_empty())
            .collect();
        if names.len() < OFFICERS_NEEDED {
            return Err(ActionError::bad(
                "officer1",
                format!("执法检查须由 {OFFICERS_NEEDED} 名以上执法人员实施，请填写检查人员"),
            ));
        }
        let unit_of = |code: &str| self.reference.regions.get(code).map(|r| r.unit.clone());
        let unit = unit_of(region_code);
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(ActionError::bad(
                    "officer2",
                    format!("检查人员“{name}”重复填写，须为两名不同的执法人员"),
                ));
            }
            let account = account::by_username(self.db, name).await?;
            let fits = account.as_ref().is_some_and(|a| {
                a.active
                    && match a.role() {
                        Some(Role::CityOfficer) => true,
                        Some(Role::DistrictOfficer | Role::TownshipOfficer) => {
                            a.region_code.as_deref().and_then(unit_of) == unit && unit.is_some()
                        }
                        _ => false,
                    }
            });
            if !fits {
                return Err(ActionError::bad(
                    "officer1",
                    format!("“{name}”不是本市或该企业所在县区的在职监管人员账号"),
                ));
            }
        }
        if !names.contains(&self.actor.audit.username.as_str()) {
            return Err(ActionError::bad(
                "officer1",
                "检查记录须由参加检查的执法人员本人登记，请将本人列为检查人员之一",
            ));
        }
        Ok(())
    }

    /// The answers about the enterprise's obligation-list gaps name gaps still open on its
    /// list, each once, and a gap found not put right says what was found.
    async fn check_gap_answers(
        &self,
        enterprise_id: i64,
        gap_answers: &[(String, Answer, String)],
    ) -> Result<(), ActionError> {
        if gap_answers.is_empty() {
            return Ok(());
        }
        let open = self.open_gaps(enterprise_id).await?;
        let mut seen = Vec::new();
        for (key, answer, note) in gap_answers {
            let gap = key
                .strip_prefix(GAP_KEY)
                .and_then(|v| v.parse::<i64>().ok())
                .and_then(|id| open.iter().find(|g| g.record_id == id))
                .ok_or_else(|| {
                    ActionError::bad(
                        "answer",
                        "所列的企业自查问题已整改或不属于该企业，请重新打开检查表",
                    )
                })?;
            if seen.contains(&gap.record_id) {
                return Err(ActionError::bad(
                    "answer",
                    format!("自查问题“{}”重复填写", gap.title),
                ));
            }
            seen.push(gap.record_id);
            within("answer", "检查记录说明", note, limits::NOTE)?;
            if *answer == Answer::Finding && note.trim().is_empty() {
                return Err(ActionError::bad(
                    "answer",
                    format!(
                        "企业自查问题“{}”未整改到位，请在“问题与说明”中写明检查发现的情况",
                        gap.title
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Officers of the enterprise's district or of the city record an inspection.
    pub async fn record_inspection(&self, r: &Record<'_>) -> Result<i64, ActionError> {
        self.actor.require(Permission::Inspect)?;
        within("summary", "检查情况", r.summary, limits::ACCOUNT)?;
        for (_, _, note) in &r.answers {
            within("answer", "检查记录说明", note, limits::NOTE)?;
        }
        for f in &r.findings {
            within(
                "description",
                "隐患描述",
                f.description,
                limits::DESCRIPTION,
            )?;
        }
        let enterprise_id = match r.subject {
            Subject::Id(id) => id,
            Subject::CreditCode(code) => self.enterprise_by_code("credit_code", code).await?,
        };
        let firm = enterprise::get(self.db, &self.actor.scope, enterprise_id).await?;
        self.party_may("inspection.record", format!("enterprise:{enterprise_id}"))
            .await?;
        self.check_officers(&r.officers, &firm.region_code).await?;
        if r.on > self.on {
            return Err(ActionError::bad("on", "检查日期不能晚于今天"));
        }
        let (gap_answers, answers): (Vec<_>, Vec<_>) = r
            .answers
            .iter()
            .cloned()
            .partition(|(k, _, _)| k.starts_with(GAP_KEY));
        self.check_gap_answers(enterprise_id, &gap_answers).await?;
        let checklist = self.reference.checklists.in_force(r.on).ok_or_else(|| {
            ActionError::bad("on", format!("{} 没有适用的检查表", format_date(r.on)))
        })?;
        let findings = r
            .findings
            .iter()
            .map(|f| NewHazard {
                enterprise_id,
                source: "inspection",
                level: f.level,
                item_key: f.item_key,
                description: f.description,
                found_on: r.on,
                deadline: f.deadline,
                photo: f.photo,
            })
            .collect();
        inspections::record(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            &self.reference.major_hazards,
            &NewInspection {
                enterprise_id,
                kind: r.kind,
                on: r.on,
                officers: r.officers.clone(),
                checklist,
                answers,
                gap_answers,
                summary: r.summary,
                findings,
            },
        )
        .await
        .map_err(|e| ActionError::from(e).at("summary"))
    }
}
