//! The districts' reports against a programme's deadlines (报送): a district submits its
//! sealed scan (and for a list, the enterprises it names); the city accepts or returns it.

use anbiao_domain::credit_code::CreditCode;
use anbiao_domain::programme::DeadlineKind;
use anbiao_domain::{Permission, Role};
use anbiao_store::submissions::Submission;
use anbiao_store::{enterprise, submissions};

use crate::ctx::Ctx;
use anbiao_domain::text::limits;

use crate::error::{ActionError, within};

/// The largest scan accepted.
pub const MAX_FILE: usize = 20 * 1024 * 1024;

/// A district's report.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    pub programme_id: &'a str,
    pub deadline_key: &'a str,
    pub file_name: &'a str,
    pub bytes: &'a [u8],
    /// For a list: the credit codes, one per line.
    pub codes: &'a str,
    pub note: Option<&'a str>,
}

impl Ctx<'_> {
    /// Whether the actor may open a unit's submissions: the city all of them, a district's
    /// officers their own unit's. Township officers take no part in the district's reporting.
    pub fn may_read_reports_of(&self, unit: &str) -> bool {
        if !self.actor.permits(Permission::ViewProgrammes) {
            return false;
        }
        match self.actor.role {
            Some(Role::CityOfficer) => true,
            Some(Role::DistrictOfficer) => self.own_unit().as_deref() == Some(unit),
            _ => false,
        }
    }

    /// A submission the actor may read (not found otherwise), with its enterprises.
    pub async fn report(
        &self,
        id: i64,
    ) -> Result<(Submission, Vec<(i64, String, String)>), ActionError> {
        let s = submissions::get(self.db, id).await?;
        if !self.may_read_reports_of(&s.unit) {
            return Err(ActionError::NotFound);
        }
        let listed = submissions::enterprises(self.db, id).await?;
        Ok((s, listed))
    }

    /// A submission's scan, for who may read it.
    pub async fn report_file(&self, id: i64) -> Result<(Submission, Vec<u8>), ActionError> {
        let s = submissions::get(self.db, id).await?;
        if !self.may_read_reports_of(&s.unit) {
            return Err(ActionError::NotFound);
        }
        let bytes = submissions::file(self.db, id).await?;
        Ok((s, bytes))
    }

    /// A district officer submits the district's report for a deadline of the programme.
    pub async fn submit_report(&self, r: &Report<'_>) -> Result<i64, ActionError> {
        self.actor.require(Permission::SubmitReports)?;
        within("note", "报送说明", r.note.unwrap_or_default(), limits::NOTE)?;
        within("file", "文件名", r.file_name, limits::TITLE * 2)?;
        let p = self
            .reference
            .programme(r.programme_id)
            .ok_or(ActionError::NotFound)?;
        let unit = self
            .own_unit()
            .ok_or_else(|| ActionError::bad("unit", "您的账户没有所属地区，不能报送"))?;
        self.party_may("submission.submit", format!("unit:{unit}"))
            .await?;
        if !p.units.iter().any(|x| x.unit == unit) {
            return Err(ActionError::bad(
                "unit",
                format!("方案任务表中没有地区“{unit}”"),
            ));
        }
        let deadline = p
            .deadlines
            .iter()
            .find(|d| d.key == r.deadline_key.trim() && d.kind != DeadlineKind::Milestone)
            .ok_or_else(|| ActionError::bad("deadline", "请选择报送事项"))?;
        if r.bytes.is_empty() {
            return Err(ActionError::bad("file", "请选择加盖公章的扫描件（PDF）"));
        }
        if r.bytes.len() > MAX_FILE {
            return Err(ActionError::bad("file", "文件过大或上传中断（上限 20 MB）"));
        }
        if !r.bytes.starts_with(b"%PDF-") {
            return Err(ActionError::bad(
                "file",
                format!("“{}”不是 PDF 文件，请上传扫描件 PDF", r.file_name),
            ));
        }
        let mut ids = Vec::new();
        if deadline.kind == DeadlineKind::List {
            let mut bad = Vec::new();
            for (n, raw) in r.codes.lines().enumerate() {
                let raw = raw.trim();
                if raw.is_empty() {
                    continue;
                }
                match self.unit_enterprise(raw, &unit).await? {
                    Some(id) if !ids.contains(&id) => ids.push(id),
                    Some(_) => {}
                    None => bad.push(format!("第{}行“{raw}”", n + 1)),
                }
            }
            if !bad.is_empty() {
                return Err(ActionError::bad(
                    "codes",
                    format!("以下信用代码无效或不在本地区企业名录中：{}", bad.join("、")),
                ));
            }
            if ids.is_empty() {
                return Err(ActionError::bad(
                    "codes",
                    "请填写名单中企业的统一社会信用代码，每行一个",
                ));
            }
        }
        Ok(submissions::submit(
            self.db,
            &self.actor.audit,
            &submissions::NewSubmission {
                programme_id: &p.id,
                deadline_key: &deadline.key,
                unit: &unit,
                file_name: r.file_name,
                bytes: r.bytes,
                enterprise_ids: &ids,
                note: r.note,
                on: self.on,
            },
        )
        .await?)
    }

    /// The enterprise a credit code names, if it is in the actor's scope and of `unit`.
    async fn unit_enterprise(&self, raw: &str, unit: &str) -> Result<Option<i64>, ActionError> {
        let Ok(code) = CreditCode::parse(raw) else {
            return Ok(None);
        };
        let Some(id) = enterprise::id_by_credit_code(self.db, code.as_str()).await? else {
            return Ok(None);
        };
        let Ok(e) = enterprise::get(self.db, &self.actor.scope, id).await else {
            return Ok(None);
        };
        Ok(self
            .reference
            .regions
            .get(&e.region_code)
            .is_some_and(|r| r.unit == unit)
            .then_some(id))
    }

    /// The city accepts a district's submission, or returns it with the reason.
    pub async fn decide_report(
        &self,
        id: i64,
        accept: bool,
        reason: Option<&str>,
    ) -> Result<(), ActionError> {
        self.actor.require(Permission::ReviewReports)?;
        self.report(id).await?;
        self.party_may("submission.decide", format!("submission:{id}"))
            .await?;
        Ok(submissions::decide(self.db, &self.actor.audit, id, accept, reason, self.on).await?)
    }
}
