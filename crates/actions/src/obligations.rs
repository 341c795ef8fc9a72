//! The obligation list (安全生产监管清单, 通政发〔2018〕27号 六（二）2): each enterprise's duties
//! worked out from its record and features on the day, the period each falls due in and what it
//! recorded — done with evidence, or a gap to put right by a day (自查自改). The enterprise keeps
//! its own list; officers read the lists of the enterprises within their scope and record an
//! enterprise's features. Every call loads the enterprise within the actor's scope first.

use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::obligations::{
    Frequency, Obligation, ObligationSet, Period, Subject, evidence_type,
};
use anbiao_domain::text::limits;
use anbiao_domain::{Permission, Scope};
use anbiao_store::enterprise;
use anbiao_store::obligations::{self as store, Entry, Evidence, FeatureSpan, Record, Target};
use time::{Date, Duration};

use crate::ctx::Ctx;
use crate::error::{ActionError, within};

/// Where an item of the list stands on the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Falls due in this period and not yet recorded.
    Open,
    /// Its period's due day has passed without a record.
    Overdue,
    Done,
    /// A gap recorded, its rectification day not passed.
    Gap,
    /// A gap whose rectification day has passed.
    GapOverdue,
    /// A gap put right.
    Rectified,
    /// Recorded when it happens (no schedule).
    OnEvent,
}

impl Status {
    pub fn key(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Overdue => "overdue",
            Self::Done => "done",
            Self::Gap => "gap",
            Self::GapOverdue => "gap_overdue",
            Self::Rectified => "rectified",
            Self::OnEvent => "event",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "待自查",
            Self::Overdue => "已逾期未自查",
            Self::Done => "已落实",
            Self::Gap => "待整改",
            Self::GapOverdue => "整改已逾期",
            Self::Rectified => "已整改",
            Self::OnEvent => "发生时落实",
        }
    }

    /// Whether the item is settled for its period.
    pub fn settled(self) -> bool {
        matches!(self, Self::Done | Self::Rectified | Self::OnEvent)
    }
}

/// One item of an enterprise's list as worked out on the day, borrowing the rule and the
/// record: the daily job works out millions of these and copies nothing it does not keep.
#[derive(Debug, Clone)]
pub struct Worked<'s, 'r> {
    pub item: &'s Obligation,
    pub period: Option<Period>,
    pub status: Status,
    pub record: Option<&'r Record>,
    pub missed: Option<Period>,
}

impl Worked<'_, '_> {
    /// The item as a page shows it, with its citation.
    fn to_list_item(&self, set: &ObligationSet) -> ListItem {
        ListItem {
            rule: set.cite(&self.item.key),
            item: self.item.clone(),
            period: self.period.clone(),
            status: self.status,
            record: self.record.cloned(),
            missed: self.missed.clone(),
        }
    }
}

/// One item of an enterprise's list on the day.
#[derive(Debug, Clone)]
pub struct ListItem {
    pub item: Obligation,
    /// The rule as a decision cites it: `obligations@1#item.five.training`.
    pub rule: String,
    pub period: Option<Period>,
    pub status: Status,
    /// What the enterprise recorded for this period (or, for an event item, its latest).
    pub record: Option<Record>,
    /// The period before this one, when the item applied then and nothing was recorded for
    /// it (上期未自查): the item's escalation, and 有逾期 in the figures.
    pub missed: Option<Period>,
}

impl ListItem {
    /// The item as the running sums and the reminders read it.
    pub fn worked(&self) -> Worked<'_, '_> {
        Worked {
            item: &self.item,
            period: self.period.clone(),
            status: self.status,
            record: self.record.as_ref(),
            missed: self.missed.clone(),
        }
    }
}

/// An enterprise's obligation list on a day.
#[derive(Debug, Clone)]
pub struct ObligationList {
    pub enterprise_id: i64,
    pub enterprise: String,
    /// `obligations@1`
    pub set: String,
    pub title: String,
    pub on: Date,
    /// The features in force on the day, by name.
    pub features: Vec<(String, String)>,
    pub spans: Vec<FeatureSpan>,
    pub items: Vec<ListItem>,
    /// Open gaps of earlier periods still to be put right.
    pub earlier_gaps: Vec<Record>,
}

impl ObligationList {
    pub fn count(&self, status: Status) -> usize {
        self.items.iter().filter(|i| i.status == status).count()
    }
}

/// A file offered as evidence once checked: (name, content type, bytes).
type CheckedFile<'f> = (String, &'static str, &'f [u8]);

