//! Incentives and restrictions (激励约束措施, 六（五）): the measures in force on a day, the
//! enterprises each concerns within the reader's scope with the facts that put each there, as a
//! page, a workbook and the API; and the designations officers record on enterprises.

use std::collections::HashMap;

use anbiao_domain::consequences::{
    ConsequenceSet, Department, Designation, Effect, Facts, LayoutField, Measure,
};
use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::supervision::Status;
use anbiao_domain::{Permission, Scope};
use anbiao_sheets::XCell;
use anbiao_store::consequences::{self as store, DesignationRecord, Listed};
use anbiao_store::enterprise;
use anbiao_store::paging::{PageReq, Paged};
use serde::Serialize;
use time::Date;

use crate::ctx::Ctx;
use crate::error::{ActionError, within};
use crate::exports::Workbook;

/// No day before this year is a day the system holds facts for (a typed 0000 is a slip).
const EARLIEST_YEAR: i32 = 1950;

/// Most rows one workbook of a measure's list holds (a sheet holds 1,048,576).
pub const EXPORT_MAX: usize = 1_000_000;
const CHUNK: i64 = 5_000;

/// A measure as the pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureView {
    pub key: String,
    pub section: String,
    pub department: String,
    pub department_name: String,
    pub title: String,
    pub text: String,
    pub effect: &'static str,
    pub effect_label: &'static str,
    /// The condition in words.
    pub condition: String,
    /// Who sets a rate's band, in words.
    pub range: Option<String>,
    /// The rule that decides, as recorded (`consequences@1#measure.listing.excluded`).
    pub rule: String,
    pub confidence: String,
    /// Shown as 待核对.
    pub to_be_checked: bool,
}

/// The measures in force on a day.
#[derive(Debug, Clone, Serialize)]
pub struct Measures {
    pub on: String,
    pub title: String,
    pub source: String,
    pub measures: Vec<MeasureView>,
    pub departments: Vec<Department>,
}

/// One enterprise of a measure's list with the reasons.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub enterprise_id: i64,
    pub credit_code: String,
    pub name: String,
    pub unit: String,
    pub township: Option<String>,
    /// The facts that put it on the list, in words.
    pub reasons: String,
    /// The best certificate held on the day, if any (for a department's own layout).
    #[serde(skip)]
    pub certificate: Option<anbiao_domain::consequences::HeldCertificate>,
}

/// A page of a measure's list.
#[derive(Debug, Clone)]
pub struct MeasureList {
    pub on: Date,
    pub measure: MeasureView,
    pub entries: Paged<Entry>,
}

fn view(set: &ConsequenceSet, m: &Measure) -> MeasureView {
    let dept = |k: &str| set.department(k).map_or(k.to_string(), |d| d.name.clone());
    let range = m.range_set_by.as_deref().map(|by| match m.range_percent {
        Some((lo, hi)) => format!("浮动幅度 {lo}% 至 {hi}%，由{}确定", dept(by)),
        None => format!("浮动幅度由{}确定", dept(by)),
    });
    MeasureView {
        key: m.key.clone(),
        section: m.section.clone(),
        department: m.department.clone(),
        department_name: dept(&m.department),
        title: m.title.clone(),
        text: m.text.clone(),
        effect: m.effect.key(),
        effect_label: m.effect.label(),
        condition: m.when.words(&set.designations),
        range,
        rule: m.rule.to_string(),
        confidence: m.confidence.clone(),
        to_be_checked: m.to_be_checked(),
    }
}

