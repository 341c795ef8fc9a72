//! The authorization model as one table, drawn from the code and the rule files: who may take
//! which action, on which records (scope), as which party. `docs/security.md` holds this table
//! between markers, and a test fails when the two differ, so the document cannot drift.

use anbiao_domain::authority::{AuthoritySet, FieldKeeper, Who};
use anbiao_domain::enterprise::Field;
use anbiao_domain::lifecycle::Action;
use anbiao_domain::rules::AuthorityLevel;
use anbiao_domain::{Permission, Role};

/// The roles as columns, in the order the table shows them.
pub const ROLES: [Role; 11] = [
    Role::CityOfficer,
    Role::DistrictOfficer,
    Role::TownshipOfficer,
    Role::EnterpriseManager,
    Role::EvaluationOrg,
    Role::Evaluator,
    Role::Partner,
    Role::SystemAdmin,
    Role::SecurityAdmin,
    Role::AuditAdmin,
    Role::Pending,
];

/// The records a role reaches (its scope), in words.
pub fn scope_words(role: Role) -> &'static str {
    match role {
        Role::CityOfficer => "全市",
        Role::DistrictOfficer => "本县区",
        Role::TownshipOfficer => "本乡镇",
        Role::EnterpriseManager => "本企业",
        Role::EvaluationOrg | Role::Evaluator => "指派的案件",
        Role::Partner => "授权地区",
        Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin | Role::Pending => "无业务数据",
    }
}

fn header(out: &mut String, first: &str) {
    out.push_str(&format!("| {first} |"));
    for r in ROLES {
        out.push_str(&format!(" {} |", r.label()));
    }
    out.push_str("\n|---|");
    for _ in ROLES {
        out.push_str("---|");
    }
    out.push('\n');
}

/// Who may take a grading step, per role: the party the rules name, within the role's scope.
fn step_cell(rules: &AuthoritySet, role: Role, action: Action) -> String {
    if !role.allows(Permission::ActOnCases) {
        return "—".into();
    }
    let Some(party) = rules.party_of(role) else {
        return "—".into();
    };
    let Some(who) = rules.grading_step(action) else {
        return "—".into();
    };
    if who == Who::Grader {
        let mut levels = Vec::new();
        if who.party(AuthorityLevel::City) == party {
            levels.push("三级及上报");
        }
        if who.party(AuthorityLevel::District) == party {
            levels.push("小微达标");
        }
        if levels.is_empty() {
            return "—".into();
        }
        return format!("{}（{}）", scope_words(role), levels.join("、"));
    }
    if who.party(AuthorityLevel::City) == party {
        scope_words(role).to_string()
    } else {
        "—".into()
    }
}

/// The permission the route of a workflow step needs besides the party.
fn step_permission(step: &str) -> Option<Permission> {
    Some(match step.split('.').next()? {
        "certificate" if step == "certificate.annual" => Permission::ActOnCases,
        "certificate" => Permission::RevokeCertificates,
        "accident" => Permission::RecordAccidents,
        "enforcement" => Permission::Enforce,
        "submission" if step == "submission.submit" => Permission::SubmitReports,
        "submission" => Permission::ReviewReports,
        "audit" => Permission::ManageAudits,
        "inspection" if step == "inspection.plan" => Permission::PlanInspections,
        "inspection" => Permission::Inspect,
        "warning" => Permission::PublishWarnings,
        "bulletin" => Permission::PublishBulletins,
        "org" => Permission::ManageOrgs,
        _ => return None,
    })
}

