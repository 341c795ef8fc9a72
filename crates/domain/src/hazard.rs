//! Hidden hazards (事故隐患, 总局令第16号): general and major, and the path each takes from
//! discovery to write-off (销号). Pure rules: what a new hazard needs, which step may follow
//! which, when a hazard is overdue, what a photo must be.
//!
//! General hazard: 登记 (open, with a deadline) → 整改完成 (the enterprise reports it done,
//! with an "after" photo) → 验收销号 (an officer accepts and writes it off) or 退回 (back to open).
//! Major hazard (linked to an item of the standard in force on its day): 登记 → 治理方案 (the
//! plan with the 五定: measures, responsible person, funds, deadline, contingency; reported to
//! the district) → 整改完成 → 验收销号 or 退回 (back to the plan stage).

use time::Date;

/// 一般 or 重大.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    General,
    Major,
}

impl Level {
    pub fn key(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Major => "major",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "general" => Some(Self::General),
            "major" => Some(Self::Major),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::General => "一般隐患",
            Self::Major => "重大隐患",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Registered, being rectified (a major one still needs its plan).
    Open,
    /// A major hazard's plan (五定) is in and reported to the district.
    Planned,
    /// The enterprise reports the rectification done, awaiting acceptance.
    Rectified,
    /// Accepted and written off.
    Closed,
}

impl State {
    pub const ALL: [State; 4] = [Self::Open, Self::Planned, Self::Rectified, Self::Closed];

    pub fn key(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Planned => "planned",
            Self::Rectified => "rectified",
            Self::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.key() == s)
    }

    pub fn label(self, level: Level) -> &'static str {
        match (self, level) {
            (Self::Open, Level::General) => "整改中",
            (Self::Open, Level::Major) => "待制定治理方案",
            (Self::Planned, _) => "挂牌督办整改中",
            (Self::Rectified, _) => "整改完成待验收",
            (Self::Closed, _) => "已验收销号",
        }
    }
}

/// A step on the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A major hazard's plan with the 五定 (and its report to the district).
    Plan,
    /// The enterprise reports the rectification done.
    Rectify,
    /// An officer accepts the rectification and writes the hazard off.
    Accept,
    /// An officer returns the rectification as not done.
    Return,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Self::Plan => "报送治理方案",
            Self::Rectify => "报告整改完成",
            Self::Accept => "验收销号",
            Self::Return => "退回重新整改",
        }
    }
}

/// Why something about a hazard was refused (the words the user sees).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HazardError {
    #[error("请规定整改期限")]
    NoDeadline,
    #[error("整改期限不能早于发现日期")]
    DeadlineBeforeFound,
    #[error("重大隐患须对应在 {0} 施行的重大事故隐患判定标准条款")]
    MajorWithoutItem(String),
    #[error("一般隐患不对应重大事故隐患判定标准条款")]
    GeneralWithItem,
    #[error("请描述隐患情况")]
    NoDescription,
    #[error("{level}当前为“{state}”，不能{step}")]
    NotNow {
        level: &'static str,
        state: &'static str,
        step: &'static str,
    },
    #[error("治理方案须写明{0}")]
    PlanIncomplete(&'static str),
    #[error("报告整改完成须上传整改后的照片")]
    NoAfterPhoto,
    #[error("验收销号须有整改后的照片作为证据")]
    NoEvidence,
    #[error("退回须说明理由")]
    NoReason,
    #[error("照片应为 JPEG 或 PNG 图片")]
    NotAnImage,
    #[error("照片不能超过 {0} MB")]
    PhotoTooLarge(usize),
}

/// The 五定 of a major hazard's plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FiveFixes {
    /// 定措施
    pub measures: String,
    /// 定责任人
    pub responsible: String,
    /// 定资金, yuan
    pub funds_yuan: Option<i64>,
    /// 定时限
    pub deadline: Option<Date>,
    /// 定预案
    pub contingency: String,
}