/// A file offered as evidence, checked by its bytes.
fn checked_evidence<'f>(
    file: Option<(&str, &'f [u8])>,
) -> Result<Option<CheckedFile<'f>>, ActionError> {
    match file {
        Some((name, bytes)) => {
            let kind = evidence_type(bytes).map_err(|m| ActionError::bad("file", m))?;
            let name = anbiao_domain::text::clean(name);
            let name: String = name.chars().take(limits::TITLE).collect();
            Ok(Some((name, kind, bytes)))
        }
        None => Ok(None),
    }
}

/// A gap of an enterprise's list not yet put right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenGap {
    pub record_id: i64,
    pub item_key: String,
    pub title: String,
    /// The period it was found in, in words.
    pub period: String,
    /// The problem the enterprise recorded.
    pub note: String,
    pub rectify_by: Option<String>,
    /// Its rectification day has passed.
    pub late: bool,
}

impl OpenGap {
    fn of(r: &Record, title: String, period: String, on: Date) -> Self {
        Self {
            record_id: r.id,
            item_key: r.item_key.clone(),
            title,
            period,
            note: r.note.clone(),
            rectify_by: r.rectify_by.clone(),
            late: r
                .rectify_by
                .as_deref()
                .and_then(parse_date)
                .is_some_and(|d| d < on),
        }
    }
}

/// A record's period in words, from its key and due day.
pub fn period_words(r: &Record) -> String {
    match r.due_on.as_deref().and_then(parse_date) {
        Some(due) => Period {
            key: r.period_key.clone(),
            start: due,
            due,
        }
        .label(),
        None => r.period_key.clone(),
    }
}

/// How far back records are read for the list: the longest period (a year) and a margin.
const LOOKBACK_DAYS: i64 = 400;

