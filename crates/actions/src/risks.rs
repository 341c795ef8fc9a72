//! Risk registers (风险点辨识清单): the enterprise identifies, assesses and controls its own risk
//! points by the risk rules in force (`data/rules/risk.toml`); officers read the registers of the
//! enterprises within their scope. Every call loads the enterprise or the point within the
//! actor's scope (not found outside it) before anything else.

use anbiao_domain::risk::RiskSet;
use anbiao_domain::risk_check::{self, CheckDraft, CheckItem};
use anbiao_domain::risk_plan::{self, PlanKind};
use anbiao_domain::risk_point::PointDraft;
use anbiao_domain::{Permission, Scope};
use anbiao_store::enterprise;
use anbiao_store::hazards::{self, NewHazard};
use anbiao_store::risk_checks::{self, CheckRow, CheckToRecord};
use anbiao_store::risk_plans::{self, Plan};
use anbiao_store::risk_points::{self, EnterpriseAtLevel, LevelSum, PointEvent, RiskPoint};
use time::Date;

use crate::ctx::Ctx;
use crate::error::ActionError;
use crate::exports::Workbook;
use anbiao_domain::risk_point::PointKind;
use anbiao_sheets::{Sheet, XCell};

/// An enterprise's register as its page shows it.
#[derive(Debug, Clone)]
pub struct Register {
    pub enterprise_id: i64,
    pub enterprise: String,
    pub points: Vec<RiskPoint>,
}

/// The risk figures within the actor's scope and the enterprises at the two highest levels.
#[derive(Debug, Clone)]
pub struct RiskSummary {
    pub sums: Vec<LevelSum>,
    /// (level key, the enterprises with points of it, most first, at most [`SUMMARY_LIST`]): the
    /// two highest levels, then overdue checks and points without controls.
    pub lists: Vec<(String, Vec<EnterpriseAtLevel>)>,
    /// Operating enterprises with no register, above scale first (at most [`SUMMARY_LIST`]).
    pub without_register: Vec<risk_points::WithoutRegister>,
    /// The same figures per industry.
    pub industries: Vec<risk_points::IndustrySum>,
}

/// How many enterprises a level's list on the summary names.
pub const SUMMARY_LIST: i64 = 20;

/// A point with its enterprise's name, its history and its latest checks.
#[derive(Debug, Clone)]
pub struct PointFile {
    pub point: RiskPoint,
    pub enterprise: String,
    pub events: Vec<PointEvent>,
    pub checks: Vec<CheckRow>,
}

/// Where a point's check task stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Not open yet.
    Later,
    /// Open: may be checked now.
    Open,
    /// Past its due day.
    Overdue,
}

impl TaskState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Later => "未到检查时间",
            Self::Open => "待检查",
            Self::Overdue => "已逾期",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Later => "later",
            Self::Open => "open",
            Self::Overdue => "overdue",
        }
    }
}

/// A point's current check task.
#[derive(Debug, Clone)]
pub struct CheckTask {
    pub point: RiskPoint,
    pub items: Vec<CheckItem>,
    /// The level of control whose task it is, and its period in words.
    pub control: String,
    pub period: String,
    pub every_days: u32,
    pub due: Date,
    pub opens: Date,
    pub state: TaskState,
}

/// An enterprise's check tasks, the most pressing first.
#[derive(Debug, Clone)]
pub struct CheckTasks {
    pub enterprise_id: i64,
    pub enterprise: String,
    pub tasks: Vec<CheckTask>,
    /// Where the periods come from, in words, and whether to show 待核对.
    pub source: String,
    pub to_be_checked: bool,
}

/// A level of control's period on a day's rules.
fn check_every(set: &RiskSet, control_level: &str) -> Result<u32, ActionError> {
    set.control(control_level)
        .map(|c| c.check_every_days)
        .ok_or_else(|| {
            ActionError::bad(
                "control_level",
                format!("管控层级“{control_level}”未在风险分级规则中规定"),
            )
        })
}

/// A name the register already has is the name field's problem.
fn on_name(e: anbiao_store::StoreError) -> ActionError {
    match e {
        anbiao_store::StoreError::Invalid(m) => ActionError::bad("name", m),
        e => e.into(),
    }
}