impl FiveFixes {
    pub fn check(&self, found_on: Date) -> Result<(), HazardError> {
        if self.measures.trim().is_empty() {
            return Err(HazardError::PlanIncomplete("整改措施"));
        }
        if self.responsible.trim().is_empty() {
            return Err(HazardError::PlanIncomplete("责任人"));
        }
        if self.funds_yuan.is_none_or(|f| f < 0) {
            return Err(HazardError::PlanIncomplete("整改资金"));
        }
        match self.deadline {
            None => return Err(HazardError::PlanIncomplete("完成时限")),
            Some(d) if d < found_on => return Err(HazardError::DeadlineBeforeFound),
            Some(_) => {}
        }
        if self.contingency.trim().is_empty() {
            return Err(HazardError::PlanIncomplete("应急预案和安全措施"));
        }
        Ok(())
    }
}

/// What a new hazard needs: a description, a deadline not before its discovery, and for a
/// major hazard an item of the standard in force (`standard` names it for the message).
pub fn check_new(
    level: Level,
    item: Option<&str>,
    standard: &str,
    description: &str,
    found_on: Date,
    deadline: Option<Date>,
) -> Result<(), HazardError> {
    if description.trim().is_empty() {
        return Err(HazardError::NoDescription);
    }
    match deadline {
        None => return Err(HazardError::NoDeadline),
        Some(d) if d < found_on => return Err(HazardError::DeadlineBeforeFound),
        Some(_) => {}
    }
    match (level, item.map(str::trim).filter(|s| !s.is_empty())) {
        (Level::Major, None) => Err(HazardError::MajorWithoutItem(standard.to_string())),
        (Level::General, Some(_)) => Err(HazardError::GeneralWithItem),
        _ => Ok(()),
    }
}

/// The state after `step`, or why the step cannot be taken now. `after_photos` counts the
/// "after" photos on record (a rectification and a write-off need one).
pub fn next(
    level: Level,
    state: State,
    step: Step,
    after_photos: usize,
    reason: &str,
) -> Result<State, HazardError> {
    let refuse = || HazardError::NotNow {
        level: level.label(),
        state: state.label(level),
        step: step.label(),
    };
    match (level, state, step) {
        (Level::Major, State::Open, Step::Plan) => Ok(State::Planned),
        (Level::General, State::Open, Step::Rectify)
        | (Level::Major, State::Planned, Step::Rectify) => {
            if after_photos == 0 {
                Err(HazardError::NoAfterPhoto)
            } else {
                Ok(State::Rectified)
            }
        }
        (_, State::Rectified, Step::Accept) => {
            if after_photos == 0 {
                Err(HazardError::NoEvidence)
            } else {
                Ok(State::Closed)
            }
        }
        (_, State::Rectified, Step::Return) => {
            if reason.trim().is_empty() {
                Err(HazardError::NoReason)
            } else {
                Ok(match level {
                    Level::General => State::Open,
                    Level::Major => State::Planned,
                })
            }
        }
        _ => Err(refuse()),
    }
}

/// Overdue on `on`: past its deadline and not yet reported done.
pub fn overdue(state: State, deadline: Date, on: Date) -> bool {
    matches!(state, State::Open | State::Planned) && deadline < on
}

/// A count of hazards kept as a running sum of dated `+1`/`−1` events (the statistics at
/// province scale read the sums, not the hazards).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tally {
    /// Found, cumulative (found in a period = the difference at its ends).
    FoundGeneral,
    FoundMajor,
    /// Written off, cumulative.
    Closed,
    /// Not written off on the day.
    Open,
    /// Past the deadline and not reported done on the day.
    Overdue,
    /// Major and not written off on the day.
    OpenMajor,
    /// Reported done and not yet accepted on the day.
    Awaiting,
}

