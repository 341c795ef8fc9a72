//! Risk registers (风险点辨识清单): the enterprise identifies, assesses and controls its own risk
//! points by the risk rules in force (`data/rules/risk.toml`); officers read the registers of the
//! enterprises within their scope. Every call loads the enterprise or the point within the
//! actor's scope (not found outside it) before anything else.

use anbiao_domain::risk::RiskSet;
use anbiao_domain::risk_point::PointDraft;
use anbiao_domain::{Permission, Scope};
use anbiao_store::enterprise;
use anbiao_store::risk_points::{self, EnterpriseAtLevel, LevelSum, PointEvent, RiskPoint};

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
    /// (level key, the enterprises with points of it, most first, at most [`SUMMARY_LIST`]).
    pub lists: Vec<(String, Vec<EnterpriseAtLevel>)>,
}

/// How many enterprises a level's list on the summary names.
pub const SUMMARY_LIST: i64 = 100;

/// A point with its enterprise's name and its history.
#[derive(Debug, Clone)]
pub struct PointFile {
    pub point: RiskPoint,
    pub enterprise: String,
    pub events: Vec<PointEvent>,
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
            point,
            enterprise,
        })
    }

    /// The enterprise whose register the actor keeps: its own, or none.
    fn own_register(&self) -> Result<i64, ActionError> {
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
        let v = d
            .validate(self.risk_rules()?)
            .map_err(|e| ActionError::bad(e.field, e.message))?;
        Ok(risk_points::create(
            self.db,
            &self.actor.scope,
            &self.actor.audit,
            enterprise_id,
            &v,
            self.on,
        )
        .await?)
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
        Ok(risk_points::update(
            self.db,
            &self.actor.audit,
            &old,
            version,
            &v,
            &what,
            self.on,
        )
        .await?)
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
                vec![
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
                    t(&p.measures),
                    t(&p.responsible),
                    t(&p.assessed_on),
                    t(&p.words),
                ]
            })
            .collect();
        let day = anbiao_domain::date::format_date(self.on);
        let name = reg.enterprise;
        let n = points.len();
        let (title1, title2) = (
            format!("{name} 风险点辨识清单（{day}，共{n}处）"),
            format!(
                "{name} 风险分级管控清单（{day}，按 {}@{} 评价）",
                set.id, set.version
            ),
        );
        let bytes = tokio::task::spawn_blocking(move || {
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
                    headers: &[
                        "序号",
                        "风险点名称",
                        "评价方法",
                        "评价因素",
                        "风险值",
                        "风险等级",
                        "颜色",
                        "管控层级",
                        "管控措施",
                        "责任人",
                        "评价日期",
                        "判定依据",
                    ],
                    rows: &graded,
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
        for l in set.levels.iter().take(2) {
            let at = risk_points::enterprises_at(self.db, scope, &l.key, SUMMARY_LIST).await?;
            lists.push((l.key.clone(), at));
        }
        Ok(RiskSummary {
            sums: risk_points::sums(self.db, scope).await?,
            lists,
        })
    }
}