impl Ctx<'_> {
    fn obligation_set(&self) -> Result<&ObligationSet, ActionError> {
        self.reference.obligations.in_force(self.on).ok_or_else(|| {
            ActionError::bad(
                "on",
                format!("{} 没有施行中的安全生产监管清单", format_date(self.on)),
            )
        })
    }

    /// An enterprise's list on the day (the enterprise within the actor's scope).
    pub async fn obligation_list(&self, enterprise_id: i64) -> Result<ObligationList, ActionError> {
        self.actor.require(Permission::ViewObligations)?;
        let scope = &self.actor.scope;
        let e = enterprise::get(self.db, scope, enterprise_id).await?;
        let set = self.obligation_set()?;
        let spans = store::feature_spans(self.db, scope, enterprise_id).await?;
        let held = held_on(&spans, &format_date(self.on));
        let subject = subject_of(&e, &held);
        let records = store::records(
            self.db,
            scope,
            enterprise_id,
            self.on - Duration::days(LOOKBACK_DAYS),
        )
        .await?;
        let (worked, used) = work_out(
            set,
            &subject,
            &spans,
            &records,
            e.created_at.date(),
            self.on,
        );
        let items = worked.iter().map(|w| w.to_list_item(set)).collect();
        let earlier_gaps = records
            .iter()
            .filter(|r| r.state == "gap" && !used.contains(&r.id))
            .cloned()
            .collect();
        Ok(ObligationList {
            enterprise_id,
            enterprise: e.name,
            set: set.name(),
            title: set.title.clone(),
            on: self.on,
            features: held
                .iter()
                .map(|k| {
                    let name = set.feature(k).map_or(k.clone(), |f| f.name.clone());
                    (k.clone(), name)
                })
                .collect(),
            spans,
            items,
            earlier_gaps,
        })
    }

    /// The gaps of an enterprise's list still to be put right (this period's and earlier
    /// ones), for an inspection to check: the enterprise within the actor's scope.
    pub async fn open_gaps(&self, enterprise_id: i64) -> Result<Vec<OpenGap>, ActionError> {
        let list = self.obligation_list(enterprise_id).await?;
        let set = self.obligation_set()?;
        let on = self.on;
        let mut out = Vec::new();
        for li in &list.items {
            if let (Some(r), Some(p)) = (&li.record, &li.period)
                && matches!(li.status, Status::Gap | Status::GapOverdue)
            {
                out.push(OpenGap::of(r, li.item.title.clone(), p.label(), on));
            }
        }
        for r in &list.earlier_gaps {
            let title = set
                .items
                .iter()
                .rev()
                .find(|i| i.key == r.item_key)
                .map_or_else(|| r.item_key.clone(), |i| i.title.clone());
            out.push(OpenGap::of(r, title, period_words(r), on));
        }
        Ok(out)
    }

    /// The enterprise's own id, for keeping its list.
    fn own_list(&self) -> Result<i64, ActionError> {
        self.actor.require(Permission::KeepObligations)?;
        match self.actor.scope {
            Scope::Enterprise { id } => Ok(id),
            _ => Err(ActionError::Forbidden(
                "只有企业用户可以对照清单自查自改".into(),
            )),
        }
    }

    /// The item of the enterprise's own list on the day and the period it falls due in.
    async fn own_item(&self, key: &str) -> Result<(i64, ListItem), ActionError> {
        let id = self.own_list()?;
        let list = self.obligation_list(id).await?;
        let item = list
            .items
            .into_iter()
            .find(|i| i.item.key == key)
            .ok_or_else(|| ActionError::bad("item", "本企业今天的监管清单中没有这一条"))?;
        Ok((id, item))
    }

    /// The enterprise puts right a gap of an earlier period of its own list (one the list of
    /// today no longer shows as an item), with a note and perhaps a file.
    pub async fn rectify_earlier_gap(
        &self,
        key: &str,
        record_id: i64,
        note: &str,
        file: Option<(&str, &[u8])>,
    ) -> Result<i64, ActionError> {
        let id = self.own_list()?;
        let list = self.obligation_list(id).await?;
        let r = list
            .earlier_gaps
            .iter()
            .find(|r| r.id == record_id && r.item_key == key)
            .ok_or_else(|| {
                ActionError::bad("gap", "这一问题已整改或不是本企业以前各期的待整改问题")
            })?;
        let set = self
            .reference
            .obligations
            .by_name(r.rule.split('#').next().unwrap_or_default())
            .or_else(|| self.reference.obligations.in_force(self.on));
        let title = set
            .and_then(|s| s.items.iter().rev().find(|i| i.key == r.item_key))
            .map_or_else(|| r.item_key.clone(), |i| i.title.clone());
        let note = anbiao_domain::text::clean(note);
        within("note", "整改情况说明", &note, limits::NOTE)?;
        let file = file.filter(|(_, b)| !b.is_empty());
        if note.is_empty() && file.is_none() {
            return Err(ActionError::bad(
                "note",
                "请写明整改情况或上传整改后的照片、材料",
            ));
        }
        let checked = checked_evidence(file)?;
        let target = Target {
            rule: &r.rule,
            item_key: &r.item_key,
            title: &title,
            period_key: r.period_key.clone(),
            due_on: r.due_on.as_deref().and_then(parse_date),
            day: self.on,
        };
        self.record_entry(
            id,
            &target,
            Entry::Done {
                note: &note,
                evidence: checked.as_ref().map(|(name, kind, bytes)| Evidence {
                    name,
                    content_type: kind,
                    bytes,
                }),
            },
        )
        .await
    }

    /// The enterprise confirms an item of its own list as done for its period, with a note and
    /// perhaps a file (a photo or a PDF); over a gap of the period this puts the gap right.
    pub async fn confirm_obligation(
        &self,
        key: &str,
        note: &str,
        file: Option<(&str, &[u8])>,
    ) -> Result<i64, ActionError> {
        let (id, li) = self.own_item(key).await?;
        let note = anbiao_domain::text::clean(note);
        within("note", "落实情况说明", &note, limits::NOTE)?;
        let file = file.filter(|(_, b)| !b.is_empty());
        if note.is_empty() && file.is_none() {
            return Err(ActionError::bad(
                "note",
                format!(
                    "请写明落实情况或上传证明材料（应留存：{}）",
                    li.item.evidence
                ),
            ));
        }
        let checked = checked_evidence(file)?;
        let evidence = checked.as_ref().map(|(name, kind, bytes)| Evidence {
            name,
            content_type: kind,
            bytes,
        });
        let target = self.target(&li)?;
        self.record_entry(
            id,
            &target,
            Entry::Done {
                note: &note,
                evidence,
            },
        )
        .await
    }

    /// The enterprise records a gap its own check found in an item, to put right by a day.
    pub async fn mark_obligation_gap(
        &self,
        key: &str,
        note: &str,
        rectify_by: &str,
    ) -> Result<i64, ActionError> {
        let (id, li) = self.own_item(key).await?;
        if li.item.frequency == anbiao_domain::obligations::Frequency::Event {
            return Err(ActionError::bad(
                "item",
                "发生时落实的条目在发生时确认，不登记待整改",
            ));
        }
        let note = anbiao_domain::text::clean(note);
        within("note", "存在的问题", &note, limits::NOTE)?;
        if note.is_empty() {
            return Err(ActionError::bad("note", "请写明自查发现的问题"));
        }
        let by = parse_date(rectify_by.trim())
            .ok_or_else(|| ActionError::bad("rectify_by", "整改期限应为 2026-01-31 形式的日期"))?;
        if by < self.on || by > self.on + Duration::days(366) {
            return Err(ActionError::bad("rectify_by", "整改期限应在今天至一年以内"));
        }
        let target = self.target(&li)?;
        self.record_entry(
            id,
            &target,
            Entry::Gap {
                note: &note,
                rectify_by: by,
            },
        )
        .await
    }

    /// Records an entry of the enterprise's own list and writes where the list stands now.
    async fn record_entry(
        &self,
        id: i64,
        target: &Target<'_>,
        entry: Entry<'_>,
    ) -> Result<i64, ActionError> {
        let rec = store::record(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            id,
            target,
            entry,
        )
        .await?;
        self.refresh_status(id).await?;
        Ok(rec)
    }

    /// Writes where the enterprise's list stands now (after a record, a feature).
    async fn refresh_status(&self, enterprise_id: i64) -> Result<(), ActionError> {
        let e = enterprise::get(self.db, &self.actor.scope, enterprise_id).await?;
        let list = self.obligation_list(enterprise_id).await?;
        let worked: Vec<Worked<'_, '_>> = list.items.iter().map(ListItem::worked).collect();
        let row = status_row(&e, &worked, list.earlier_gaps.len(), self.on);
        Ok(store::write_statuses(self.db, &[row]).await?)
    }

    fn target<'b>(&self, li: &'b ListItem) -> Result<Target<'b>, ActionError> {
        // An item recorded when it happens is recorded for the day.
        let (period_key, due_on) = match &li.period {
            Some(p) => (p.key.clone(), Some(p.due)),
            None => (format_date(self.on), None),
        };
        Ok(Target {
            rule: &li.rule,
            item_key: &li.item.key,
            title: &li.item.title,
            period_key,
            due_on,
            day: self.on,
        })
    }

    /// A record's evidence file (the enterprise within the actor's scope).
    pub async fn obligation_evidence(
        &self,
        record_id: i64,
    ) -> Result<(String, String, Vec<u8>), ActionError> {
        self.actor.require(Permission::ViewObligations)?;
        Ok(store::evidence(self.db, &self.actor.scope, record_id).await?)
    }

    /// Records that a feature holds, or no longer holds (`on`: "1" or "0"), for an enterprise
    /// from the day: its own staff or an officer within scope. Returns whether anything changed.
    pub async fn set_enterprise_feature(
        &self,
        enterprise_id: i64,
        feature: &str,
        on: &str,
    ) -> Result<bool, ActionError> {
        self.actor.require(Permission::EditEnterprises)?;
        // The enterprise within scope first: another's reads as not found, whatever was sent.
        enterprise::get(self.db, &self.actor.scope, enterprise_id).await?;
        let on = match on.trim() {
            "1" => true,
            "0" => false,
            _ => return Err(ActionError::bad("on", "请选择涉及或不再涉及")),
        };
        let set = self.obligation_set()?;
        let f = set
            .feature(feature.trim())
            .ok_or_else(|| ActionError::bad("feature", "没有这一企业特征"))?;
        let changed = store::set_feature(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            enterprise_id,
            &f.key,
            &f.name,
            on,
            self.on,
        )
        .await?;
        if changed && self.actor.permits(Permission::ViewObligations) {
            self.refresh_status(enterprise_id).await?;
        }
        // An enterprise that takes a feature off its own record shortens its own list: its
        // officers are told, to check it against what they know of the enterprise.
        if changed && !on && matches!(self.actor.scope, Scope::Enterprise { .. }) {
            self.tell_officers_feature_off(enterprise_id, set, f)
                .await?;
        }
        Ok(changed)
    }

    async fn tell_officers_feature_off(
        &self,
        enterprise_id: i64,
        set: &ObligationSet,
        f: &anbiao_domain::obligations::Feature,
    ) -> Result<(), ActionError> {
        let e = enterprise::get(self.db, &self.actor.scope, enterprise_id).await?;
        let items: Vec<&str> = set
            .items
            .iter()
            .filter(|i| i.validity.contains(self.on) && i.applies.features.contains(&f.key))
            .map(|i| i.title.as_str())
            .collect();
        let day = format_date(self.on);
        let note = anbiao_store::notify::NewNotification {
            kind: FEATURE_OFF,
            subject: format!("enterprise:{enterprise_id}"),
            period: format!("{day}/{}", f.key),
            audience: anbiao_store::notify::Audience::Officer,
            enterprise_id,
            region_code: e.region_code.clone(),
            title: format!("“{}”自行取消了“{}”", e.name, f.name),
            body: format!(
                "企业将“{}”登记为自 {day} 起不再涉及，监管清单中的 {} 项义务（{}）随之不再适用。请结合日常检查核实；如不属实，可在该企业的监管清单页重新设为涉及。",
                f.name,
                items.len(),
                items.join("、")
            ),
            link: format!("/enterprises/{enterprise_id}/obligations"),
            rule: Some(format!("{}（企业特征）", set.name())),
            due_on: None,
        };
        anbiao_store::notify::deliver_many(self.db, &[note]).await?;
        Ok(())
    }
}

