//! The enterprise registry's changes. Which fields an enterprise keeps itself and which only an
//! officer changes (with the reason recorded) is data: `authority.toml` `enterprise_fields`.

use anbiao_domain::authority::FieldKeeper;
use anbiao_domain::enterprise::{EnterpriseDraft, Field, OverridePolicy};
use anbiao_domain::{Permission, ReferenceData, Role};
use anbiao_store::enterprise::{self, Enterprise};
use anbiao_store::{Db, StoreError};
use time::Date;

use crate::actor::Actor;
use crate::error::ActionError;

/// A change to one enterprise: the whole record as it should read, the version the user saw,
/// and the reason an officer gives for changing officer-kept fields.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub draft: EnterpriseDraft,
    pub version: Option<i64>,
    pub reason: Option<String>,
}

/// Whether a failing check character may be accepted: by one who may override it, or when an
/// overridden code stays as it was.
pub fn override_policy(
    can_override: bool,
    existing: Option<&Enterprise>,
    draft: &EnterpriseDraft,
) -> OverridePolicy {
    let unchanged_override = existing.is_some_and(|e| {
        e.code_override_reason.is_some()
            && draft
                .credit_code
                .as_deref()
                .map(anbiao_domain::credit_code::normalize)
                .as_deref()
                == Some(e.credit_code.as_str())
    });
    if can_override || unchanged_override {
        OverridePolicy::Allowed
    } else {
        OverridePolicy::Forbidden
    }
}

/// Registers a new enterprise: officers within their scope only.
pub async fn create(
    db: &Db,
    reference: &ReferenceData,
    actor: &Actor,
    draft: &EnterpriseDraft,
    on: Date,
) -> Result<i64, ActionError> {
    actor.require(Permission::EditEnterprises)?;
    if !actor.is_officer() {
        return Err(ActionError::Forbidden(
            "新增企业须由属地监管部门登记，企业用户只能维护本企业信息".into(),
        ));
    }
    let input = draft
        .validate(
            reference,
            on,
            override_policy(actor.permits(Permission::OverrideCreditCode), None, draft),
        )
        .map_err(ActionError::Fields)?;
    Ok(enterprise::create(db, &actor.scope, &actor.audit, &input).await?)
}

/// Changes an enterprise within the actor's scope. The enterprise itself changes only the
/// fields it keeps; an officer changes the others with a reason, which every change row and the
/// audit entry record. Returns the fields that changed.
pub async fn update(
    db: &Db,
    reference: &ReferenceData,
    actor: &Actor,
    id: i64,
    edit: &Edit,
    on: Date,
) -> Result<Vec<Field>, ActionError> {
    actor.require(Permission::EditEnterprises)?;
    // Out of scope is "not found" whatever was sent.
    let old = enterprise::get(db, &actor.scope, id).await?;
    if edit.version.is_some_and(|v| v != old.version) {
        return Err(ActionError::Conflict(
            "该企业信息已被他人修改，请刷新后重试".into(),
        ));
    }
    let input = edit
        .draft
        .validate(
            reference,
            on,
            override_policy(
                actor.permits(Permission::OverrideCreditCode),
                Some(&old),
                &edit.draft,
            ),
        )
        .map_err(ActionError::Fields)?;
    let rules = reference.authority.on(on);
    let officer_kept: Vec<Field> = enterprise::diff(&old, &input)
        .into_iter()
        .map(|(f, _, _)| f)
        .filter(|f| rules.keeper(*f) == FieldKeeper::Officer)
        .collect();
    let reason = edit
        .reason
        .as_deref()
        .map(anbiao_domain::text::clean)
        .filter(|r| !r.is_empty());
    if !officer_kept.is_empty() {
        let names = officer_kept
            .iter()
            .map(|f| format!("“{}”", f.label()))
            .collect::<Vec<_>>()
            .join("、");
        let rule = rules.field_rule(officer_kept[0]);
        if actor.role == Some(Role::EnterpriseManager) || !actor.is_officer() {
            let why = format!("{names}须由属地监管部门修改，企业不能自行修改（{rule}）");
            return Err(actor
                .denied(db, format!("enterprise:{id}"), why.clone(), why)
                .await);
        }
        if reason.is_none() {
            return Err(ActionError::bad(
                "change_reason",
                format!("修改{names}须填写修改原因（{rule}）"),
            ));
        }
    }
    let reason = if officer_kept.is_empty() {
        None
    } else {
        reason
    };
    match enterprise::update_with_reason(
        db,
        &actor.scope,
        &actor.audit,
        id,
        &input,
        edit.version,
        reason.as_deref(),
    )
    .await
    {
        Ok(changed) => Ok(changed),
        Err(StoreError::Invalid(m)) => Err(ActionError::bad("region", m)),
        Err(e) => Err(e.into()),
    }
}

impl crate::Ctx<'_> {
    /// A page of the enterprises within the actor's scope that `f` selects.
    pub async fn enterprises(
        &self,
        f: &enterprise::Filter,
        page: i64,
        per_page: i64,
    ) -> Result<enterprise::Page<Enterprise>, ActionError> {
        self.actor.require(Permission::ViewEnterprises)?;
        Ok(enterprise::list(self.db, &self.actor.scope, f, page, per_page).await?)
    }

    /// An enterprise within the actor's scope.
    pub async fn enterprise(&self, id: i64) -> Result<Enterprise, ActionError> {
        self.actor.require(Permission::ViewEnterprises)?;
        Ok(enterprise::get(self.db, &self.actor.scope, id).await?)
    }

    /// An enterprise within the actor's scope and its change history, newest first.
    pub async fn enterprise_history(
        &self,
        id: i64,
    ) -> Result<(Enterprise, Vec<enterprise::Change>), ActionError> {
        let e = self.enterprise(id).await?;
        let history = enterprise::history(self.db, &self.actor.scope, id).await?;
        Ok((e, history))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anbiao_domain::EnterpriseDraft;
    use anbiao_domain::enterprise::OverridePolicy;
    use anbiao_store::enterprise::Enterprise;

    fn stored(code: &str, reason: Option<&str>) -> Enterprise {
        let now = time::OffsetDateTime::now_utc();
        Enterprise {
            id: 1,
            credit_code: code.into(),
            code_override_reason: reason.map(str::to_string),
            name: "甲".into(),
            region_code: "320682".into(),
            township: None,
            industry_code: "JX".into(),
            annual_sales_yuan: None,
            employees: None,
            above_scale: None,
            size_class: None,
            size_rule: None,
            status: "active".into(),
            contact_person: None,
            contact_phone: None,
            address: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    #[test]
    fn an_accepted_override_can_be_kept_but_not_extended() {
        let failing = "91350203M0001QAY9B";
        let draft = |c: &str| EnterpriseDraft {
            credit_code: Some(c.to_lowercase()),
            ..Default::default()
        };
        let e = stored(failing, Some("已核对营业执照原件"));
        assert_eq!(
            override_policy(false, Some(&e), &draft(failing)),
            OverridePolicy::Allowed
        );
        assert_eq!(
            override_policy(false, Some(&e), &draft("91350203M0001QAY9C")),
            OverridePolicy::Forbidden
        );
        assert_eq!(
            override_policy(false, Some(&stored(failing, None)), &draft(failing)),
            OverridePolicy::Forbidden
        );
        assert_eq!(
            override_policy(false, None, &draft(failing)),
            OverridePolicy::Forbidden
        );
        assert_eq!(
            override_policy(true, None, &draft(failing)),
            OverridePolicy::Allowed
        );
    }
}