impl Tally {
    pub const ALL: [Tally; 7] = [
        Self::FoundGeneral,
        Self::FoundMajor,
        Self::Closed,
        Self::Open,
        Self::Overdue,
        Self::OpenMajor,
        Self::Awaiting,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::FoundGeneral => "fg",
            Self::FoundMajor => "fm",
            Self::Closed => "cl",
            Self::Open => "op",
            Self::Overdue => "od",
            Self::OpenMajor => "om",
            Self::Awaiting => "aw",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.key() == s)
    }
}

/// What a hazard's tally depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TallyFacts {
    pub level: Level,
    pub state: State,
    pub found_on: Date,
    /// The deadline in force (the plan's, once a major hazard has one).
    pub due: Date,
    pub rectified_on: Option<Date>,
    pub closed_on: Option<Date>,
}

/// The hazard's events: found on its day; open from then until written off; overdue from the
/// day after the deadline until reported done (or written off), open-ended while it is still
/// being rectified. A rectification returned as not done clears `rectified_on`, so only the
/// current episode is kept.
pub fn tally(f: &TallyFacts) -> Vec<(Date, Tally, i64)> {
    let mut out = vec![
        (
            f.found_on,
            match f.level {
                Level::General => Tally::FoundGeneral,
                Level::Major => Tally::FoundMajor,
            },
            1,
        ),
        (f.found_on, Tally::Open, 1),
    ];
    let closed = if f.state == State::Closed {
        f.closed_on
    } else {
        None
    };
    if f.level == Level::Major {
        out.push((f.found_on, Tally::OpenMajor, 1));
    }
    if let Some(c) = closed {
        out.push((c, Tally::Closed, 1));
        out.push((c, Tally::Open, -1));
        if f.level == Level::Major {
            out.push((c, Tally::OpenMajor, -1));
        }
    }
    if let (Some(r), true) = (
        f.rectified_on,
        matches!(f.state, State::Rectified | State::Closed),
    ) {
        out.push((r, Tally::Awaiting, 1));
        if let Some(c) = closed {
            out.push((c, Tally::Awaiting, -1));
        }
    }
    let start = f.due + time::Duration::days(1);
    let end = match f.state {
        State::Open | State::Planned => None,
        State::Rectified => f.rectified_on.or(Some(start)),
        State::Closed => f.rectified_on.or(closed).or(Some(start)),
    };
    match end {
        None => out.push((start, Tally::Overdue, 1)),
        Some(e) if e > start => {
            out.push((start, Tally::Overdue, 1));
            out.push((e, Tally::Overdue, -1));
        }
        Some(_) => {}
    }
    out
}

/// The largest photo accepted.
pub const PHOTO_MAX_BYTES: usize = 5 * 1024 * 1024;