/// The officers are told an enterprise took a feature off its own record.
pub const FEATURE_OFF: &str = "obligation.feature_off";

/// The items of `set` that apply to `subject` on `on`, each with its period, its record and
/// its status; and the ids of the records used.
fn work_out<'s, 'r>(
    set: &'s ObligationSet,
    subject: &Subject<'_>,
    spans: &[FeatureSpan],
    records: &'r [Record],
    registered: Date,
    on: Date,
) -> (Vec<Worked<'s, 'r>>, Vec<i64>) {
    let mut items = Vec::new();
    let mut used: Vec<i64> = Vec::new();
    for item in set.for_subject(subject, on) {
        let since = applies_since(item, spans, set, registered);
        let period = item.frequency.period(on, since, set.grace_days);
        let record = match &period {
            Some(p) => records
                .iter()
                .find(|r| r.item_key == item.key && r.period_key == p.key),
            None => records.iter().rev().find(|r| r.item_key == item.key),
        };
        if let Some(r) = record {
            used.push(r.id);
        }
        let status = status_of(period.as_ref(), record, on);
        let missed = match (&period, item.frequency) {
            (Some(p), Frequency::Yearly | Frequency::Quarterly | Frequency::Monthly) => p
                .start
                .previous_day()
                .and_then(|d| item.frequency.period(d, since, set.grace_days))
                .filter(|prev| since <= prev.due && item.validity.contains(prev.due))
                .filter(|prev| {
                    !records
                        .iter()
                        .any(|r| r.item_key == item.key && r.period_key == prev.key)
                }),
            _ => None,
        };
        items.push(Worked {
            item,
            period,
            status,
            record,
            missed,
        });
    }
    (items, used)
}

