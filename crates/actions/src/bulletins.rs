//! The programme's bulletins (通报, 六（一）2): the city drafts one from the target table as of
//! a day, edits and publishes it on the portal. A draft is the city's own until published;
//! others read published bulletins only.

use anbiao_domain::Permission;
use anbiao_domain::date::format_date_cn;
use anbiao_domain::programme::{Programme, TargetTable, draft_notice};
use anbiao_store::bulletins::{self, Bulletin};

use crate::ctx::Ctx;
use anbiao_domain::text::limits;

use crate::error::{ActionError, within};

/// An edit of a draft, made against the version read.
#[derive(Debug, Clone)]
pub struct Edit<'a> {
    pub version: i64,
    pub title: &'a str,
    pub body: &'a str,
    pub publish: bool,
}

impl Ctx<'_> {
    /// Whether the actor may read drafts (those who publish).
    pub fn reads_bulletin_drafts(&self) -> bool {
        self.actor.permits(Permission::PublishBulletins)
    }

    /// A bulletin as the actor may read it: a draft is not found for who does not publish.
    pub async fn bulletin(&self, id: i64) -> Result<Bulletin, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        let b = bulletins::get(self.db, id).await?;
        if b.state != "published" && !self.reads_bulletin_drafts() {
            return Err(ActionError::NotFound);
        }
        Ok(b)
    }

    /// The bulletins of a programme the actor may read, newest first.
    pub async fn bulletins_of(&self, programme_id: &str) -> Result<Vec<Bulletin>, ActionError> {
        self.actor.require(Permission::ViewProgrammes)?;
        Ok(bulletins::list(self.db, Some(programme_id), !self.reads_bulletin_drafts()).await?)
    }

    /// The city drafts a bulletin of the programme from its table as of a day, with the
    /// figures of training, demonstration and the obligation lists (docs/metrics.md).
    pub async fn draft_bulletin(
        &self,
        p: &Programme,
        table: &TargetTable,
    ) -> Result<i64, ActionError> {
        self.actor.require(Permission::PublishBulletins)?;
        self.party_may("bulletin.publish", format!("programme:{}", p.id))
            .await?;
        let as_of = table.as_of;
        if as_of > self.on {
            return Err(ActionError::bad("as_of", "统计日期不能晚于今天"));
        }
        let more = self.bulletin_figures(table).await?;
        let (title, body) = draft_notice(p, table, &more);
        Ok(bulletins::draft(self.db, &self.actor.audit, &p.id, as_of, &title, &body).await?)
    }

    /// The lines of a bulletin's section on training, demonstration (as of `as_of`) and the
    /// obligation lists (as they stand today: their sums are kept for the present only).
    async fn bulletin_figures(&self, table: &TargetTable) -> Result<Vec<String>, ActionError> {
        let as_of = table.as_of;
        // The units as the table names them, so the sections read alike.
        let label = |unit: &str, name: &str| -> String {
            table
                .rows
                .iter()
                .find(|r| r.unit == unit)
                .map_or_else(|| name.to_string(), |r| r.label.clone())
        };
        let mut lines = Vec::new();
        let day = format_date_cn(as_of);
        if self.actor.permits(Permission::ViewTraining)
            && self.reference.outreach.in_force(as_of).is_some()
        {
            let cx = Ctx { on: as_of, ..*self };
            let c = cx.training_coverage().await?;
            let t = &c.total;
            lines.push(format!(
                "培训：{}至{day}，全市重点企业（规模以上企业）主要负责人和安全管理人员均参加培训的 {}/{} 家（{}），小微企业参加培训 {}/{} 家（{}）；本年度参加评审业务培训的评审人员 {}/{} 人{}。",
                format_date_cn(c.window_from),
                t.key_covered,
                t.key_total,
                percent(t.key_covered, t.key_total),
                t.small_reached,
                t.small_total,
                percent(t.small_reached, t.small_total),
                c.evaluators_trained,
                c.evaluators,
                if c.to_be_checked {
                    "（统计口径待核对）"
                } else {
                    ""
                }
            ));
            lines.push(format!(
                "典型示范：截至{day}，全市命名示范企业 {} 家；近一年组织观摩交流 {} 次，参加企业 {} 家次。",
                t.models, t.exchanges, t.exchange_attendees
            ));
            for l in c.lines.iter().filter(|l| l.key_total + l.small_total > 0) {
                lines.push(format!(
                    "{}：重点企业参训 {}（{}/{}），小微企业参训 {}（{}/{}），示范企业 {} 家，观摩交流 {} 次。",
                    label(&l.unit, &l.name),
                    percent(l.key_covered, l.key_total),
                    l.key_covered,
                    l.key_total,
                    percent(l.small_reached, l.small_total),
                    l.small_reached,
                    l.small_total,
                    l.models,
                    l.exchanges
                ));
            }
        }
        if self.actor.permits(Permission::ViewObligations)
            && self.reference.obligations.in_force(self.on).is_some()
        {
            let f = self.obligation_figures().await?;
            let t = &f.total;
            lines.push(format!(
                "监管清单（按{}的状态）：全市 {} 家企业中已对照清单自查 {} 家（{}），本期清单全部落实 {} 家，自查发现问题尚待整改 {} 家。",
                format_date_cn(self.on),
                t.enterprises,
                t.checked,
                percent(t.checked, t.enterprises),
                t.complete,
                t.gaps
            ));
            let by_place: Vec<String> = f
                .places
                .iter()
                .map(|(name, _, unit, x)| {
                    let name = unit
                        .as_deref()
                        .map_or_else(|| name.clone(), |u| label(u, name));
                    format!("{name} {}", percent(x.checked, x.enterprises))
                })
                .collect();
            if !by_place.is_empty() {
                lines.push(format!("各地自查率：{}。", by_place.join("，")));
            }
        }
        Ok(lines)
    }

    /// The city saves a draft, and publishes it when asked.
    pub async fn save_bulletin(&self, id: i64, e: &Edit<'_>) -> Result<(), ActionError> {
        self.actor.require(Permission::PublishBulletins)?;
        within("title", "通报标题", e.title, limits::TITLE)?;
        within("body", "通报正文", e.body, limits::DOCUMENT)?;
        bulletins::get(self.db, id).await?;
        self.party_may("bulletin.publish", format!("bulletin:{id}"))
            .await?;
        Ok(bulletins::save(
            self.db,
            &self.actor.audit,
            &bulletins::Edit {
                id,
                version: e.version,
                title: e.title,
                body: e.body,
                publish: e.publish,
                on: self.on,
            },
        )
        .await?)
    }
}

/// `a` of `b` as a percentage with one decimal, or a dash when there is none to count.
fn percent(a: i64, b: i64) -> String {
    if b > 0 {
        format!("{:.1}%", a as f64 * 100.0 / b as f64)
    } else {
        "—".into()
    }
}