/// The whole table in Markdown: permissions, grading steps, registry fields, accounts.
pub fn markdown(rules: &AuthoritySet) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "Drawn from `Role::allows`, `data/rules/authority.toml` ({}@{}) and \
         `crates/actions`; a cell names the records the role reaches, “—” that it may not.\n\n",
        rules.id, rules.version
    ));
    out.push_str(
        "**Permissions** (checked on the route and again in the action, on the record's scope)\n\n",
    );
    header(&mut out, "权限");
    for p in Permission::ALL {
        out.push_str(&format!("| {} `{}` |", p.label(), p.key()));
        for r in ROLES {
            let cell = match (r.allows(p), r.is_admin()) {
                (false, _) => "—",
                (true, true) => "✓",
                (true, false) => scope_words(r),
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push_str("\n**Grading steps** (`actions::grading`: the party is the actor's, asked before the case's state; the public objects to a case in notice)\n\n");
    header(&mut out, "步骤");
    for a in Action::ALL {
        out.push_str(&format!("| {} `{}` |", a.label(), a.key()));
        for r in ROLES {
            out.push_str(&format!(" {} |", step_cell(rules, r, a)));
        }
        out.push('\n');
    }
    out.push_str("\n**Hazard steps** (`actions::hazards`: the party is the actor's, asked before the hazard's state)\n\n");
    header(&mut out, "隐患步骤");
    for (step, label, p) in [
        ("report", "登记自查隐患", Permission::ReportHazards),
        (
            "plan",
            "报送治理方案（重大隐患）",
            Permission::ReportHazards,
        ),
        ("rectify", "报告整改完成", Permission::ReportHazards),
        ("accept", "验收销号", Permission::Inspect),
        ("return", "退回重新整改", Permission::Inspect),
    ] {
        out.push_str(&format!("| {label} `{step}` |"));
        for r in ROLES {
            let takes = r.allows(p)
                && rules
                    .party_of(r)
                    .is_some_and(|party| rules.hazard_step_parties(step).contains(&party));
            let cell = if takes { scope_words(r) } else { "—" };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push_str("\n**Other workflow steps** (`authority.toml` `[set.steps]`, asked by the action before the record's state; with the route's permission)\n\n");
    header(&mut out, "步骤");
    for (step, parties) in rules.steps() {
        out.push_str(&format!("| `{step}` |"));
        for r in ROLES {
            let permitted = step_permission(step).is_some_and(|p| r.allows(p));
            let cell = match rules.party_of(r) {
                Some(p) if permitted && parties.contains(&p) => scope_words(r),
                _ => "—",
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push_str("\n**Registry fields** (`actions::enterprises`: officer-kept fields take a recorded reason; an enterprise registers no other enterprise)\n\n");
    header(&mut out, "字段");
    for f in Field::ALL {
        out.push_str(&format!("| {} `{}` |", f.label(), f.key()));
        for r in ROLES {
            let cell = if !r.allows(Permission::EditEnterprises) {
                "—".to_string()
            } else if rules.keeper(f) == FieldKeeper::Enterprise {
                scope_words(r).to_string()
            } else if r.is_officer() {
                format!("{}（须填修改原因）", scope_words(r))
            } else {
                "—".to_string()
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push_str("\n**Accounts** (`actions::accounts`: never an administrator's account, never one's own; administrators are created and reset with `anbiao user` on the server)\n\n");
    header(&mut out, "账户操作");
    let accounts: [(&str, Permission); 3] = [
        ("新建账户（待授权，无角色）", Permission::ManageAccounts),
        ("启用、停用、解锁、重置密码", Permission::ManageAccounts),
        ("授予业务角色和地区", Permission::ManageGrants),
    ];
    for (what, p) in accounts {
        out.push_str(&format!("| {what} |"));
        for r in ROLES {
            let cell = if r.allows(p) {
                "非管理员账户"
            } else {
                "—"
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use anbiao_domain::ReferenceData;
    use time::macros::date;

    const BEGIN: &str = "<!-- authorization-table:begin -->\n";
    const END: &str = "<!-- authorization-table:end -->";

    /// The table in `docs/security.md` is the one the code draws. To refresh it after a change
    /// of roles or rules: `ANBIAO_WRITE_DOCS=1 cargo test -p anbiao-actions`.
    #[test]
    fn the_security_document_holds_the_table_the_code_draws() {
        let reference = ReferenceData::embedded().expect("reference");
        let table = markdown(reference.authority.on(date!(2026 - 01 - 01)));
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/security.md");
        let doc = std::fs::read_to_string(&path).expect("docs/security.md");
        let (Some(b), Some(e)) = (doc.find(BEGIN), doc.find(END)) else {
            panic!("docs/security.md lacks the authorization-table markers");
        };
        let current = &doc[b + BEGIN.len()..e];
        if current != table {
            if std::env::var_os("ANBIAO_WRITE_DOCS").is_some() {
                let new = format!("{}{table}{}", &doc[..b + BEGIN.len()], &doc[e..]);
                std::fs::write(&path, new).expect("write");
            } else {
                panic!(
                    "docs/security.md's authorization table differs from the code; \
                     refresh it with ANBIAO_WRITE_DOCS=1 cargo test -p anbiao-actions.\n\n{table}"
                );
            }
        }
    }

    #[test]
    fn a_workflow_step_needs_the_party_and_the_permission() {
        let reference = ReferenceData::embedded().expect("reference");
        let table = markdown(reference.authority.on(date!(2026 - 01 - 01)));
        let revoke = table
            .lines()
            .find(|l| l.starts_with("| `certificate.revoke`"))
            .expect("row");
        // The township officer is of the district party but may not revoke.
        let cells: Vec<&str> = revoke.split('|').map(str::trim).collect();
        assert_eq!(cells[2], "全市", "{revoke}");
        assert_eq!(cells[3], "本县区", "{revoke}");
        assert_eq!(cells[4], "—", "{revoke}");
    }

    #[test]
    fn the_table_says_who_records_a_province_grant() {
        let reference = ReferenceData::embedded().expect("reference");
        let rules = reference.authority.on(date!(2026 - 01 - 01));
        assert_eq!(
            step_cell(rules, Role::CityOfficer, Action::RecordExternalGrant),
            "全市"
        );
        for r in [
            Role::DistrictOfficer,
            Role::EnterpriseManager,
            Role::Evaluator,
            Role::SystemAdmin,
        ] {
            assert_eq!(
                step_cell(rules, r, Action::RecordExternalGrant),
                "—",
                "{r:?}"
            );
        }
        assert_eq!(
            step_cell(rules, Role::DistrictOfficer, Action::Approve),
            "本县区（小微达标）"
        );
        assert_eq!(
            step_cell(rules, Role::EnterpriseManager, Action::Apply),
            "本企业"
        );
    }
}