/// Where a list stands, for the running sums: counted from its items and the earlier gaps.
fn status_row(
    e: &anbiao_store::enterprise::Enterprise,
    items: &[Worked<'_, '_>],
    earlier_gaps: usize,
    on: Date,
) -> store::Status {
    let count = |f: &dyn Fn(Status) -> bool| items.iter().filter(|i| f(i.status)).count() as i64;
    store::Status {
        enterprise_id: e.id,
        region_code: e.region_code.clone(),
        township: e.township.clone().unwrap_or_default(),
        industry_code: e.industry_code.clone(),
        items: items.len() as i64,
        settled: count(&|s| matches!(s, Status::Done | Status::Rectified)),
        open: count(&|s| s == Status::Open),
        overdue: count(&|s| s == Status::Overdue)
            + items.iter().filter(|i| i.missed.is_some()).count() as i64,
        gaps: count(&|s| matches!(s, Status::Gap | Status::GapOverdue)) + earlier_gaps as i64,
        // This period's check: a record for a yearly, quarterly or monthly item (a once-only
        // item's record stands for ever and says nothing of this period).
        checked: items.iter().any(|i| {
            i.record.is_some()
                && matches!(
                    i.item.frequency,
                    Frequency::Yearly | Frequency::Quarterly | Frequency::Monthly
                )
        }),
        missing: items
            .iter()
            .filter(|i| {
                matches!(
                    i.status,
                    Status::Open | Status::Overdue | Status::Gap | Status::GapOverdue
                )
            })
            .map(|i| i.item.key.clone())
            .collect(),
        day: format_date(on),
    }
}

/// What the daily job did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyReport {
    /// False when another run had the day.
    pub ran: bool,
    pub enterprises: usize,
    pub items: usize,
    /// Reminders delivered (new ones only).
    pub reminders: usize,
}

/// The daily job of the obligation lists.
pub const DAILY_OBLIGATIONS: &str = "obligations.daily";
/// Enterprises worked out per batch.
const JOB_BATCH: i64 = 5_000;

/// Works out every operating enterprise's list on `on` and writes where it stands, moving
/// the running sums (once per business day whatever the number of instances).
pub async fn run_daily(
    db: &anbiao_store::Db,
    reference: &anbiao_domain::ReferenceData,
    on: Date,
    instance: &str,
) -> Result<DailyReport, ActionError> {
    if !anbiao_store::jobs::claim_day(db, DAILY_OBLIGATIONS, on, instance).await? {
        return Ok(DailyReport::default());
    }
    let last = anbiao_store::jobs::finished_before(db, DAILY_OBLIGATIONS, on).await?;
    let after = crate::obligation_reminders::window_start(last, on);
    let report = work_out_all(db, reference, on, after).await?;
    let summary = format!(
        "监管清单：{} 家企业，{} 项义务；发出提醒 {} 条",
        report.enterprises, report.items, report.reminders
    );
    anbiao_store::jobs::finish_day(db, DAILY_OBLIGATIONS, on, &summary).await?;
    Ok(report)
}