impl Ctx<'_> {
    /// The day a list is asked for: today when not given; a day that is not a date, or after
    /// today, is refused.
    pub fn consequence_day(&self, asked: Option<&str>) -> Result<Date, ActionError> {
        match asked.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(self.on),
            Some(s) => {
                let shown: String = if s.chars().count() > 20 {
                    format!("{}…", s.chars().take(20).collect::<String>())
                } else {
                    s.to_string()
                };
                let d = parse_date(s)
                    .filter(|d| d.year() >= EARLIEST_YEAR)
                    .ok_or_else(|| {
                        ActionError::bad("on", format!("日期“{shown}”无法识别，请写作 2019-06-30"))
                    })?;
                if d > self.on {
                    return Err(ActionError::bad(
                        "on",
                        "名单只能查看今天及以前的日期（今后的情况尚未发生）",
                    ));
                }
                Ok(d)
            }
        }
    }

    fn consequence_set(&self, day: Date) -> Result<&ConsequenceSet, ActionError> {
        self.reference.consequences.on(day).ok_or_else(|| {
            let first = self
                .reference
                .consequences
                .sets
                .iter()
                .map(|s| s.effective_from)
                .min()
                .map_or(String::new(), format_date);
            ActionError::bad(
                "on",
                format!(
                    "{}没有施行的激励约束措施（自{first}起施行）",
                    format_date(day)
                ),
            )
        })
    }

    fn key_statuses(&self, day: Date) -> Result<Vec<Status>, ActionError> {
        Ok(self
            .reference
            .inspection
            .in_force(day)
            .map_err(|e| ActionError::Internal(e.to_string()))?
            .key_statuses
            .clone())
    }

    /// The measures in force on `day`.
    pub fn consequence_measures(&self, day: Date) -> Result<Measures, ActionError> {
        self.actor.require(Permission::ViewConsequences)?;
        let set = self.consequence_set(day)?;
        Ok(Measures {
            on: format_date(day),
            title: set.title.clone(),
            source: set.source.clone(),
            measures: set.measures_on(day).map(|m| view(set, m)).collect(),
            departments: set.departments.clone(),
        })
    }

    fn measure_on<'s>(
        &self,
        set: &'s ConsequenceSet,
        key: &str,
        day: Date,
    ) -> Result<&'s Measure, ActionError> {
        set.measures_on(day)
            .find(|m| m.key == key.trim())
            .ok_or(ActionError::NotFound)
    }

    /// Entries with their reasons, in the order listed (an enterprise whose facts no longer
    /// satisfy the measure between the two reads is left out).
    async fn entries(
        &self,
        set: &ConsequenceSet,
        m: &Measure,
        day: Date,
        key_statuses: &[Status],
        listed: Vec<Listed>,
    ) -> Result<Vec<Entry>, ActionError> {
        let ids: Vec<i64> = listed.iter().map(|l| l.id).collect();
        let mut facts: HashMap<i64, Facts> =
            store::facts(self.db, &ids, day, m.when.longest_window(), key_statuses).await?;
        Ok(listed
            .into_iter()
            .filter_map(|l| {
                let f = facts.remove(&l.id)?;
                let reasons = m.decide(&f, day, &set.designations)?;
                // the best grade held; of two of one grade, the one valid longer (as the feed)
                let certificate = f
                    .certificates
                    .iter()
                    .min_by_key(|c| (c.grade, std::cmp::Reverse(c.valid_until)))
                    .cloned();
                Some(Entry {
                    enterprise_id: l.id,
                    credit_code: l.credit_code,
                    name: l.name,
                    unit: self
                        .reference
                        .regions
                        .get(&l.region_code)
                        .map_or(l.region_code.clone(), |r| {
                            self.reference.regions.unit_name(&r.unit, day)
                        }),
                    township: l.township,
                    reasons,
                    certificate,
                })
            })
            .collect())
    }

    /// One page of the enterprises a measure concerns on `day` within the reader's scope.
    pub async fn measure_list(
        &self,
        key: &str,
        day: Date,
        req: PageReq,
    ) -> Result<MeasureList, ActionError> {
        self.actor.require(Permission::ViewConsequences)?;
        let set = self.consequence_set(day)?;
        let m = self.measure_on(set, key, day)?;
        let ks = self.key_statuses(day)?;
        let page = store::page(self.db, &self.actor.scope, &m.when, &ks, day, req).await?;
        let (total, req) = (page.total, page.req);
        let rows = self.entries(set, m, day, &ks, page.rows).await?;
        Ok(MeasureList {
            on: day,
            measure: view(set, m),
            entries: Paged { rows, total, req },
        })
    }

    /// The whole list of a measure on `day` within the reader's scope as a workbook: the
    /// enterprise, its unit and township, and the reasons; the measure, its rule and the day in
    /// the title.
    pub async fn measure_workbook(&self, key: &str, day: Date) -> Result<Workbook, ActionError> {
        self.actor.require(Permission::ViewConsequences)?;
        let set = self.consequence_set(day)?;
        let m = self.measure_on(set, key, day)?;
        let ks = self.key_statuses(day)?;
        // the department's own layout, if it gave one
        let layout = set.layout(&m.department).into_owned();
        let mut rows: Vec<Vec<XCell>> = Vec::new();
        let mut after = 0i64;
        loop {
            let listed =
                store::chunk(self.db, &self.actor.scope, &m.when, &ks, day, after, CHUNK).await?;
            let Some(last) = listed.last().map(|l| l.id) else {
                break;
            };
            let n = listed.len();
            for e in self.entries(set, m, day, &ks, listed).await? {
                rows.push(layout.columns.iter().map(|c| cell(&e, c.field)).collect());
            }
            after = last;
            if n < CHUNK as usize || rows.len() >= EXPORT_MAX {
                break;
            }
        }
        rows.truncate(EXPORT_MAX);
        let check = if m.to_be_checked() {
            "（待核对）"
        } else {
            ""
        };
        let title = format!(
            "{}：{}{check}（{}，{}，截至{}，共{}家；依据{}，规则编号 {}）",
            m.section,
            m.title,
            view(set, m).department_name,
            m.effect.label(),
            format_date(day),
            rows.len(),
            set.source,
            m.rule
        );
        let n = rows.len();
        let bytes = tokio::task::spawn_blocking(move || {
            let headers: Vec<&str> = layout.columns.iter().map(|c| c.header.as_str()).collect();
            anbiao_sheets::write_table(&layout.sheet, Some(&title), &headers, &rows)
                .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| ActionError::Internal(format!("task: {e}")))?
        .map_err(ActionError::Internal)?;
        Ok(Workbook {
            bytes,
            rows: n,
            file_name: format!("{}_{}.xlsx", m.title, format_date(day)),
        })
    }

    /// The designations of an enterprise within the reader's scope, and those that may be
    /// recorded today.
    pub async fn designations(
        &self,
        enterprise_id: i64,
    ) -> Result<(Vec<DesignationRecord>, Vec<Designation>), ActionError> {
        self.actor.require(Permission::ViewConsequences)?;
        enterprise::get(self.db, &self.actor.scope, enterprise_id).await?;
        let records = store::designations_of(self.db, enterprise_id).await?;
        let offered = self
            .reference
            .consequences
            .on(self.on)
            .map(|s| s.designations.clone())
            .unwrap_or_default();
        Ok((records, offered))
    }

    /// Whether the actor records designations (an officer who edits the registry).
    pub fn keeps_designations(&self) -> bool {
        self.actor.permits(Permission::EditEnterprises) && self.actor.is_officer()
    }

    async fn require_designations(&self, object: String) -> Result<(), ActionError> {
        self.actor.require(Permission::EditEnterprises)?;
        if !self.actor.is_officer() || matches!(self.actor.scope, Scope::Enterprise { .. }) {
            let why = "国有工贸企业、市级诚信示范企业等认定由监管部门登记".to_string();
            return Err(self.actor.denied(self.db, object, why.clone(), why).await);
        }
        Ok(())
    }

    /// An officer records that an enterprise within scope holds a designation from `since`
    /// (today or earlier), with its basis (the document that says so).
    pub async fn designate(
        &self,
        enterprise_id: i64,
        key: &str,
        since: &str,
        basis: &str,
    ) -> Result<i64, ActionError> {
        self.require_designations(format!("enterprise:{enterprise_id}"))
            .await?;
        let e = enterprise::get(self.db, &self.actor.scope, enterprise_id).await?;
        let set = self.consequence_set(self.on)?;
        let d = set
            .designation(key.trim())
            .ok_or_else(|| ActionError::bad("designation", "请选择认定类别"))?;
        let since = match parse_date(since.trim()) {
            Some(s) if s.year() < EARLIEST_YEAR => {
                return Err(ActionError::bad(
                    "since",
                    format!("认定日期不能早于 {EARLIEST_YEAR} 年"),
                ));
            }
            Some(s) if s <= self.on => s,
            Some(_) => {
                return Err(ActionError::bad(
                    "since",
                    "认定日期不能晚于今天，请在认定生效后登记",
                ));
            }
            None => return Err(ActionError::bad("since", "请填写认定日期，如 2018-03-01")),
        };
        let basis = anbiao_domain::text::clean(basis);
        if anbiao_domain::text::is_blank(&basis) {
            return Err(ActionError::bad(
                "basis",
                "请写明认定依据（如文件名称和文号）",
            ));
        }
        within(
            "basis",
            "认定依据",
            &basis,
            anbiao_domain::text::limits::NOTE,
        )?;
        Ok(store::designate(
            self.db,
            &self.actor.audit,
            &self.actor.scope,
            e.id,
            (&d.key, &d.name),
            since,
            &basis,
        )
        .await?)
    }

    /// An officer ends a designation of an enterprise within scope from `until` (after it began,
    /// today or earlier), with the reason; it stays on file.
    pub async fn end_designation(
        &self,
        id: i64,
        until: &str,
        reason: &str,
    ) -> Result<i64, ActionError> {
        // Only officers keep designations: anyone else is refused before the record is read.
        self.require_designations(format!("designation:{id}"))
            .await?;
        let rec = store::designation(self.db, id).await?;
        // The enterprise within scope: another's reads as not found, whatever was sent.
        enterprise::get(self.db, &self.actor.scope, rec.enterprise_id).await?;
        let name = self
            .reference
            .consequences
            .designation(&rec.designation)
            .map_or(rec.designation.clone(), |d| d.name.clone());
        let since = parse_date(&rec.since).unwrap_or(self.on);
        let until = match parse_date(until.trim()) {
            Some(u) if u > since && u <= self.on => u,
            Some(_) => {
                return Err(ActionError::bad(
                    "until",
                    format!("终止日期应晚于认定日期（{}）且不晚于今天", rec.since),
                ));
            }
            None => return Err(ActionError::bad("until", "请填写终止日期，如 2020-01-01")),
        };
        let reason = anbiao_domain::text::clean(reason);
        if anbiao_domain::text::is_blank(&reason) {
            return Err(ActionError::bad("reason", "请写明终止认定的原因"));
        }
        within(
            "reason",
            "终止原因",
            &reason,
            anbiao_domain::text::limits::NOTE,
        )?;
        store::end_designation(
            self.db,
            &self.actor.audit,
            &self.actor.scope,
            &rec,
            &name,
            until,
            &reason,
        )
        .await?;
        Ok(rec.enterprise_id)
    }
}

/// What a workbook's column shows of an entry.
fn cell(e: &Entry, field: LayoutField) -> XCell {
    let cert = e.certificate.as_ref();
    match field {
        LayoutField::CreditCode => XCell::Text(e.credit_code.clone()),
        LayoutField::Name => XCell::Text(e.name.clone()),
        LayoutField::Unit => XCell::Text(e.unit.clone()),
        LayoutField::Township => e.township.clone().into(),
        LayoutField::Reasons => XCell::Text(e.reasons.clone()),
        LayoutField::Grade => cert.map_or(XCell::Empty, |c| XCell::Text(c.grade.label().into())),
        LayoutField::CertificateNumber => {
            cert.map_or(XCell::Empty, |c| XCell::Text(c.number.clone()))
        }
        LayoutField::ValidUntil => cert.map_or(XCell::Empty, |c| XCell::Date(c.valid_until)),
        LayoutField::Blank => XCell::Empty,
    }
}

/// Effects by key, for the API's documentation.
pub fn effect_keys() -> Vec<&'static str> {
    Effect::ALL.iter().map(|e| e.key()).collect()
}