/// The content type of a photo from its first bytes, or why it is refused.
pub fn photo_type(bytes: &[u8]) -> Result<&'static str, HazardError> {
    if bytes.len() > PHOTO_MAX_BYTES {
        return Err(HazardError::PhotoTooLarge(PHOTO_MAX_BYTES / 1024 / 1024));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else {
        Err(HazardError::NotAnImage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const FOUND: Date = date!(2019 - 03 - 01);

    #[test]
    fn a_new_hazard_needs_a_deadline_and_a_major_one_an_item() {
        let ok = |level, item, deadline| {
            check_new(level, item, "2017版", "配电箱未接地", FOUND, deadline)
        };
        assert_eq!(
            ok(Level::General, None, Some(date!(2019 - 03 - 15))),
            Ok(())
        );
        assert_eq!(ok(Level::General, None, None), Err(HazardError::NoDeadline));
        assert_eq!(
            ok(Level::General, None, Some(date!(2019 - 02 - 01))),
            Err(HazardError::DeadlineBeforeFound)
        );
        assert_eq!(
            ok(Level::Major, None, Some(date!(2019 - 06 - 01))),
            Err(HazardError::MajorWithoutItem("2017版".into()))
        );
        assert_eq!(
            ok(
                Level::General,
                Some("专项类/有限空间作业相关的/2"),
                Some(date!(2019 - 06 - 01))
            ),
            Err(HazardError::GeneralWithItem)
        );
        assert_eq!(
            ok(
                Level::Major,
                Some("专项类/有限空间作业相关的/2"),
                Some(date!(2019 - 06 - 01))
            ),
            Ok(())
        );
        assert_eq!(
            check_new(Level::General, None, "", "  ", FOUND, Some(FOUND)),
            Err(HazardError::NoDescription)
        );
    }

    #[test]
    fn general_and_major_hazards_walk_their_paths() {
        // General: open → rectified (with a photo) → closed; a return sends it back to open.
        assert_eq!(
            next(Level::General, State::Open, Step::Rectify, 0, ""),
            Err(HazardError::NoAfterPhoto)
        );
        assert_eq!(
            next(Level::General, State::Open, Step::Rectify, 1, ""),
            Ok(State::Rectified)
        );
        assert_eq!(
            next(Level::General, State::Rectified, Step::Return, 1, " "),
            Err(HazardError::NoReason)
        );
        assert_eq!(
            next(
                Level::General,
                State::Rectified,
                Step::Return,
                1,
                "未整改到位"
            ),
            Ok(State::Open)
        );
        assert_eq!(
            next(Level::General, State::Rectified, Step::Accept, 1, ""),
            Ok(State::Closed)
        );
        assert!(matches!(
            next(Level::General, State::Open, Step::Plan, 0, ""),
            Err(HazardError::NotNow { .. })
        ));
        // Major: the plan first; rectification before it is refused in words.
        let e = next(Level::Major, State::Open, Step::Rectify, 1, "").expect_err("plan first");
        assert_eq!(
            e.to_string(),
            "重大隐患当前为“待制定治理方案”，不能报告整改完成"
        );
        assert_eq!(
            next(Level::Major, State::Open, Step::Plan, 0, ""),
            Ok(State::Planned)
        );
        assert_eq!(
            next(Level::Major, State::Planned, Step::Rectify, 2, ""),
            Ok(State::Rectified)
        );
        assert_eq!(
            next(
                Level::Major,
                State::Rectified,
                Step::Return,
                2,
                "复查仍不合格"
            ),
            Ok(State::Planned)
        );
        assert_eq!(
            next(Level::Major, State::Rectified, Step::Accept, 0, ""),
            Err(HazardError::NoEvidence)
        );
        assert!(next(Level::Major, State::Closed, Step::Accept, 2, "").is_err());
    }

    #[test]
    fn the_five_fixes_are_all_needed() {
        let full = FiveFixes {
            measures: "拆除违规隔断，增设泄爆口".into(),
            responsible: "王厂长".into(),
            funds_yuan: Some(120_000),
            deadline: Some(date!(2019 - 05 - 31)),
            contingency: "停用除尘系统，设置警戒区".into(),
        };
        assert_eq!(full.check(FOUND), Ok(()));
        let missing = |f: FiveFixes| f.check(FOUND).expect_err("incomplete").to_string();
        assert!(
            missing(FiveFixes {
                responsible: " ".into(),
                ..full.clone()
            })
            .contains("责任人")
        );
        assert!(
            missing(FiveFixes {
                funds_yuan: None,
                ..full.clone()
            })
            .contains("整改资金")
        );
        assert!(
            missing(FiveFixes {
                deadline: None,
                ..full.clone()
            })
            .contains("完成时限")
        );
        assert!(
            missing(FiveFixes {
                contingency: String::new(),
                ..full.clone()
            })
            .contains("应急预案")
        );
        assert_eq!(
            FiveFixes {
                deadline: Some(date!(2019 - 01 - 01)),
                ..full
            }
            .check(FOUND),
            Err(HazardError::DeadlineBeforeFound)
        );
    }

    #[test]
    fn the_tally_counts_found_open_closed_and_overdue_days() {
        let sum = |f: &TallyFacts, t: Tally, on: Date| -> i64 {
            tally(f)
                .iter()
                .filter(|(d, x, _)| *x == t && *d <= on)
                .map(|(_, _, n)| n)
                .sum()
        };
        let open = TallyFacts {
            level: Level::General,
            state: State::Open,
            found_on: FOUND,
            due: date!(2019 - 03 - 10),
            rectified_on: None,
            closed_on: None,
        };
        assert_eq!(sum(&open, Tally::Overdue, date!(2019 - 03 - 10)), 0);
        assert_eq!(sum(&open, Tally::Overdue, date!(2019 - 03 - 11)), 1);
        assert_eq!(sum(&open, Tally::Open, date!(2019 - 02 - 28)), 0);
        assert_eq!(sum(&open, Tally::FoundGeneral, FOUND), 1);
        // Reported done late and written off: overdue until the report, open until write-off.
        let closed = TallyFacts {
            state: State::Closed,
            rectified_on: Some(date!(2019 - 03 - 15)),
            closed_on: Some(date!(2019 - 03 - 18)),
            ..open
        };
        assert_eq!(sum(&closed, Tally::Overdue, date!(2019 - 03 - 14)), 1);
        assert_eq!(sum(&closed, Tally::Overdue, date!(2019 - 03 - 15)), 0);
        assert_eq!(sum(&closed, Tally::Open, date!(2019 - 03 - 17)), 1);
        assert_eq!(sum(&closed, Tally::Open, date!(2019 - 03 - 18)), 0);
        assert_eq!(sum(&closed, Tally::Closed, date!(2019 - 03 - 18)), 1);
        assert_eq!(sum(&closed, Tally::Awaiting, date!(2019 - 03 - 16)), 1);
        assert_eq!(sum(&closed, Tally::Awaiting, date!(2019 - 03 - 18)), 0);
        let returned = TallyFacts {
            state: State::Open,
            rectified_on: None,
            closed_on: None,
            ..closed
        };
        assert!(
            tally(&returned)
                .iter()
                .all(|(_, t, _)| *t != Tally::Awaiting)
        );
        // Done in time: never overdue.
        let in_time = TallyFacts {
            rectified_on: Some(date!(2019 - 03 - 05)),
            ..closed
        };
        assert!(tally(&in_time).iter().all(|(_, t, _)| *t != Tally::Overdue));
        let major = TallyFacts {
            level: Level::Major,
            ..open
        };
        assert_eq!(sum(&major, Tally::FoundMajor, FOUND), 1);
        assert_eq!(sum(&major, Tally::OpenMajor, date!(2020 - 01 - 01)), 1);
        assert_eq!(
            sum(
                &TallyFacts {
                    level: Level::Major,
                    ..closed
                },
                Tally::OpenMajor,
                date!(2019 - 03 - 18)
            ),
            0
        );
        assert_eq!(Tally::parse("od"), Some(Tally::Overdue));
    }

    #[test]
    fn overdue_and_photos() {
        assert!(overdue(
            State::Open,
            date!(2019 - 03 - 10),
            date!(2019 - 03 - 11)
        ));
        assert!(!overdue(
            State::Open,
            date!(2019 - 03 - 10),
            date!(2019 - 03 - 10)
        ));
        assert!(!overdue(
            State::Rectified,
            date!(2019 - 03 - 10),
            date!(2019 - 04 - 01)
        ));
        assert_eq!(
            photo_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Ok("image/jpeg")
        );
        assert_eq!(photo_type(b"\x89PNG\r\n\x1a\n...."), Ok("image/png"));
        assert_eq!(photo_type(b"%PDF-1.4"), Err(HazardError::NotAnImage));
        let big = vec![0xFFu8; PHOTO_MAX_BYTES + 1];
        assert_eq!(photo_type(&big), Err(HazardError::PhotoTooLarge(5)));
    }
}