/// Works out every operating enterprise's list on `on` (the daily job's work, and the
/// benchmark's) and sends the reminders whose day lies after `remind_after`.
pub async fn work_out_all(
    db: &anbiao_store::Db,
    reference: &anbiao_domain::ReferenceData,
    on: Date,
    remind_after: Date,
) -> Result<DailyReport, ActionError> {
    let mut report = DailyReport {
        ran: true,
        ..Default::default()
    };
    let Some(set) = reference.obligations.in_force(on) else {
        return Ok(report);
    };
    let day = format_date(on);
    let cite = crate::obligation_reminders::Cite::new(set);
    let mut escalations = crate::obligation_reminders::Escalations::default();
    let mut after = 0i64;
    // The statuses and reminders of one batch are written while the next is read and worked
    // out (one batch in flight at a time, in order: the running sums move under one lock).
    let mut writing: Option<tokio::task::JoinHandle<Result<usize, anbiao_store::StoreError>>> =
        None;
    let (mut reading, mut working, mut waiting) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    loop {
        let t0 = std::time::Instant::now();
        let batch = store::operating_after(db, after, JOB_BATCH).await?;
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            break;
        };
        let (lo, hi) = (first.id, last.id);
        let spans = store::spans_between(db, lo, hi).await?;
        let records =
            store::records_between(db, lo, hi, on - Duration::days(LOOKBACK_DAYS)).await?;
        let t1 = std::time::Instant::now();
        reading += t1 - t0;
        let mut rows = Vec::with_capacity(batch.len());
        let mut notes = Vec::new();
        let (mut si, mut ri) = (0usize, 0usize);
        for e in &batch {
            // Both lists run in enterprise order, like the batch.
            while si < spans.len() && spans[si].enterprise_id < e.id {
                si += 1;
            }
            let s0 = si;
            while si < spans.len() && spans[si].enterprise_id == e.id {
                si += 1;
            }
            while ri < records.len() && records[ri].enterprise_id < e.id {
                ri += 1;
            }
            let r0 = ri;
            while ri < records.len() && records[ri].enterprise_id == e.id {
                ri += 1;
            }
            let (spans, records) = (&spans[s0..si], &records[r0..ri]);
            let held = held_on(spans, &day);
            let subject = subject_of(e, &held);
            let (items, used) = work_out(set, &subject, spans, records, e.created_at.date(), on);
            let earlier = records
                .iter()
                .filter(|r| r.state == "gap" && !used.contains(&r.id))
                .count();
            report.items += items.len();
            rows.push(status_row(e, &items, earlier, on));
            let to = crate::obligation_reminders::Addressee {
                id: e.id,
                name: &e.name,
                region_code: &e.region_code,
                township: e.township.as_deref().unwrap_or_default(),
            };
            let (due, missed) =
                crate::obligation_reminders::due(&cite, &to, &items, remind_after, on);
            notes.extend(due);
            escalations.add(&to, &missed);
        }
        report.enterprises += rows.len();
        let t2 = std::time::Instant::now();
        working += t2 - t1;
        if let Some(w) = writing.take() {
            report.reminders += finished(w).await?;
        }
        waiting += t2.elapsed();
        let db = db.clone();
        writing = Some(tokio::spawn(async move {
            store::write_statuses(&db, &rows).await?;
            anbiao_store::notify::deliver_many(&db, &notes).await
        }));
        after = hi;
    }
    let t3 = std::time::Instant::now();
    if let Some(w) = writing.take() {
        report.reminders += finished(w).await?;
    }
    waiting += t3.elapsed();
    tracing::info!(
        enterprises = report.enterprises,
        reading_s = reading.as_seconds_f64(),
        working_s = working.as_seconds_f64(),
        waiting_for_writes_s = waiting.as_seconds_f64(),
        "obligation lists worked out"
    );
    let unit = |code: &str| {
        reference.regions.get(code).map_or_else(
            || (code.to_string(), code.to_string()),
            |r| (r.unit.clone(), reference.regions.unit_name(&r.unit, on)),
        )
    };
    report.reminders +=
        anbiao_store::notify::deliver_many(db, &escalations.notifications(&cite, &unit)).await?;
    Ok(report)
}

/// The result of a batch's writes.
async fn finished(
    w: tokio::task::JoinHandle<Result<usize, anbiao_store::StoreError>>,
) -> Result<usize, ActionError> {
    match w.await {
        Ok(r) => Ok(r?),
        Err(e) => Err(ActionError::Internal(format!(
            "监管清单日常任务写入失败：{e}"
        ))),
    }
}

