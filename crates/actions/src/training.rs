//! Training (培训, 通政发〔2018〕27号 六（六）1, 六（一）3): the city, a district or a township
//! records the sessions it runs or follows and who attended them — one by one on the day, or
//! from the sign-in sheet, all rows or none, with a report per row — and reads the coverage the
//! seed asks about, as of any day. The unit a session belongs to is the recording actor's; only
//! that unit adds to it.

use std::collections::{BTreeMap, HashMap, HashSet};

use anbiao_domain::Scope;
use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::outreach::{AttendeeRole, OutreachSet, to_be_checked};
use anbiao_domain::text::{clean, limits};
use anbiao_domain::{Permission, region::RegionBook};
use anbiao_sheets::sign_in::{SignInRow, read_sign_in};
use anbiao_store::paging::{PageReq, Paged};
use anbiao_store::training::{self as store, Attendance, Found, NewAttendee, Reach, Session};
use time::{Date, Duration};

use crate::ctx::Ctx;
use crate::error::{ActionError, within};

/// A session as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct SessionForm {
    pub title: String,
    pub organiser: String,
    pub organiser_name: String,
    pub topic: String,
    pub audience: String,
    pub held_on: String,
    pub hours: String,
    pub place: String,
    pub trainer: String,
}

/// A person as the form or a row of the sign-in sheet gives them.
#[derive(Debug, Clone, Default)]
pub struct PersonForm {
    pub name: String,
    /// The enterprise's name or credit code, or the officer's unit.
    pub unit: String,
    pub role: String,
    /// An evaluator's certificate number.
    pub certificate: String,
    pub phone: String,
}

impl From<SignInRow> for PersonForm {
    fn from(r: SignInRow) -> Self {
        Self {
            name: r.name,
            unit: r.unit,
            role: r.role,
            certificate: r.certificate,
            phone: r.phone,
        }
    }
}

/// What became of one row of a sign-in sheet.
#[derive(Debug, Clone)]
pub struct ReportRow {
    pub number: u64,
    pub name: String,
    pub affiliation: String,
    pub role: String,
    /// Why the row is refused; `None`: it is good.
    pub problem: Option<String>,
}

/// The outcome of a sign-in sheet: every row with its problem, and how many were recorded
/// (none when any row is refused).
#[derive(Debug, Clone)]
pub struct SignInReport {
    pub session: Session,
    pub rows: Vec<ReportRow>,
    pub recorded: usize,
}

impl SignInReport {
    pub fn refused(&self) -> usize {
        self.rows.iter().filter(|r| r.problem.is_some()).count()
    }
}

/// A session with its attendance.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub session: Session,
    pub attendance: Vec<Attendance>,
    /// Whether the actor's unit recorded it (and so adds to it).
    pub own: bool,
}

/// One line of the coverage table: a unit (or a township of the actor's unit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoverageLine {
    pub unit: String,
    pub name: String,
    pub key_total: i64,
    pub key_covered: i64,
    pub small_total: i64,
    pub small_reached: i64,
    /// Sessions the unit recorded in the window and their attendance.
    pub sessions: i64,
    pub attendances: i64,
    /// Model enterprises named by the day; exchanges held in the window and the enterprises
    /// attending them.
    pub models: i64,
    pub exchanges: i64,
    pub exchange_attendees: i64,
}

/// The coverage on a day.
#[derive(Debug, Clone)]
pub struct CoverageView {
    pub on: Date,
    pub window_from: Date,
    pub rule: String,
    pub lines: Vec<CoverageLine>,
    pub total: CoverageLine,
    /// Evaluators qualified on the day, and of them those trained in the calendar year.
    pub evaluators: i64,
    pub evaluators_trained: i64,
    /// Whether a rule deciding the figures is to be checked (待核对).
    pub to_be_checked: bool,
}

