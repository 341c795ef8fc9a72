//! Publicity and demonstration (宣传、典型示范, 通政发〔2018〕27号 六（六）2–3): a district names
//! its model townships (重点培育) and, from its 一级 and 二级 enterprises, its model enterprises —
//! refused for an enterprise without a valid certificate of such a grade on the day; the city
//! and districts record visits and exchanges with the enterprises attending, safety cooperation
//! groups and associations with their members, and publicity; the portal shows the model
//! enterprises, the open days to come and the published publicity.

use anbiao_domain::Permission;
use anbiao_domain::certificate::CertificateStatus;
use anbiao_domain::date::{format_date, parse_date};
use anbiao_domain::text::{clean, limits};
use anbiao_store::outreach::{
    self as store, Exchange, Group, Model, ModelTownship, NewExchange, NewModel, NewPublicity,
    Publicity,
};
use anbiao_store::training::{self, Found};
use time::{Date, Duration};

use crate::ctx::Ctx;
use crate::error::{ActionError, within};

/// What the officers' page shows.
#[derive(Debug, Clone)]
pub struct OutreachView {
    pub models: Vec<Model>,
    pub townships: Vec<ModelTownship>,
    pub groups: Vec<Group>,
    pub exchanges: Vec<Exchange>,
    pub publicity: Vec<Publicity>,
}

/// An exchange as the form gives it.
#[derive(Debug, Clone, Default)]
pub struct ExchangeForm {
    pub kind: String,
    pub title: String,
    /// The host enterprise's name or credit code (optional).
    pub host: String,
    /// The group whose activity it is (optional).
    pub group_id: String,
    pub held_on: String,
    pub place: String,
    pub open_day: bool,
    pub note: String,
    /// The attending enterprises, one name or credit code per line.
    pub attendees: String,
}

/// A publicity item as the form gives it.
#[derive(Debug, Clone, Default)]
pub struct PublicityForm {
    pub channel: String,
    pub title: String,
    pub held_on: String,
    pub reach: String,
    pub summary: String,
    pub published: bool,
}

/// What the portal shows.
#[derive(Debug, Clone)]
pub struct PortalOutreach {
    pub models: Vec<Model>,
    pub open_days: Vec<Exchange>,
    pub publicity: Vec<Publicity>,
}

/// How many rows each list of the page shows.
pub const LIST: i64 = 200;

