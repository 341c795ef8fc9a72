//! Grids and enterprise safety officers (网格、企业安全员, 通政发〔2018〕27号 六（四）3): a township
//! (or its district) divides the township into grids with a grid officer and puts each small or
//! micro enterprise in one with its safety officer; the creation tasks are then followed per
//! grid — self-assessed, 达标, open gaps on the obligation lists. A township officer keeps its
//! own township's grids, a district officer those of its townships; the city reads them all.

use anbiao_domain::text::clean;
use anbiao_domain::{Permission, Scope};
use anbiao_store::grids::{self as store, Grid, Member, NewGrid};
use anbiao_store::training::Reach;

use crate::ctx::Ctx;
use crate::error::{ActionError, within};

/// A grid and how far its enterprises are on the day.
#[derive(Debug, Clone)]
pub struct GridLine {
    pub grid: Grid,
    pub members: i64,
    pub started: i64,
    pub certified: i64,
    pub with_gaps: i64,
}

fn phone_of(field: &str, text: &str) -> Result<Option<String>, ActionError> {
    let p = clean(text);
    if p.is_empty() {
        return Ok(None);
    }
    if p.chars().count() > 20
        || !p
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == ' ')
    {
        return Err(ActionError::bad(field, format!("电话“{p}”应为数字")));
    }
    Ok(Some(p))
}

fn person_of(field: &str, what: &str, text: &str) -> Result<String, ActionError> {
    let p = clean(text);
    if p.is_empty() {
        return Err(ActionError::bad(field, format!("请填写{what}")));
    }
    within(field, what, &p, 30)?;
    Ok(p)
}

impl Ctx<'_> {
    /// The grids within the actor's reach with their progress on the day.
    pub async fn grid_lines(&self) -> Result<Vec<GridLine>, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        let reach = self.training_reach()?;
        let progress = store::progress(self.db, &reach, self.on).await?;
        Ok(store::list(self.db, &reach)
            .await?
            .into_iter()
            .map(|g| {
                let (members, started, certified, with_gaps) =
                    progress.get(&g.id).copied().unwrap_or_default();
                GridLine {
                    grid: g,
                    members,
                    started,
                    certified,
                    with_gaps,
                }
            })
            .collect())
    }

    /// A grid within reach and its enterprises on the day.
    pub async fn grid(&self, id: i64) -> Result<(Grid, Vec<Member>), ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        let reach = self.training_reach()?;
        let g = store::get(self.db, &reach, id).await?;
        let members = store::members(self.db, id, self.on).await?;
        Ok((g, members))
    }

    /// Divides a township into a grid: a township officer's own township, or a township of a
    /// district officer's unit (named in the form).
    pub async fn create_grid(
        &self,
        township: &str,
        name: &str,
        officer: &str,
        phone: &str,
    ) -> Result<i64, ActionError> {
        self.actor.require(Permission::KeepGrids)?;
        let (unit, township) = match self.training_reach()? {
            Reach::Township { unit, township } => (unit, township),
            Reach::Unit(unit) => {
                let t = clean(township);
                if t.is_empty() {
                    return Err(ActionError::bad("township", "请填写乡镇（街道、园区）"));
                }
                let codes = match &self.actor.scope {
                    Scope::Region { codes } => codes.clone(),
                    _ => Vec::new(),
                };
                let mut known = false;
                for c in &codes {
                    if anbiao_store::enterprise::township_known(self.db, c, &t).await? {
                        known = true;
                        break;
                    }
                }
                if !known {
                    return Err(ActionError::bad(
                        "township",
                        format!("本地区企业名录中没有“{t}”的企业，请核对乡镇（街道、园区）名称"),
                    ));
                }
                (unit, t)
            }
            Reach::City => {
                return Err(ActionError::Forbidden(
                    "网格由县（市、区）和乡镇（街道、园区）划分".into(),
                ));
            }
        };
        let name = clean(name);
        if name.is_empty() {
            return Err(ActionError::bad("name", "请填写网格名称，如“第一网格”"));
        }
        within("name", "网格名称", &name, 50)?;
        let officer = person_of("officer", "网格员姓名", officer)?;
        let phone = phone_of("officer_phone", phone)?;
        Ok(store::create(
            self.db,
            &self.actor.audit,
            &NewGrid {
                unit: &unit,
                township: &township,
                name: &name,
                officer: &officer,
                officer_phone: phone.as_deref(),
            },
        )
        .await?)
    }

    /// Puts a small or micro enterprise of the grid's township in the grid with its safety
    /// officer (moving it from another grid).
    pub async fn assign_to_grid(
        &self,
        grid_id: i64,
        enterprise: &str,
        safety_officer: &str,
        phone: &str,
    ) -> Result<(), ActionError> {
        self.actor.require(Permission::KeepGrids)?;
        let reach = self.training_reach()?;
        let grid = store::get(self.db, &reach, grid_id).await?;
        let (id, name) = self.named_enterprise("enterprise", enterprise).await?;
        let e = anbiao_store::enterprise::get(self.db, &self.actor.scope, id).await?;
        if e.status == "closed" {
            return Err(ActionError::bad(
                "enterprise",
                format!("“{name}”已关闭，不再纳入网格管理"),
            ));
        }
        if !matches!(e.size_class.as_deref(), Some("small" | "micro")) {
            return Err(ActionError::bad(
                "enterprise",
                format!("“{name}”不是小型或微型企业：网格管理的是小微企业（六（四）3）"),
            ));
        }
        if e.township.as_deref() != Some(grid.township.as_str()) {
            return Err(ActionError::bad(
                "enterprise",
                format!(
                    "“{name}”登记在{}，不在网格所在的{}",
                    e.township.as_deref().unwrap_or("（未填写乡镇）"),
                    grid.township
                ),
            ));
        }
        let officer = person_of("safety_officer", "企业安全员姓名", safety_officer)?;
        let phone = phone_of("safety_phone", phone)?;
        Ok(store::assign(
            self.db,
            &self.actor.audit,
            &grid,
            id,
            &name,
            &officer,
            phone.as_deref(),
            self.on,
        )
        .await?)
    }
}