impl Ctx<'_> {
    /// The risk rules in force on the actor's day.
    pub fn risk_rules(&self) -> Result<&RiskSet, ActionError> {
        self.reference
            .risk
            .in_force(self.on)
            .map_err(|e| ActionError::bad("date", e.to_string()))
    }

    /// An enterprise's register (the enterprise within the actor's scope).
    pub async fn risk_register(&self, enterprise_id: i64) -> Result<Register, ActionError> {
        self.actor.require(Permission::ViewRisks)?;
        let scope = &self.actor.scope;
        let e = enterprise::get(self.db, scope, enterprise_id).await?;
        Ok(Register {
            enterprise_id,
            enterprise: e.name,
            points: risk_points::of_enterprise(self.db, scope, enterprise_id).await?,
        })
    }

    /// A point within the actor's scope, with its history.
    pub async fn risk_point(&self, id: i64) -> Result<PointFile, ActionError> {
        self.actor.require(Permission::ViewRisks)?;
        let scope = &self.actor.scope;
        let point = risk_points::get(self.db, scope, id).await?;
        let enterprise = enterprise::get(self.db, scope, point.enterprise_id)
            .await?
            .name;
        Ok(PointFile {
            events: risk_points::events(self.db, scope, id).await?,
            checks: risk_checks::of_point(self.db, point.id).await?,
            point,
            enterprise,
        })
    }

    /// The enterprise whose register the actor keeps: its own, or none.
    pub(crate) fn own_register(&self) -> Result<i64, ActionError> {
        self.actor.require(Permission::KeepRisks)?;
        match self.actor.scope {
            Scope::Enterprise { id } => Ok(id),
            _ => Err(ActionError::Forbidden(
                "只有企业用户可以辨识评价本企业的风险点".into(),
            )),
        }
    }

    /// The enterprise adds a point to its own register, assessed by the rules of the day.
    pub async fn add_risk_point(&self, d: &PointDraft) -> Result<i64, ActionError> {
        let enterprise_id = self.own_register()?;
        let set = self.risk_rules()?;
        let v = d
            .validate(set)
            .map_err(|e| ActionError::bad(e.field, e.message))?;
        let every = check_every(set, &v.control_level)?;
        risk_points::create(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            enterprise_id,
            &v,
            self.on,
            risk_check::first_due(self.on, every),
        )
        .await
        .map_err(on_name)
    }

    /// The enterprise changes one of its points, seen at `version`; a change of the
    /// assessment is a re-assessment by the rules of the day.
    pub async fn change_risk_point(
        &self,
        id: i64,
        version: i64,
        d: &PointDraft,
    ) -> Result<(), ActionError> {
        self.own_register()?;
        let old = risk_points::get(self.db, &self.actor.scope, id).await?;
        let set = self.risk_rules()?;
        let v = d
            .validate(set)
            .map_err(|e| ActionError::bad(e.field, e.message))?;
        let what = anbiao_domain::risk_point::changes(&old.as_stored(), &v, set);
        let every = check_every(set, &v.control_level)?;
        let due = match old.due() {
            Some(due) if old.control_level == v.control_level => due,
            Some(due) => risk_check::due_after_change(due, self.on, every),
            None => risk_check::first_due(self.on, every),
        };
        risk_points::update(
            self.db,
            &self.actor.audit,
            &old,
            version,
            &v,
            &what,
            self.on,
            due,
        )
        .await
        .map_err(on_name)
    }

    /// A point's current task on the actor's day.
    pub fn task_of(&self, set: &RiskSet, point: RiskPoint) -> CheckTask {
        let control = set.control(&point.control_level);
        let every = control.map(|c| c.check_every_days).unwrap_or(1);
        let due = point.due().unwrap_or(self.on);
        let opens = risk_check::opens(due, every);
        let state = if due < self.on {
            TaskState::Overdue
        } else if opens <= self.on {
            TaskState::Open
        } else {
            TaskState::Later
        };
        CheckTask {
            items: risk_check::items(set, &point.measures()),
            control: control
                .map(|c| c.name.clone())
                .unwrap_or_else(|| point.control_level.clone()),
            period: control.map(|c| c.check.clone()).unwrap_or_default(),
            every_days: every,
            due,
            opens,
            state,
            point,
        }
    }

    /// An enterprise's check tasks (the enterprise within the actor's scope): overdue first,
    /// then by due day.
    pub async fn risk_check_tasks(&self, enterprise_id: i64) -> Result<CheckTasks, ActionError> {
        let reg = self.risk_register(enterprise_id).await?;
        let set = self.risk_rules()?;
        let mut tasks: Vec<CheckTask> = reg
            .points
            .into_iter()
            .map(|p| self.task_of(set, p))
            .collect();
        tasks.sort_by_key(|t| (t.due, t.point.id));
        Ok(CheckTasks {
            enterprise_id,
            enterprise: reg.enterprise,
            tasks,
            source: set.checks.source.clone(),
            to_be_checked: set.checks.to_be_checked(),
        })
    }

    /// One of the enterprise's own points with its current task, for the check form.
    pub async fn risk_check_task(&self, point_id: i64) -> Result<CheckTask, ActionError> {
        let own = self.own_register()?;
        let point = risk_points::get(self.db, &self.actor.scope, point_id).await?;
        if point.enterprise_id != own {
            return Err(ActionError::NotFound);
        }
        Ok(self.task_of(self.risk_rules()?, point))
    }

    /// The enterprise records the check of one of its points' current task; each failed item
    /// opens a hidden hazard at the point on the hazard path.
    pub async fn record_risk_check(
        &self,
        point_id: i64,
        d: &CheckDraft,
    ) -> Result<i64, ActionError> {
        let task = self.risk_check_task(point_id).await?;
        let v = d
            .validate(
                &task.point.name,
                &task.items,
                task.due,
                task.every_days,
                self.on,
            )
            .map_err(|e| ActionError::bad(e.field, e.message))?;
        let set = self.risk_rules()?;
        let control = set.control(&task.point.control_level).ok_or_else(|| {
            ActionError::bad(
                "control_level",
                "该风险点的管控层级已不在规则中，请先修改风险点",
            )
        })?;
        let mut found = Vec::new();
        if !v.findings.is_empty() {
            self.actor.require(Permission::ReportHazards)?;
            self.hazard_party_may(format!("enterprise:{}", task.point.enterprise_id), "report")
                .await?;
        }
        for f in &v.findings {
            let n = NewHazard {
                enterprise_id: task.point.enterprise_id,
                source: "self",
                level: f.level,
                item_key: f.item_key.as_deref(),
                description: &f.description,
                found_on: self.on,
                deadline: Some(f.deadline),
                photo: None,
            };
            let c = hazards::check(
                self.db,
                &self.actor.scope,
                &self.reference.major_hazards,
                &n,
            )
            .await
            .map_err(|e| match e {
                anbiao_store::StoreError::Invalid(m) => {
                    ActionError::bad("items", format!("第 {} 项：{m}", f.index + 1))
                }
                e => e.into(),
            })?;
            found.push((n, c));
        }
        let r = CheckToRecord {
            point: &task.point,
            check: &v,
            hazards: found,
            next_due: risk_check::next_due(task.due, self.on, task.every_days),
            level_name: control.name.clone(),
            rule: set.check_rule(control),
            on: self.on,
        };
        Ok(risk_checks::record(self.db, &self.actor.audit, &r).await?)
    }

    /// The enterprise's 两单 as one workbook: the risk-point identification list (风险点辨识
    /// 清单) and the graded control list (风险分级管控清单), in the columns enterprises keep.
    pub async fn risk_register_xlsx(&self, enterprise_id: i64) -> Result<Workbook, ActionError> {
        let reg = self.risk_register(enterprise_id).await?;
        let set = self.risk_rules()?;
        let rank = |level: &str| set.levels.iter().position(|l| l.key == level);
        let mut points = reg.points;
        points.sort_by_key(|p| (rank(&p.level).unwrap_or(usize::MAX), p.id));
        let t = |s: &str| XCell::Text(s.to_string());
        let identified: Vec<Vec<XCell>> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                vec![
                    XCell::Number((i + 1) as f64),
                    t(&p.name),
                    t(PointKind::parse(&p.kind).map(|k| k.label()).unwrap_or("")),
                    t(&p.location),
                    t(&p.hazards),
                    t(&p.accident_types),
                    XCell::Number(p.exposed as f64),
                ]
            })
            .collect();
        let graded: Vec<Vec<XCell>> = points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let level = set.level(&p.level);
                let ms = p.measures();
                let by_kind = set.measures.iter().map(|k| {
                    t(&ms
                        .iter()
                        .filter(|m| m.kind == k.key || (m.kind.is_empty() && k.key == "management"))
                        .map(|m| m.text.replace('\n', "；"))
                        .collect::<Vec<_>>()
                        .join("；"))
                });
                let mut row = vec![
                    XCell::Number((i + 1) as f64),
                    t(&p.name),
                    t(&set
                        .method(&p.method)
                        .map(|m| m.name.clone())
                        .unwrap_or_else(|| p.method.clone())),
                    t(&p.factors.replace(';', "；")),
                    p.score
                        .parse::<f64>()
                        .map(XCell::Number)
                        .unwrap_or_else(|_| t(&p.score)),
                    t(level.map(|l| l.name.as_str()).unwrap_or(&p.level)),
                    t(level.map(|l| l.colour.as_str()).unwrap_or("")),
                    t(&set
                        .control(&p.control_level)
                        .map(|c| c.name.clone())
                        .unwrap_or_else(|| p.control_level.clone())),
                ];
                row.extend(by_kind);
                let assessed = anbiao_domain::date::parse_date(&p.assessed_on)
                    .map_or_else(|| t(&p.assessed_on), XCell::Date);
                row.extend([t(&p.responsible), assessed, t(&p.words)]);
                row
            })
            .collect();
        // The hazard-check list (隐患排查清单): one row per item of each point's measures.
        let mut checks: Vec<Vec<XCell>> = Vec::new();
        for p in &points {
            let control = set.control(&p.control_level);
            let level = set.level(&p.level);
            for item in anbiao_domain::risk_check::items(set, &p.measures()) {
                checks.push(vec![
                    XCell::Number((checks.len() + 1) as f64),
                    t(&p.name),
                    t(level.map(|l| l.name.as_str()).unwrap_or(&p.level)),
                    t(control.map(|c| c.name.as_str()).unwrap_or(&p.control_level)),
                    t(&item.kind_name),
                    t(&item.text),
                    t(control.map(|c| c.check.as_str()).unwrap_or("")),
                    t(&p.responsible),
                ]);
            }
        }
        let mut graded_headers: Vec<String> = [
            "序号",
            "风险点名称",
            "评价方法",
            "评价因素",
            "风险值",
            "风险等级",
            "颜色",
            "管控层级",
        ]
        .map(String::from)
        .to_vec();
        graded_headers.extend(set.measures.iter().map(|m| m.name.clone()));
        graded_headers.extend(["责任人", "评价日期", "判定依据"].map(String::from));
        let day = anbiao_domain::date::format_date(self.on);
        let name = reg.enterprise;
        let n = points.len();
        let (title1, title2, title3) = (
            format!("{name} 风险点辨识清单（{day}，共{n}处）"),
            format!(
                "{name} 风险分级管控清单（{day}，按 {}@{} 评价）",
                set.id, set.version
            ),
            format!(
                "{name} 隐患排查清单（{day}，排查周期：{}）",
                set.checks.source
            ),
        );
        let bytes = tokio::task::spawn_blocking(move || {
            let graded_headers: Vec<&str> = graded_headers.iter().map(String::as_str).collect();
            anbiao_sheets::write_sheets(&[
                Sheet {
                    name: "风险点辨识清单",
                    title: Some(&title1),
                    headers: &[
                        "序号",
                        "风险点名称",
                        "类型",
                        "所在位置",
                        "危险有害因素",
                        "可能导致的事故类别",
                        "接触人数",
                    ],
                    rows: &identified,
                },
                Sheet {
                    name: "风险分级管控清单",
                    title: Some(&title2),
                    headers: &graded_headers,
                    rows: &graded,
                },
                Sheet {
                    name: "隐患排查清单",
                    title: Some(&title3),
                    headers: &[
                        "序号",
                        "风险点名称",
                        "风险等级",
                        "管控层级",
                        "措施类别",
                        "排查内容",
                        "排查周期",
                        "责任人",
                    ],
                    rows: &checks,
                },
            ])
            .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| ActionError::Internal(format!("task: {e}")))?
        .map_err(ActionError::Internal)?;
        Ok(Workbook {
            bytes,
            rows: n,
            file_name: format!("{name}_风险辨识与分级管控清单_{day}.xlsx"),
        })
    }

    /// The figures per unit and level within the actor's scope (running sums), and the
    /// enterprises with 重大 and 较大 points (the two highest levels of the rules).
    pub async fn risk_summary(&self) -> Result<RiskSummary, ActionError> {
        self.actor.require(Permission::ViewRisks)?;
        let scope = &self.actor.scope;
        let set = self.risk_rules()?;
        let mut lists = Vec::new();
        let keys = set.levels.iter().take(2).map(|l| l.key.as_str());
        for key in keys.chain([risk_points::OVERDUE, risk_points::UNCONTROLLED]) {
            let at = risk_points::enterprises_at(self.db, scope, key, SUMMARY_LIST).await?;
            lists.push((key.to_string(), at));
        }
        Ok(RiskSummary {
            sums: risk_points::sums(self.db, scope).await?,
            lists,
            without_register: risk_points::without_register(self.db, scope, SUMMARY_LIST).await?,
            industries: risk_points::industry_sums(self.db, scope).await?,
        })
    }

    /// An enterprise's plans and points, for its four-colour maps (the enterprise within the
    /// actor's scope).
    pub async fn risk_map(&self, enterprise_id: i64) -> Result<RiskMap, ActionError> {
        let reg = self.risk_register(enterprise_id).await?;
        let plans = risk_plans::of_enterprise(self.db, &self.actor.scope, enterprise_id).await?;
        Ok(RiskMap {
            enterprise_id,
            enterprise: reg.enterprise,
            plans,
            points: reg.points,
        })
    }

    /// The enterprise uploads a site or workshop plan of its own.
    pub async fn upload_plan(
        &self,
        name: &str,
        kind: &str,
        bytes: &[u8],
    ) -> Result<i64, ActionError> {
        let enterprise_id = self.own_register()?;
        let name = risk_plan::check_name(name).map_err(|e| ActionError::bad("name", e.0))?;
        let kind = PlanKind::parse(kind.trim())
            .ok_or_else(|| ActionError::bad("kind", "请选择总平面图或车间平面图"))?;
        // Decoding the whole image is CPU work: off the async threads.
        let owned = bytes.to_vec();
        let image = tokio::task::spawn_blocking(move || risk_plan::check_image(&owned))
            .await
            .map_err(|e| ActionError::Internal(format!("task: {e}")))?
            .map_err(|e| ActionError::bad("plan", e.0))?;
        Ok(risk_plans::create(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            enterprise_id,
            &name,
            kind,
            &image,
            bytes,
        )
        .await?)
    }

    /// A plan within the actor's scope, and its image.
    pub async fn plan_image(&self, plan_id: i64) -> Result<(String, Vec<u8>), ActionError> {
        self.actor.require(Permission::ViewRisks)?;
        Ok(risk_plans::image(self.db, &self.actor.scope, plan_id).await?)
    }

    /// A plan within the actor's scope with the points placed on it and its enterprise's name.
    pub async fn plan_map(
        &self,
        plan_id: i64,
    ) -> Result<(Plan, String, Vec<RiskPoint>), ActionError> {
        self.actor.require(Permission::ViewRisks)?;
        let plan = risk_plans::get(self.db, &self.actor.scope, plan_id).await?;
        let reg = self.risk_register(plan.enterprise_id).await?;
        let points = reg
            .points
            .into_iter()
            .filter(|p| p.plan_id == Some(plan_id))
            .collect();
        Ok((plan, reg.enterprise, points))
    }

    /// The enterprise places one of its points, seen at `version`, on one of its plans.
    pub async fn place_risk_point(
        &self,
        point_id: i64,
        version: i64,
        plan_id: i64,
        at: PlaceInput<'_>,
    ) -> Result<(), ActionError> {
        let own = self.own_register()?;
        let point = risk_points::get(self.db, &self.actor.scope, point_id).await?;
        if point.enterprise_id != own {
            return Err(ActionError::NotFound);
        }
        let plan = risk_plans::get(self.db, &self.actor.scope, plan_id)
            .await
            .map_err(|_| ActionError::bad("plan", "请选择本企业已上传的平面图"))?;
        let place = match at {
            PlaceInput::Text(t) => risk_plan::Place::parse(t),
            PlaceInput::Click { x, y, shown_w } => {
                risk_plan::Place::from_click(x, y, shown_w, plan.width, plan.height)
            }
        }
        .map_err(|e| ActionError::bad("at", e.0))?;
        Ok(risk_plans::place(
            self.db,
            &self.actor.audit,
            &point,
            version,
            &plan,
            &place,
            self.on,
        )
        .await?)
    }
}

/// Where a point is placed, as the form gives it.
#[derive(Debug, Clone, Copy)]
pub enum PlaceInput<'a> {
    /// "35,42" or a polygon "10,10 30,10 30,25".
    Text(&'a str),
    /// A click on the plan shown `shown_w` pixels wide.
    Click {
        x: &'a str,
        y: &'a str,
        shown_w: i64,
    },
}

/// An enterprise's plans and points.
#[derive(Debug, Clone)]
pub struct RiskMap {
    pub enterprise_id: i64,
    pub enterprise: String,
    pub plans: Vec<Plan>,
    pub points: Vec<RiskPoint>,
}