impl Ctx<'_> {
    pub fn outreach_set(&self) -> Result<&OutreachSet, ActionError> {
        self.reference.outreach.in_force(self.on).ok_or_else(|| {
            ActionError::bad(
                "on",
                format!(
                    "{} 没有施行中的培训、宣传和典型示范规则",
                    format_date(self.on)
                ),
            )
        })
    }

    /// The sessions the actor reads: the city's and the actor's unit's.
    pub(crate) fn training_reach(&self) -> Result<Reach, ActionError> {
        let unit = || {
            self.own_unit()
                .ok_or_else(|| ActionError::Forbidden("您的账号未指定所属地区".into()))
        };
        match &self.actor.scope {
            Scope::City => Ok(Reach::City),
            Scope::Region { .. } => Ok(Reach::Unit(unit()?)),
            Scope::Township { township, .. } => Ok(Reach::Township {
                unit: unit()?,
                township: township.clone(),
            }),
            _ => Err(ActionError::Forbidden(format!(
                "您没有{}的权限",
                Permission::ViewTraining.label()
            ))),
        }
    }

    /// The unit and township a session the actor records belongs to.
    pub(crate) fn recording_unit(&self) -> Result<(Option<String>, Option<String>), ActionError> {
        Ok(match self.training_reach()? {
            Reach::City => (None, None),
            Reach::Unit(u) => (Some(u), None),
            Reach::Township { unit, township } => (Some(unit), Some(township)),
        })
    }

    pub async fn training_sessions(
        &self,
        year: Option<i32>,
        req: PageReq,
    ) -> Result<Paged<Session>, ActionError> {
        self.actor.require(Permission::ViewTraining)?;
        let reach = self.training_reach()?;
        Ok(store::sessions(self.db, &reach, year, req).await?)
    }

    pub async fn training_session(&self, id: i64) -> Result<SessionView, ActionError> {
        self.actor.require(Permission::ViewTraining)?;
        let reach = self.training_reach()?;
        let session = store::session(self.db, &reach, id).await?;
        let attendance = store::attendance(self.db, id).await?;
        let own = self.actor.permits(Permission::KeepTraining)
            && (session.unit.clone(), session.township.clone()) == self.recording_unit()?;
        Ok(SessionView {
            session,
            attendance,
            own,
        })
    }

    /// Records a session of the actor's unit.
    pub async fn record_training_session(&self, f: &SessionForm) -> Result<i64, ActionError> {
        self.actor.require(Permission::KeepTraining)?;
        let set = self.outreach_set()?;
        let (unit, township) = self.recording_unit()?;
        let title = clean(&f.title);
        let organiser_name = clean(&f.organiser_name);
        let place = clean(&f.place);
        let trainer = clean(&f.trainer);
        for (field, what, v) in [
            ("title", "培训名称", &title),
            ("organiser_name", "主办单位", &organiser_name),
            ("place", "培训地点", &place),
            ("trainer", "授课人", &trainer),
        ] {
            if v.is_empty() {
                return Err(ActionError::bad(field, format!("请填写{what}")));
            }
            within(field, what, v, limits::TITLE)?;
        }
        let word = |field: &str, what: &str, key: &str, ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(ActionError::bad(
                    field,
                    format!("{what}“{key}”无法识别，请从列表中选择"),
                ))
            }
        };
        word(
            "organiser",
            "主办方",
            &f.organiser,
            set.organiser(&f.organiser).is_some(),
        )?;
        word("topic", "培训主题", &f.topic, set.topic(&f.topic).is_some())?;
        word(
            "audience",
            "培训对象",
            &f.audience,
            set.audience(&f.audience).is_some(),
        )?;
        let held_on = parse_date(f.held_on.trim())
            .ok_or_else(|| ActionError::bad("held_on", "请按“2026-12-07”的格式填写培训日期"))?;
        if held_on < set.effective_from || held_on > self.on + Duration::days(366) {
            return Err(ActionError::bad(
                "held_on",
                format!(
                    "培训日期应在 {} 至 {} 之间",
                    format_date(set.effective_from),
                    format_date(self.on + Duration::days(366))
                ),
            ));
        }
        let hours_tenths = parse_hours(&f.hours).ok_or_else(|| {
            ActionError::bad(
                "hours",
                "学时应为 0.5 至 200 之间的数，最多一位小数，如 3.5",
            )
        })?;
        let rule = set.cite("training");
        Ok(store::create_session(
            self.db,
            &self.actor.audit,
            &store::NewSession {
                unit: unit.as_deref(),
                township: township.as_deref(),
                organiser: &f.organiser,
                organiser_name: &organiser_name,
                title: &title,
                topic: &f.topic,
                audience: &f.audience,
                held_on,
                hours_tenths,
                place: &place,
                trainer: &trainer,
                rule: &rule,
            },
        )
        .await?)
    }

    /// A session the actor's unit recorded and that has been held: only that unit adds to it.
    async fn own_session(&self, id: i64) -> Result<Session, ActionError> {
        self.actor.require(Permission::KeepTraining)?;
        let reach = self.training_reach()?;
        let session = store::session(self.db, &reach, id).await?;
        if (session.unit.clone(), session.township.clone()) != self.recording_unit()? {
            let why = "这次培训由其他单位登记，只有登记单位可以登记签到".to_string();
            return Err(self
                .actor
                .denied(self.db, format!("training:{id}"), why.clone(), why)
                .await);
        }
        if parse_date(&session.held_on).is_some_and(|d| d > self.on) {
            return Err(ActionError::Conflict(format!(
                "培训定于 {} 举行，尚未举行，不能登记签到",
                session.held_on
            )));
        }
        Ok(session)
    }

    /// Works out who a person is and where they come from, or why not.
    async fn attendee(
        &self,
        set: &OutreachSet,
        day: &str,
        p: &PersonForm,
    ) -> Result<NewAttendee, String> {
        let name = clean(&p.name);
        if name.is_empty() {
            return Err("未填写姓名".into());
        }
        if name.chars().count() > 30 {
            return Err(format!("姓名“{name}”超过 30 字"));
        }
        let role: &AttendeeRole = set.role_named(&p.role).ok_or_else(|| {
            let names: Vec<&str> = set.roles.iter().map(|r| r.name.as_str()).collect();
            if p.role.trim().is_empty() {
                format!("未填写身份（应为{}之一）", names.join("、"))
            } else {
                format!(
                    "身份“{}”无法识别（应为{}之一）",
                    p.role.trim(),
                    names.join("、")
                )
            }
        })?;
        let phone = clean(&p.phone);
        if !phone.is_empty()
            && (phone.chars().count() > 20
                || !phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '-' || c == ' '))
        {
            return Err(format!("电话“{phone}”应为数字"));
        }
        let unit = clean(&p.unit);
        let (enterprise_id, evaluator_id, affiliation) = if role.enterprise {
            if unit.is_empty() {
                return Err(format!(
                    "{}须填写所在企业的名称或统一社会信用代码",
                    role.name
                ));
            }
            match store::find_enterprise(self.db, &self.actor.scope, &unit)
                .await
                .map_err(|e| e.to_string())?
            {
                Found::One { id, name } => (Some(id), None, name),
                Found::None => {
                    return Err(format!(
                        "企业“{unit}”不在您辖区的企业名录中（按企业名称或统一社会信用代码查找）"
                    ));
                }
                Found::Many => {
                    return Err(format!("有多家企业名为“{unit}”，请改填统一社会信用代码"));
                }
            }
        } else if role.evaluator {
            let number = clean(&p.certificate);
            if number.is_empty() {
                return Err("考评员须填写考评员证书编号".into());
            }
            match store::evaluator_by_certificate(self.db, &number)
                .await
                .map_err(|e| e.to_string())?
            {
                Some((_, name, _, until)) if until.as_str() < day => {
                    return Err(format!(
                        "考评员 {name}（证书编号“{number}”）的资格已于 {until} 到期"
                    ));
                }
                Some((id, _, org, _)) => (None, Some(id), org),
                None => return Err(format!("考评员证书编号“{number}”未登记")),
            }
        } else {
            if unit.is_empty() {
                return Err(format!("{}须填写工作单位", role.name));
            }
            if unit.chars().count() > limits::TITLE {
                return Err(format!("工作单位超过 {} 字", limits::TITLE));
            }
            (None, None, unit)
        };
        Ok(NewAttendee {
            person: name,
            role: role.key.clone(),
            enterprise_id,
            evaluator_id,
            affiliation,
            phone: (!phone.is_empty()).then_some(phone),
        })
    }

    /// Records one person at a session of the actor's unit.
    pub async fn add_training_attendee(
        &self,
        session_id: i64,
        p: &PersonForm,
    ) -> Result<i64, ActionError> {
        let session = self.own_session(session_id).await?;
        let set = self.outreach_set()?;
        let a = self
            .attendee(set, &session.held_on, p)
            .await
            .map_err(|m| ActionError::bad("name", m))?;
        let ids = store::add_attendance(self.db, &self.actor.audit, &session, &[a], "form").await?;
        ids.first().copied().ok_or(ActionError::NotFound)
    }

    /// Imports a sign-in sheet into a session of the actor's unit: every row is checked; any
    /// refused row refuses the sheet, and nothing is recorded.
    pub async fn import_sign_in(
        &self,
        session_id: i64,
        bytes: Vec<u8>,
    ) -> Result<SignInReport, ActionError> {
        let session = self.own_session(session_id).await?;
        let set = self.outreach_set()?;
        let rows = tokio::task::spawn_blocking(move || read_sign_in(&bytes))
            .await
            .map_err(|_| ActionError::bad("file", "签到表无法读取"))?
            .map_err(|e| ActionError::bad("file", e.to_string()))?;
        let already: HashMap<String, ()> = store::attendance(self.db, session_id)
            .await?
            .into_iter()
            .map(|a| {
                let key = NewAttendee {
                    person: a.person,
                    role: a.role,
                    enterprise_id: a.enterprise_id,
                    evaluator_id: a.evaluator_id,
                    affiliation: a.affiliation,
                    phone: None,
                }
                .key();
                (key, ())
            })
            .collect();
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut report = Vec::with_capacity(rows.len());
        let mut good = Vec::with_capacity(rows.len());
        for r in rows {
            let number = r.number;
            let form = PersonForm::from(r);
            let outcome = self.attendee(set, &session.held_on, &form).await;
            let (name, affiliation, role, problem) = match outcome {
                Ok(a) => {
                    let key = a.key();
                    let problem = if let Some(first) = seen.get(&key) {
                        Some(format!("与第{first}行是同一人"))
                    } else if already.contains_key(&key) {
                        Some("已登记过本次培训".to_string())
                    } else {
                        None
                    };
                    seen.entry(key).or_insert(number);
                    let role = set.role(&a.role).map_or(a.role.clone(), |r| r.name.clone());
                    let row = (a.person.clone(), a.affiliation.clone(), role, problem);
                    good.push(a);
                    row
                }
                Err(m) => (
                    clean(&form.name),
                    clean(&form.unit),
                    clean(&form.role),
                    Some(m),
                ),
            };
            report.push(ReportRow {
                number,
                name,
                affiliation,
                role,
                problem,
            });
        }
        let refused = report.iter().any(|r| r.problem.is_some());
        let recorded = if refused {
            0
        } else {
            store::add_attendance(self.db, &self.actor.audit, &session, &good, "sheet")
                .await?
                .len()
        };
        let session = store::session(self.db, &Reach::City, session_id).await?;
        Ok(SignInReport {
            session,
            rows: report,
            recorded,
        })
    }

    /// One attendance and its session (the session within the actor's reach), for its
    /// certificate.
    pub async fn training_attendance(&self, id: i64) -> Result<(Attendance, Session), ActionError> {
        self.actor.require(Permission::ViewTraining)?;
        let reach = self.training_reach()?;
        Ok(store::attendance_by_id(self.db, &reach, id).await?)
    }

    /// The coverage on the day, per unit (a district's or township officer's: per township of
    /// their unit).
    pub async fn training_coverage(&self) -> Result<CoverageView, ActionError> {
        self.actor.require(Permission::ViewTraining)?;
        let reach = self.training_reach()?;
        let set = self.outreach_set()?;
        let c = &set.coverage;
        let from = set.window_start(self.on);
        let sums = store::coverage_sums(self.db, &c.key_roles, from, self.on).await?;
        let regions: &RegionBook = &self.reference.regions;
        let unit_of = |code: &str| regions.get(code).map(|r| r.unit.clone());
        let mut lines: BTreeMap<(usize, String), CoverageLine> = BTreeMap::new();
        let by_township = !matches!(reach, Reach::City);
        let own = match &reach {
            Reach::City => None,
            Reach::Unit(u) | Reach::Township { unit: u, .. } => Some(u.clone()),
        };
        for ((code, township), s) in &sums {
            let Some(unit) = unit_of(code) else { continue };
            if own.as_ref().is_some_and(|o| *o != unit) {
                continue;
            }
            if let Reach::Township { township: t, .. } = &reach
                && t != township
            {
                continue;
            }
            let (rank, key, name) = if by_township {
                let name = if township.is_empty() {
                    "（未填写乡镇）".to_string()
                } else {
                    township.clone()
                };
                (0, name.clone(), name)
            } else {
                (
                    regions.unit_rank(&unit),
                    unit.clone(),
                    self.unit_name(&unit),
                )
            };
            let line = lines
                .entry((rank, key.clone()))
                .or_insert_with(|| CoverageLine {
                    unit: key,
                    name,
                    ..CoverageLine::default()
                });
            line.key_total += s.key_total;
            line.key_covered += s.key_covered;
            line.small_total += s.small_total;
            line.small_reached += s.small_reached;
        }
        if !by_township {
            for (unit, n, people) in store::session_sums(self.db, from, self.on).await? {
                let Some(unit) = unit else {
                    // The city's own sessions: a row of their own after the units.
                    let line =
                        lines
                            .entry((usize::MAX, String::new()))
                            .or_insert_with(|| CoverageLine {
                                unit: String::new(),
                                name: format!("{}（市级举办）", self.reference.regions.city_name),
                                ..CoverageLine::default()
                            });
                    line.sessions += n;
                    line.attendances += people;
                    continue;
                };
                let rank = regions.unit_rank(&unit);
                let name = self.unit_name(&unit);
                let line = lines
                    .entry((rank, unit.clone()))
                    .or_insert_with(|| CoverageLine {
                        unit: unit.clone(),
                        name,
                        ..CoverageLine::default()
                    });
                line.sessions += n;
                line.attendances += people;
            }
            for (unit, models, exchanges, attending) in
                anbiao_store::outreach::unit_sums(self.db, from, self.on).await?
            {
                let Some(unit) = unit else { continue };
                let rank = regions.unit_rank(&unit);
                let name = self.unit_name(&unit);
                let line = lines
                    .entry((rank, unit.clone()))
                    .or_insert_with(|| CoverageLine {
                        unit: unit.clone(),
                        name,
                        ..CoverageLine::default()
                    });
                line.models += models;
                line.exchanges += exchanges;
                line.exchange_attendees += attending;
            }
        }
        let lines: Vec<CoverageLine> = lines.into_values().collect();
        let mut total = CoverageLine {
            unit: String::new(),
            name: "合计".into(),
            ..CoverageLine::default()
        };
        for l in &lines {
            total.key_total += l.key_total;
            total.key_covered += l.key_covered;
            total.small_total += l.small_total;
            total.small_reached += l.small_reached;
            total.sessions += l.sessions;
            total.attendances += l.attendances;
            total.models += l.models;
            total.exchanges += l.exchanges;
            total.exchange_attendees += l.exchange_attendees;
        }
        let (evaluators, evaluators_trained) = self.evaluator_training().await?;
        Ok(CoverageView {
            on: self.on,
            window_from: from,
            rule: set.cite("coverage"),
            lines,
            total,
            evaluators,
            evaluators_trained,
            to_be_checked: to_be_checked(&c.key_confidence)
                || to_be_checked(&c.window_confidence)
                || to_be_checked(&c.evaluator_confidence),
        })
    }

    /// Evaluators qualified on the day, and how many were trained in its calendar year.
    async fn evaluator_training(&self) -> Result<(i64, i64), ActionError> {
        let ids = anbiao_store::orgs::qualified_evaluators(self.db, self.on).await?;
        let trained = self.evaluators_trained_this_year(&ids).await?;
        Ok((ids.len() as i64, trained.len() as i64))
    }

    /// Of these evaluators, those who attended the year's evaluation training by the day
    /// (六（六）1). Read by the assignment form to flag the others.
    pub async fn evaluators_trained_this_year(
        &self,
        ids: &[i64],
    ) -> Result<HashSet<i64>, ActionError> {
        let Ok(set) = self.outreach_set() else {
            return Ok(ids.iter().copied().collect());
        };
        let start =
            Date::from_calendar_date(self.on.year(), time::Month::January, 1).unwrap_or(self.on);
        Ok(
            store::evaluators_trained(self.db, ids, &set.coverage.evaluator_topics, start, self.on)
                .await?,
        )
    }
}

/// Hours as written (3.5, 4, ４) in tenths, between half an hour and 200 hours.
pub fn parse_hours(s: &str) -> Option<i64> {
    let s = anbiao_domain::text::to_half_width(s.trim());
    let (whole, frac) = match s.split_once('.') {
        Some((_, "")) => return None,
        Some((w, f)) => (w, f),
        None => (s.as_str(), ""),
    };
    if whole.is_empty() || whole.len() > 3 || frac.len() > 1 {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let tenths = whole.parse::<i64>().ok()? * 10 + frac.parse::<i64>().unwrap_or(0);
    (5..=2000).contains(&tenths).then_some(tenths)
}

#[cfg(test)]
mod tests {
    use super::parse_hours;

    #[test]
    fn hours_are_read_in_tenths_within_bounds() {
        assert_eq!(parse_hours("3.5"), Some(35));
        assert_eq!(parse_hours(" ４ "), Some(40));
        assert_eq!(parse_hours("0.5"), Some(5));
        assert_eq!(parse_hours("200"), Some(2000));
        for bad in ["0", "0.4", "200.1", "3.55", "-1", "", "abc", "1e2", "3."] {
            assert_eq!(parse_hours(bad), None, "{bad}");
        }
    }
}