/// The features that hold on `day` (2026-12-07), by key.
fn held_on(spans: &[FeatureSpan], day: &str) -> Vec<String> {
    spans
        .iter()
        .filter(|s| s.holds_on(day))
        .map(|s| s.feature.clone())
        .collect()
}

/// What an item's applicability is judged on: the enterprise's record and its features.
fn subject_of<'a>(e: &'a anbiao_store::enterprise::Enterprise, held: &'a [String]) -> Subject<'a> {
    Subject {
        industry_code: &e.industry_code,
        above_scale: e.above_scale,
        size_class: e.size_class.as_deref(),
        features: held,
    }
}

/// The day an item first applied to the enterprise: the later of its own effective day, the
/// day the enterprise was registered and, for an item that needs a feature, the day the
/// feature was recorded from.
fn applies_since(
    item: &Obligation,
    spans: &[FeatureSpan],
    set: &ObligationSet,
    registered: Date,
) -> Date {
    let mut since = item
        .validity
        .from
        .unwrap_or(set.effective_from)
        .max(registered);
    if !item.applies.features.is_empty()
        && let Some(f) = spans
            .iter()
            .filter(|s| item.applies.features.contains(&s.feature))
            .filter_map(|s| parse_date(&s.since))
            .min()
    {
        since = since.max(f);
    }
    since
}

fn status_of(period: Option<&Period>, record: Option<&Record>, on: Date) -> Status {
    match (period, record) {
        (None, _) => Status::OnEvent,
        (Some(_), Some(r)) if r.state == "done" => Status::Done,
        (Some(_), Some(r)) if r.state == "rectified" => Status::Rectified,
        (Some(_), Some(r)) => {
            let late = r
                .rectify_by
                .as_deref()
                .and_then(parse_date)
                .is_some_and(|d| d < on);
            if late {
                Status::GapOverdue
            } else {
                Status::Gap
            }
        }
        (Some(p), None) if p.due < on => Status::Overdue,
        (Some(_), None) => Status::Open,
    }
}

/// The officers' figures of the obligation lists (六（二）2: who has not checked themselves,
/// which items are most often missing, the enterprises graded recently whose list is not
/// complete), from the running sums.
#[derive(Debug, Clone, Default)]
pub struct ObligationFigures {
    /// The scope's total.
    pub total: store::Figures,
    /// By region (the city), or by township (a district and a township): (name, the query
    /// that narrows the list behind the figures to it, the unit for the city's rows, figures).
    pub places: Vec<(String, String, Option<String>, store::Figures)>,
    /// By industry: (name, code, figures).
    pub industries: Vec<(String, String, store::Figures)>,
    /// The items most often still open: (title, group, enterprises).
    pub missing: Vec<(String, String, i64)>,
    /// Graded in the last year, list not complete: (id, name, open, overdue, gaps).
    pub graded_incomplete: Vec<(i64, String, i64, i64, i64)>,
}

/// How the list behind the figures names the enterprises whose township is not recorded.
pub const NO_TOWNSHIP: &str = "（未填乡镇）";

/// The list behind the officers' figures, as asked: which enterprises, and where.
#[derive(Debug, Clone, Default)]
pub struct ListAsk<'a> {
    pub show: &'a str,
    /// A unit (the city's places).
    pub unit: Option<&'a str>,
    /// A township (a district's places).
    pub township: Option<&'a str>,
    pub industry: Option<&'a str>,
}

/// How many items and enterprises the figures list.
pub const FIGURES_LIST: i64 = 20;