impl Ctx<'_> {
    pub async fn outreach_view(&self) -> Result<OutreachView, ActionError> {
        self.actor.require(Permission::ViewTraining)?;
        let reach = self.training_reach()?;
        Ok(OutreachView {
            models: store::models(self.db, &reach).await?,
            townships: store::townships(self.db, &reach).await?,
            groups: store::groups(self.db, &reach).await?,
            exchanges: store::exchanges(self.db, &reach, LIST).await?,
            publicity: store::publicity(self.db, &reach, LIST).await?,
        })
    }

    /// The unit a city or district officer records for (a township officer does not).
    fn outreach_unit(&self) -> Result<Option<String>, ActionError> {
        self.actor.require(Permission::KeepOutreach)?;
        Ok(self.recording_unit()?.0)
    }

    /// An enterprise named in a form, within the actor's scope.
    pub(crate) async fn named_enterprise(
        &self,
        field: &str,
        text: &str,
    ) -> Result<(i64, String), ActionError> {
        let t = clean(text);
        match training::find_enterprise(self.db, &self.actor.scope, &t).await? {
            Found::One { id, name } => Ok((id, name)),
            Found::None => Err(ActionError::bad(
                field,
                format!("企业“{t}”不在您辖区的企业名录中（按企业名称或统一社会信用代码查找）"),
            )),
            Found::Many => Err(ActionError::bad(
                field,
                format!("有多家企业名为“{t}”，请改填统一社会信用代码"),
            )),
        }
    }

    fn day_of(&self, field: &str, what: &str, text: &str) -> Result<Date, ActionError> {
        let d = parse_date(text.trim())
            .ok_or_else(|| ActionError::bad(field, format!("请按“2026-12-07”的格式填写{what}")))?;
        let first = Date::from_calendar_date(2018, time::Month::January, 1)
            .map_err(|_| ActionError::bad(field, "日期无效"))?;
        let last = self.on + Duration::days(366);
        if d < first || d > last {
            return Err(ActionError::bad(
                field,
                format!(
                    "{what}应在 {} 至 {} 之间",
                    format_date(first),
                    format_date(last)
                ),
            ));
        }
        Ok(d)
    }

    /// Names a model enterprise: refused unless it holds, on the day, a valid certificate of
    /// one of the rules' model grades (六（六）3).
    pub async fn name_model_enterprise(
        &self,
        enterprise: &str,
        reason: &str,
    ) -> Result<i64, ActionError> {
        self.outreach_unit()?;
        let set = self.outreach_set()?;
        let reason = clean(reason);
        if reason.is_empty() {
            return Err(ActionError::bad("reason", "请写明命名理由（建设成效）"));
        }
        within("reason", "命名理由", &reason, limits::NOTE)?;
        let (id, name) = self.named_enterprise("enterprise", enterprise).await?;
        let e = anbiao_store::enterprise::get(self.db, &self.actor.scope, id).await?;
        let unit = self
            .reference
            .regions
            .get(&e.region_code)
            .map(|r| r.unit.clone())
            .ok_or(ActionError::NotFound)?;
        let certificates =
            anbiao_store::certificate::of_enterprise(self.db, &self.actor.scope, id).await?;
        let held = certificates.iter().find(|c| {
            c.status_on(self.on) == CertificateStatus::Valid
                && c.grade().is_some_and(|g| set.model_grades.contains(&g))
        });
        let grades: Vec<&str> = set.model_grades.iter().map(|g| g.label()).collect();
        let Some(c) = held else {
            return Err(ActionError::bad(
                "enterprise",
                format!(
                    "“{name}”在 {} 没有有效的{}安全生产标准化证书，不能命名为示范企业（依据 {}）",
                    format_date(self.on),
                    grades.join("或"),
                    set.demonstration.section
                ),
            ));
        };
        let rule = set.cite("demonstration.model_grades");
        Ok(store::name_model(
            self.db,
            &self.actor.audit,
            &NewModel {
                enterprise_id: id,
                enterprise: &name,
                unit: &unit,
                certificate_id: c.id,
                grade: &c.grade,
                named_on: self.on,
                reason: &reason,
                rule: &rule,
            },
        )
        .await?)
    }

    /// A district names a township of its own to cultivate as a model (重点培育).
    pub async fn name_model_township(
        &self,
        township: &str,
        reason: &str,
    ) -> Result<i64, ActionError> {
        let Some(unit) = self.outreach_unit()? else {
            return Err(ActionError::Forbidden(
                "重点培育的乡镇（街道、园区）由县（市、区）确定".into(),
            ));
        };
        let township = clean(township);
        let reason = clean(reason);
        if township.is_empty() || reason.is_empty() {
            return Err(ActionError::bad(
                "township",
                "请填写乡镇（街道、园区）和培育理由",
            ));
        }
        within("township", "乡镇名称", &township, 50)?;
        within("reason", "培育理由", &reason, limits::NOTE)?;
        let codes = self
            .reference
            .regions
            .lineage(self.actor.region.as_deref().unwrap_or(""));
        let mut known = false;
        for code in &codes {
            if anbiao_store::enterprise::township_known(self.db, code, &township).await? {
                known = true;
                break;
            }
        }
        if !known {
            return Err(ActionError::bad(
                "township",
                format!("本地区企业名录中没有“{township}”的企业，请核对乡镇（街道、园区）名称"),
            ));
        }
        Ok(store::name_township(
            self.db,
            &self.actor.audit,
            &unit,
            &township,
            self.on,
            &reason,
        )
        .await?)
    }

    /// The enterprises of a text, one per line (blank lines skipped), each within scope; every
    /// line that does not name one is reported.
    async fn enterprises_of(&self, field: &str, text: &str) -> Result<Vec<i64>, ActionError> {
        let mut ids: Vec<i64> = Vec::new();
        let mut problems = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = clean(line);
            if line.is_empty() {
                continue;
            }
            if ids.len() >= 500 {
                return Err(ActionError::bad(field, "一次最多登记 500 家企业"));
            }
            match self.named_enterprise(field, &line).await {
                Ok((id, name)) if ids.contains(&id) => {
                    problems.push(format!("第{}行“{name}”重复", n + 1));
                }
                Ok((id, _)) => ids.push(id),
                Err(ActionError::Invalid { message, .. }) => {
                    problems.push(format!("第{}行{message}", n + 1));
                }
                Err(e) => return Err(e),
            }
        }
        if !problems.is_empty() {
            return Err(ActionError::bad(field, problems.join("；")));
        }
        Ok(ids)
    }

    pub async fn record_exchange(&self, f: &ExchangeForm) -> Result<i64, ActionError> {
        let unit = self.outreach_unit()?;
        let set = self.outreach_set()?;
        if set.visit_kind(&f.kind).is_none() {
            return Err(ActionError::bad("kind", "请选择交流方式"));
        }
        let title = clean(&f.title);
        let place = clean(&f.place);
        let note = clean(&f.note);
        if title.is_empty() || place.is_empty() {
            return Err(ActionError::bad("title", "请填写活动名称和地点"));
        }
        within("title", "活动名称", &title, limits::TITLE)?;
        within("place", "地点", &place, limits::TITLE)?;
        within("note", "活动内容", &note, limits::DESCRIPTION)?;
        let held_on = self.day_of("held_on", "活动日期", &f.held_on)?;
        let host = if clean(&f.host).is_empty() {
            None
        } else {
            Some(self.named_enterprise("host", &f.host).await?.0)
        };
        let group_id = match f.group_id.trim() {
            "" => None,
            g => {
                let id = g
                    .parse::<i64>()
                    .map_err(|_| ActionError::bad("group_id", "请从列表中选择协作组或协会"))?;
                let reach = self.training_reach()?;
                Some(store::group(self.db, &reach, id).await?.id)
            }
        };
        let attendees = self.enterprises_of("attendees", &f.attendees).await?;
        if f.open_day && held_on < self.on {
            return Err(ActionError::bad(
                "open_day",
                "开放日应在今天或以后，已举行的活动不再在门户公布",
            ));
        }
        Ok(store::record_exchange(
            self.db,
            &self.actor.audit,
            &NewExchange {
                unit: unit.as_deref(),
                kind: &f.kind,
                title: &title,
                host_enterprise_id: host,
                group_id,
                held_on,
                place: &place,
                open_day: f.open_day,
                note: &note,
                attendees: &attendees,
            },
        )
        .await?)
    }

    pub async fn create_safety_group(
        &self,
        kind: &str,
        name: &str,
        members: &str,
    ) -> Result<i64, ActionError> {
        let unit = self.outreach_unit()?;
        let set = self.outreach_set()?;
        if set.group_kind(kind).is_none() {
            return Err(ActionError::bad("kind", "请选择组织类别"));
        }
        let name = clean(name);
        if name.is_empty() {
            return Err(ActionError::bad("name", "请填写协作组或协会的名称"));
        }
        within("name", "名称", &name, limits::TITLE)?;
        let members = self.enterprises_of("members", members).await?;
        Ok(store::create_group(
            self.db,
            &self.actor.audit,
            unit.as_deref(),
            kind,
            &name,
            &members,
            self.on,
        )
        .await?)
    }

    pub async fn record_publicity(&self, f: &PublicityForm) -> Result<i64, ActionError> {
        let unit = self.outreach_unit()?;
        let set = self.outreach_set()?;
        if set.channel(&f.channel).is_none() {
            return Err(ActionError::bad("channel", "请选择宣传渠道"));
        }
        let title = clean(&f.title);
        let summary = clean(&f.summary);
        if title.is_empty() {
            return Err(ActionError::bad("title", "请填写宣传标题"));
        }
        within("title", "标题", &title, limits::TITLE)?;
        within("summary", "内容摘要", &summary, limits::DESCRIPTION)?;
        let held_on = self.day_of("held_on", "日期", &f.held_on)?;
        let reach = match f.reach.trim() {
            "" => 0,
            r => r
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=100_000_000).contains(n))
                .ok_or_else(|| ActionError::bad("reach", "覆盖人数应为 0 至 1 亿之间的整数"))?,
        };
        if f.published && held_on > self.on {
            return Err(ActionError::bad(
                "published",
                "尚未开展的宣传不能在门户公开，开展后再公开",
            ));
        }
        Ok(store::record_publicity(
            self.db,
            &self.actor.audit,
            &NewPublicity {
                unit: unit.as_deref(),
                channel: &f.channel,
                title: &title,
                held_on,
                reach,
                summary: &summary,
                published: f.published,
            },
        )
        .await?)
    }

    /// The unit that recorded a publicity item withdraws it, with the reason: it leaves the
    /// portal and stays on file.
    pub async fn withdraw_publicity(&self, id: i64, reason: &str) -> Result<(), ActionError> {
        let unit = self.outreach_unit()?;
        let item = store::publicity_item(self.db, &self.training_reach()?, id).await?;
        if item.unit != unit {
            return Err(ActionError::Forbidden(
                "只有登记这项宣传的单位可以撤回".into(),
            ));
        }
        let reason = undo_reason(reason, "请写明撤回的原因", "撤回原因")?;
        Ok(store::withdraw_publicity(self.db, &self.actor.audit, &item, &reason, self.on).await?)
    }

    /// The unit that named a model enterprise, or the city, revokes the naming from today with
    /// the reason (撤销命名): it leaves the portal and the unit's count and stays on file.
    pub async fn revoke_model(&self, id: i64, reason: &str) -> Result<(), ActionError> {
        let unit = self.outreach_unit()?;
        let m = store::model(self.db, &self.training_reach()?, id).await?;
        if unit.as_ref().is_some_and(|u| *u != m.unit) {
            return Err(ActionError::Forbidden(
                "只有作出命名的县（市、区）或市应急管理局可以撤销命名".into(),
            ));
        }
        let reason = undo_reason(reason, "请写明撤销命名的原因", "撤销原因")?;
        Ok(store::revoke_model(self.db, &self.actor.audit, &m, &reason, self.on).await?)
    }

    /// The unit that recorded an exchange withdraws it (recorded in error, cancelled), with the
    /// reason: it leaves the portal and the figures and stays on file.
    pub async fn withdraw_exchange(&self, id: i64, reason: &str) -> Result<(), ActionError> {
        let unit = self.outreach_unit()?;
        let x = store::exchange(self.db, &self.training_reach()?, id).await?;
        if x.unit != unit {
            return Err(ActionError::Forbidden(
                "只有登记这项活动的单位可以撤回".into(),
            ));
        }
        let reason = undo_reason(
            reason,
            "请写明撤回的原因（如登记有误、活动取消）",
            "撤回原因",
        )?;
        Ok(store::withdraw_exchange(self.db, &self.actor.audit, &x, &reason, self.on).await?)
    }

    /// The portal's lists: anyone reads them.
    pub async fn portal_outreach(&self) -> Result<PortalOutreach, ActionError> {
        Ok(PortalOutreach {
            models: store::models_valid_on(self.db, self.on).await?,
            open_days: store::open_days(self.db, self.on, 50).await?,
            publicity: store::published(self.db, self.on, 50).await?,
        })
    }
}

/// The reason given for withdrawing or revoking a record: required, cleaned and capped.
fn undo_reason(raw: &str, ask: &str, label: &str) -> Result<String, ActionError> {
    let reason = clean(raw);
    if anbiao_domain::text::is_blank(&reason) {
        return Err(ActionError::bad("reason", ask));
    }
    within("reason", label, &reason, limits::NOTE)?;
    Ok(reason)
}