impl Ctx<'_> {
    /// The enterprises behind a figure (who has not checked itself, who has gaps …), a page
    /// of them within the actor's scope, narrowed to a unit, township or industry.
    pub async fn obligation_enterprises(
        &self,
        ask: &ListAsk<'_>,
        req: anbiao_store::paging::PageReq,
    ) -> Result<
        (
            store::ListFilter,
            anbiao_store::paging::Paged<store::StatusLine>,
        ),
        ActionError,
    > {
        self.officers_figures()?;
        let show = store::Show::parse(ask.show.trim())
            .ok_or_else(|| ActionError::bad("show", "请选择要列出的企业（未自查、有待整改等）"))?;
        let text = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let codes = match text(ask.unit) {
            Some(u) => {
                let codes: Vec<String> = self
                    .reference
                    .regions
                    .all()
                    .iter()
                    .filter(|r| r.unit == u)
                    .map(|r| r.code.clone())
                    .collect();
                if codes.is_empty() {
                    return Err(ActionError::bad("unit", format!("没有“{u}”这一地区")));
                }
                codes
            }
            None => Vec::new(),
        };
        let industry = text(ask.industry);
        if let Some(i) = &industry
            && self.reference.industries.get(i).is_none()
        {
            return Err(ActionError::bad(
                "industry",
                format!("行业代码“{i}”不在行业表中"),
            ));
        }
        let filter = store::ListFilter {
            show,
            codes,
            // The enterprises whose township is not recorded.
            township: text(ask.township).map(|t| if t == NO_TOWNSHIP { String::new() } else { t }),
            industry,
        };
        let page = store::status_page(self.db, &self.actor.scope, &filter, req).await?;
        Ok((filter, page))
    }

    /// Refuses who may not read the officers' figures of the lists.
    fn officers_figures(&self) -> Result<(), ActionError> {
        self.actor.require(Permission::ViewObligations)?;
        if !matches!(
            self.actor.scope,
            Scope::City | Scope::Region { .. } | Scope::Township { .. }
        ) {
            return Err(ActionError::Forbidden(
                "监管清单统计仅供监管人员查看；企业请查看本企业的监管清单".into(),
            ));
        }
        Ok(())
    }

    /// The figures within the actor's scope (officers; an enterprise reads its own list).
    pub async fn obligation_figures(&self) -> Result<ObligationFigures, ActionError> {
        self.officers_figures()?;
        let scope = &self.actor.scope;
        let by = match scope {
            Scope::City => store::GroupBy::Region,
            _ => store::GroupBy::Township,
        };
        let places = store::figures(self.db, scope, by).await?;
        let mut total = store::Figures::default();
        for f in &places {
            total.enterprises += f.enterprises;
            total.checked += f.checked;
            total.complete += f.complete;
            total.open += f.open;
            total.overdue += f.overdue;
            total.gaps += f.gaps;
        }
        let region = |code: &str| -> String {
            self.reference
                .regions
                .get(code)
                .map_or(code.to_string(), |r| {
                    self.reference.regions.unit_name(&r.unit, self.on)
                })
        };
        let place_name = |key: &str| -> String {
            match key.split_once('/') {
                Some((_, township)) if !township.is_empty() => township.to_string(),
                Some((code, _)) => format!("{}（未填乡镇）", region(code)),
                None => region(key),
            }
        };
        // The list behind a place's figures: the city's by unit, the others' by township.
        let place_query = |key: &str| -> String {
            match key.split_once('/') {
                Some((_, township)) => format!(
                    "township={}",
                    anbiao_domain::text::percent_encode(if township.is_empty() {
                        NO_TOWNSHIP
                    } else {
                        township
                    })
                ),
                None => self.reference.regions.get(key).map_or(String::new(), |r| {
                    format!("unit={}", anbiao_domain::text::percent_encode(&r.unit))
                }),
            }
        };
        // Codes of one unit (an old code and its successor) are one place.
        let mut merged: Vec<(String, String, Option<String>, store::Figures)> = Vec::new();
        for f in places {
            let name = place_name(&f.key);
            match merged.iter_mut().find(|(n, _, _, _)| *n == name) {
                Some((_, _, _, m)) => {
                    m.enterprises += f.enterprises;
                    m.checked += f.checked;
                    m.complete += f.complete;
                    m.open += f.open;
                    m.overdue += f.overdue;
                    m.gaps += f.gaps;
                }
                None => {
                    let unit = match f.key.split_once('/') {
                        Some(_) => None,
                        None => self.reference.regions.get(&f.key).map(|r| r.unit.clone()),
                    };
                    merged.push((name, place_query(&f.key), unit, f))
                }
            }
        }
        let places = merged;
        let industries = store::figures(self.db, scope, store::GroupBy::Industry)
            .await?
            .into_iter()
            .map(|f| {
                let name = self
                    .reference
                    .industries
                    .get(&f.key)
                    .map_or(f.key.clone(), |i| i.name.clone());
                (name, f.key.clone(), f)
            })
            .collect();
        let set = self.reference.obligations.in_force(self.on);
        let missing = store::most_missing(self.db, scope, FIGURES_LIST)
            .await?
            .into_iter()
            .map(|(key, n)| {
                let item = set.and_then(|s| s.item(&key, self.on));
                (
                    item.map_or(key.clone(), |i| i.title.clone()),
                    item.map_or(String::new(), |i| i.group.clone()),
                    n,
                )
            })
            .collect();
        let graded_incomplete =
            store::graded_incomplete(self.db, scope, self.on - Duration::days(365), FIGURES_LIST)
                .await?;
        Ok(ObligationFigures {
            total,
            places,
            industries,
            missing,
            graded_incomplete,
        })
    }
}
