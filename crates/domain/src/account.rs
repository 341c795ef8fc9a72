//! Roles and the scope a user acts within.

use crate::region::RegionBook;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    CityOfficer,
    DistrictOfficer,
    TownshipOfficer,
    EnterpriseManager,
    EvaluationOrg,
    Evaluator,
    Partner,
    SystemAdmin,
    SecurityAdmin,
    AuditAdmin,
    /// An account the system administrator created and the security administrator has not yet
    /// granted a role: it signs in, changes its password, and sees nothing.
    Pending,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Self::CityOfficer,
        Self::DistrictOfficer,
        Self::TownshipOfficer,
        Self::EnterpriseManager,
        Self::EvaluationOrg,
        Self::Evaluator,
        Self::Partner,
        Self::SystemAdmin,
        Self::SecurityAdmin,
        Self::AuditAdmin,
        Self::Pending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CityOfficer => "city_officer",
            Self::DistrictOfficer => "district_officer",
            Self::TownshipOfficer => "township_officer",
            Self::EnterpriseManager => "enterprise_manager",
            Self::EvaluationOrg => "evaluation_org",
            Self::Evaluator => "evaluator",
            Self::Partner => "partner",
            Self::SystemAdmin => "system_admin",
            Self::SecurityAdmin => "security_admin",
            Self::AuditAdmin => "audit_admin",
            Self::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::CityOfficer => "市局监管人员",
            Self::DistrictOfficer => "县（市、区）监管人员",
            Self::TownshipOfficer => "乡镇（街道）监管人员",
            Self::EnterpriseManager => "企业安全管理人员",
            Self::EvaluationOrg => "评审单位",
            Self::Evaluator => "考评员",
            Self::Partner => "协作部门",
            Self::SystemAdmin => "系统管理员",
            Self::SecurityAdmin => "安全管理员",
            Self::AuditAdmin => "审计管理员",
            Self::Pending => "待授权（由安全管理员授予角色）",
        }
    }

    /// Officers of the bureau and its districts and townships.
    pub fn is_officer(self) -> bool {
        matches!(
            self,
            Self::CityOfficer | Self::DistrictOfficer | Self::TownshipOfficer
        )
    }

    /// Which region a user of this role must (or must not) have.
    pub fn region_requirement(self) -> RegionRequirement {
        match self {
            Self::DistrictOfficer | Self::TownshipOfficer => RegionRequirement::Required,
            Self::Partner => RegionRequirement::Optional,
            _ => RegionRequirement::None,
        }
    }
}

/// What an action needs. Roles grant permissions here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    ViewEnterprises,
    EditEnterprises,
    ImportEnterprises,
    ExportEnterprises,
    /// Accept a credit code whose check character fails, with a recorded reason.
    OverrideCreditCode,
    /// Create accounts, enable and disable them, reset passwords, lift locks.
    ManageAccounts,
    /// Grant roles and regions; issue and revoke partner tokens.
    ManageGrants,
    /// Read and export the audit log.
    ViewAuditLog,
    /// See grading cases (within scope).
    ViewCases,
    /// Take part in a grading case: the state machine decides which steps one's party may take.
    ActOnCases,
    /// Record an enterprise's accidents.
    RecordAccidents,
    /// Revoke a certificate (after the rules propose it, with reasons).
    RevokeCertificates,
    /// Read certificates and their status (a partner's "grades and validity only").
    ViewCertificates,
    /// Keep the registry of evaluation organisations, evaluators and coaching relations.
    ManageOrgs,
    /// Load official scoring sheets.
    ManageSheets,
    /// See the quality flags of grading (alike self-assessments, evaluator throughput).
    MonitorQuality,
    /// See the programmes' target tables and the enterprises behind each figure (within scope).
    ViewProgrammes,
    /// Submit the unit's files and lists against a programme's deadlines.
    SubmitReports,
    /// Accept or return the units' submissions.
    ReviewReports,
    /// Draw the yearly audit plan and record operation-quality audits (within scope).
    ManageAudits,
    /// Draft, edit and publish 通报.
    PublishBulletins,
    /// See the unit's inspection plans (within scope).
    ViewInspections,
    /// Draw the annual inspection plan and keep the unit's officers (within scope).
    PlanInspections,
    /// See hidden hazards and their statistics (within scope; an enterprise its own).
    ViewHazards,
    /// The enterprise's own side of a hazard: register what its self-check found, plan a major
    /// hazard's rectification, report a rectification done with its photo.
    ReportHazards,
    /// Record inspections, register their findings, accept (销号) or return rectifications.
    Inspect,
    /// Take enforcement decisions (order, fine, suspension, closure) and mark typical cases.
    Enforce,
    /// See the violations database (within scope).
    ViewViolations,
    /// Publish the warning notices (警示通报) drawn from the violations database.
    PublishWarnings,
    /// Read enterprises' risk registers (within scope; an enterprise its own).
    ViewRisks,
    /// Keep the enterprise's own risk register: identify, assess and control its risk points.
    KeepRisks,
    /// Read enterprises' obligation lists and what they recorded (within scope; an enterprise
    /// its own).
    ViewObligations,
    /// Keep the enterprise's own obligation list: confirm items with evidence, record gaps.
    KeepObligations,
    /// Read training sessions, attendance and coverage within the unit (and the city's).
    ViewTraining,
    /// Record the unit's training sessions and who attended them.
    KeepTraining,
    /// Record the unit's publicity, model townships and enterprises, visits and associations.
    KeepOutreach,
    /// Divide townships into grids and put small and micro enterprises in them.
    KeepGrids,
    /// Read the incentive and restriction measures and the enterprises each concerns (within
    /// scope).
    ViewConsequences,
    /// Read the partners' feed of changes of standing, as the partner's agreement allows.
    ReadFeed,
}

impl Permission {
    pub const ALL: [Permission; 39] = [
        Self::ViewEnterprises,
        Self::EditEnterprises,
        Self::ImportEnterprises,
        Self::ExportEnterprises,
        Self::OverrideCreditCode,
        Self::ManageAccounts,
        Self::ManageGrants,
        Self::ViewAuditLog,
        Self::ViewCases,
        Self::ActOnCases,
        Self::RecordAccidents,
        Self::RevokeCertificates,
        Self::ViewCertificates,
        Self::ManageOrgs,
        Self::ManageSheets,
        Self::MonitorQuality,
        Self::ViewProgrammes,
        Self::SubmitReports,
        Self::ReviewReports,
        Self::ManageAudits,
        Self::PublishBulletins,
        Self::ViewInspections,
        Self::PlanInspections,
        Self::ViewHazards,
        Self::ReportHazards,
        Self::Inspect,
        Self::Enforce,
        Self::ViewViolations,
        Self::PublishWarnings,
        Self::ViewRisks,
        Self::KeepRisks,
        Self::ViewObligations,
        Self::KeepObligations,
        Self::ViewTraining,
        Self::KeepTraining,
        Self::KeepOutreach,
        Self::KeepGrids,
        Self::ViewConsequences,
        Self::ReadFeed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::ViewEnterprises => "查看企业信息",
            Self::EditEnterprises => "修改企业信息",
            Self::ImportEnterprises => "导入企业名录",
            Self::ExportEnterprises => "导出企业名录",
            Self::OverrideCreditCode => "豁免信用代码校验",
            Self::ManageAccounts => "管理用户账户",
            Self::ManageGrants => "授予角色和令牌",
            Self::ViewAuditLog => "查阅审计日志",
            Self::ViewCases => "查看定级案件",
            Self::ActOnCases => "办理定级案件",
            Self::RecordAccidents => "登记生产安全事故",
            Self::RevokeCertificates => "撤销标准化证书",
            Self::ViewCertificates => "查看标准化证书",
            Self::ManageOrgs => "管理评审单位",
            Self::ManageSheets => "载入评分细则",
            Self::MonitorQuality => "查看评审质量监测",
            Self::ViewProgrammes => "查看样板地区建设目标",
            Self::SubmitReports => "报送样板地区建设材料",
            Self::ReviewReports => "审核报送材料",
            Self::ManageAudits => "运行质量审计",
            Self::PublishBulletins => "起草和发布通报",
            Self::ViewInspections => "查看监督检查计划",
            Self::PlanInspections => "编制监督检查计划",
            Self::ViewHazards => "查看事故隐患",
            Self::ReportHazards => "报告隐患排查治理",
            Self::Inspect => "实施监督检查",
            Self::Enforce => "作出执法决定",
            Self::ViewViolations => "查看违法行为信息库",
            Self::PublishWarnings => "发布警示通报",
            Self::ViewRisks => "查看风险辨识清单",
            Self::KeepRisks => "辨识评价本企业风险",
            Self::ViewObligations => "查看企业监管清单落实情况",
            Self::KeepObligations => "对照监管清单自查自改",
            Self::ViewTraining => "查看培训、宣传和典型示范",
            Self::KeepTraining => "登记培训和签到",
            Self::KeepOutreach => "登记宣传、典型示范和交流活动",
            Self::KeepGrids => "划分监管网格和登记企业安全员",
            Self::ViewConsequences => "查看激励约束措施名单",
            Self::ReadFeed => "读取企业标准化状态变动数据",
        }
    }

    /// The stable key stored with tokens.
    pub fn key(self) -> &'static str {
        match self {
            Self::ViewEnterprises => "enterprises.view",
            Self::EditEnterprises => "enterprises.edit",
            Self::ImportEnterprises => "enterprises.import",
            Self::ExportEnterprises => "enterprises.export",
            Self::OverrideCreditCode => "enterprises.override_code",
            Self::ManageAccounts => "accounts.manage",
            Self::ManageGrants => "grants.manage",
            Self::ViewAuditLog => "audit.view",
            Self::ViewCases => "cases.view",
            Self::ActOnCases => "cases.act",
            Self::RecordAccidents => "accidents.record",
            Self::RevokeCertificates => "certificates.revoke",
            Self::ViewCertificates => "certificates.view",
            Self::ManageOrgs => "orgs.manage",
            Self::ManageSheets => "sheets.manage",
            Self::MonitorQuality => "quality.view",
            Self::ViewProgrammes => "programmes.view",
            Self::SubmitReports => "reports.submit",
            Self::ReviewReports => "reports.review",
            Self::ManageAudits => "audits.manage",
            Self::PublishBulletins => "bulletins.publish",
            Self::ViewInspections => "inspections.view",
            Self::PlanInspections => "inspections.plan",
            Self::ViewHazards => "hazards.view",
            Self::ReportHazards => "hazards.report",
            Self::Inspect => "inspections.record",
            Self::Enforce => "enforcement.decide",
            Self::ViewViolations => "violations.view",
            Self::PublishWarnings => "warnings.publish",
            Self::ViewRisks => "risks.view",
            Self::KeepRisks => "risks.keep",
            Self::ViewObligations => "obligations.view",
            Self::KeepObligations => "obligations.keep",
            Self::ViewTraining => "training.view",
            Self::KeepTraining => "training.keep",
            Self::KeepOutreach => "outreach.keep",
            Self::KeepGrids => "grids.keep",
            Self::ViewConsequences => "consequences.view",
            Self::ReadFeed => "feed.read",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.key() == key)
    }

    /// Whether the permission only reads (a read-only token may carry it).
    pub fn is_read_only(self) -> bool {
        matches!(
            self,
            Self::ViewEnterprises
                | Self::ExportEnterprises
                | Self::ViewAuditLog
                | Self::ViewCases
                | Self::ViewCertificates
                | Self::MonitorQuality
                | Self::ViewProgrammes
                | Self::ViewInspections
                | Self::ViewHazards
                | Self::ViewViolations
                | Self::ViewRisks
                | Self::ViewObligations
                | Self::ViewTraining
                | Self::ViewConsequences
                | Self::ReadFeed
        )
    }
}

/// The lifetimes an API token may have (see [`Role::token_terms`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenTerms {
    /// What the form offers.
    pub default_days: i64,
    /// The longest a read-only token may live.
    pub max_read_days: i64,
    /// The longest a token that writes may live; `None`: no token of the role writes.
    pub max_write_days: Option<i64>,
}

impl TokenTerms {
    /// Checks a lifetime and access asked for; the message says what is allowed.
    pub fn check(self, role: Role, days: i64, write: bool) -> Result<(), String> {
        let max = if write {
            self.max_write_days
                .ok_or_else(|| format!("{}的接口令牌只能只读，不能签发读写令牌", role.label()))?
        } else {
            self.max_read_days
        };
        if !(1..=max).contains(&days) {
            let kind = if write {
                "读写令牌"
            } else {
                "只读令牌"
            };
            return Err(format!(
                "{}签发的{kind}有效期应为 1 至 {max} 天",
                role.label()
            ));
        }
        Ok(())
    }
}

impl Role {
    /// Whether the role grants the permission (within the user's scope). The three
    /// administrators hold disjoint permissions and none of them reads business data.
    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match p {
            ViewEnterprises => matches!(
                self,
                CityOfficer | DistrictOfficer | TownshipOfficer | EnterpriseManager | Partner
            ),
            EditEnterprises => matches!(
                self,
                CityOfficer | DistrictOfficer | TownshipOfficer | EnterpriseManager
            ),
            ImportEnterprises => matches!(self, CityOfficer | DistrictOfficer),
            ExportEnterprises => matches!(
                self,
                CityOfficer | DistrictOfficer | TownshipOfficer | Partner
            ),
            OverrideCreditCode => matches!(self, CityOfficer | DistrictOfficer),
            ManageAccounts => self == SystemAdmin,
            ManageGrants => self == SecurityAdmin,
            ViewAuditLog => self == AuditAdmin,
            RecordAccidents => matches!(self, CityOfficer | DistrictOfficer | TownshipOfficer),
            RevokeCertificates => matches!(self, CityOfficer | DistrictOfficer),
            ManageOrgs | ManageSheets => self == CityOfficer,
            MonitorQuality | ViewProgrammes => {
                matches!(self, CityOfficer | DistrictOfficer | TownshipOfficer)
            }
            SubmitReports => self == DistrictOfficer,
            ReviewReports | PublishBulletins => self == CityOfficer,
            ManageAudits | PlanInspections => matches!(self, CityOfficer | DistrictOfficer),
            ViewInspections | Inspect | ViewViolations => {
                matches!(self, CityOfficer | DistrictOfficer | TownshipOfficer)
            }
            ViewHazards => matches!(
                self,
                CityOfficer | DistrictOfficer | TownshipOfficer | EnterpriseManager
            ),
            ReportHazards | KeepRisks | KeepObligations => self == EnterpriseManager,
            ViewRisks | ViewObligations => matches!(
                self,
                CityOfficer | DistrictOfficer | TownshipOfficer | EnterpriseManager
            ),
            Enforce => matches!(self, CityOfficer | DistrictOfficer),
            ViewTraining | KeepTraining => {
                matches!(self, CityOfficer | DistrictOfficer | TownshipOfficer)
            }
            KeepOutreach => matches!(self, CityOfficer | DistrictOfficer),
            KeepGrids => matches!(self, DistrictOfficer | TownshipOfficer),
            ViewConsequences => matches!(self, CityOfficer | DistrictOfficer | TownshipOfficer),
            ReadFeed => self == Partner,
            PublishWarnings => self == CityOfficer,
            ViewCertificates => matches!(
                self,
                CityOfficer | DistrictOfficer | TownshipOfficer | EnterpriseManager | Partner
            ),
            ViewCases | ActOnCases => matches!(
                self,
                CityOfficer
                    | DistrictOfficer
                    | TownshipOfficer
                    | EnterpriseManager
                    | EvaluationOrg
                    | Evaluator
            ),
        }
    }

    /// How long an API token of this role may live and whether it may write; `None` for a
    /// role that holds no token. A token is a password that does not expire with the session,
    /// so it lives for weeks, not years: a script's read token up to half a year, a token that
    /// writes up to a quarter; a partner's for the length of a yearly agreement, read-only; an
    /// administrator's (an audit export, say) read-only and short, since administrators work
    /// in the browser. Only a role that holds a permission that writes may have a write token.
    pub fn token_terms(self) -> Option<TokenTerms> {
        let writes = Permission::ALL
            .into_iter()
            .any(|p| !p.is_read_only() && self.allows(p));
        match self {
            Self::Pending => None,
            Self::Partner => Some(TokenTerms {
                default_days: 90,
                max_read_days: 366,
                max_write_days: None,
            }),
            r if r.is_admin() => Some(TokenTerms {
                default_days: 30,
                max_read_days: 90,
                max_write_days: None,
            }),
            _ => Some(TokenTerms {
                default_days: 30,
                max_read_days: 180,
                max_write_days: writes.then_some(90),
            }),
        }
    }

    /// The three administrator roles (separation of duties).
    pub fn is_admin(self) -> bool {
        matches!(
            self,
            Self::SystemAdmin | Self::SecurityAdmin | Self::AuditAdmin
        )
    }

    /// The party a user of this role is in a grading case (the state machine checks it).
    pub fn party(self) -> Option<crate::lifecycle::Party> {
        use crate::lifecycle::Party;
        match self {
            Self::CityOfficer => Some(Party::City),
            Self::DistrictOfficer | Self::TownshipOfficer => Some(Party::District),
            Self::EnterpriseManager => Some(Party::Enterprise),
            Self::EvaluationOrg | Self::Evaluator => Some(Party::Evaluator),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionRequirement {
    Required,
    Optional,
    None,
}

/// What business data a user may see. Built only from a signed-in user; every store function
/// that reads business data takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole city.
    City,
    /// A district or zone, with every earlier code that leads to it (after a merger).
    Region { codes: Vec<String> },
    /// One township within a district.
    Township {
        codes: Vec<String>,
        township: String,
    },
    /// One enterprise.
    Enterprise { id: i64 },
    /// An evaluation organisation: the cases assigned to it, and their enterprises.
    Org { id: i64 },
    /// No business data at all (administrators, evaluation organisations before assignment).
    Nothing,
}

impl Scope {
    /// The scope of a user from their role and their assignment.
    pub fn of(
        role: Role,
        region: Option<&str>,
        township: Option<&str>,
        enterprise_id: Option<i64>,
        org_id: Option<i64>,
        regions: &RegionBook,
    ) -> Scope {
        if let (Role::EvaluationOrg | Role::Evaluator, Some(id)) = (role, org_id) {
            return Scope::Org { id };
        }
        match (role, region, township, enterprise_id) {
            (Role::CityOfficer, _, _, _) => Scope::City,
            (Role::DistrictOfficer, Some(r), _, _) => Scope::Region {
                codes: regions.lineage(r),
            },
            (Role::TownshipOfficer, Some(r), Some(t), _) => Scope::Township {
                codes: regions.lineage(r),
                township: t.to_string(),
            },
            (Role::Partner, Some(r), _, _) => Scope::Region {
                codes: regions.lineage(r),
            },
            (Role::Partner, None, _, _) => Scope::City,
            (Role::EnterpriseManager, _, _, Some(id)) => Scope::Enterprise { id },
            _ => Scope::Nothing,
        }
    }

    /// The part of this scope within one region (a token limited to a district). Never wider
    /// than `self`.
    pub fn narrow_to_region(self, code: &str, regions: &RegionBook) -> Scope {
        match self {
            Scope::City => Scope::Region {
                codes: regions.lineage(code),
            },
            Scope::Region { codes } => {
                if codes.iter().any(|c| c == code) {
                    let narrowed: Vec<String> = regions
                        .lineage(code)
                        .into_iter()
                        .filter(|c| codes.contains(c))
                        .collect();
                    Scope::Region { codes: narrowed }
                } else {
                    Scope::Nothing
                }
            }
            Scope::Township { codes, township } => {
                if codes.iter().any(|c| c == code) {
                    Scope::Township { codes, township }
                } else {
                    Scope::Nothing
                }
            }
            other => other,
        }
    }

    /// Whether a record of this region (and township) lies within the scope.
    pub fn covers_region(&self, region_code: &str, township: Option<&str>) -> bool {
        match self {
            Scope::City => true,
            Scope::Region { codes } => codes.iter().any(|c| c == region_code),
            Scope::Township { codes, township: t } => {
                codes.iter().any(|c| c == region_code) && township == Some(t.as_str())
            }
            Scope::Enterprise { .. } | Scope::Org { .. } | Scope::Nothing => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::ReferenceData;

    #[test]
    fn scopes_follow_role_and_region() {
        let r = ReferenceData::embedded().expect("valid").regions;
        assert_eq!(
            Scope::of(Role::CityOfficer, None, None, None, None, &r),
            Scope::City
        );
        let s = Scope::of(Role::DistrictOfficer, Some("320613"), None, None, None, &r);
        assert!(s.covers_region("320611", None));
        assert!(!s.covers_region("320612", None));
        assert_eq!(
            Scope::of(Role::DistrictOfficer, None, None, None, None, &r),
            Scope::Nothing
        );
        assert_eq!(
            Scope::of(Role::SystemAdmin, Some("320613"), None, None, None, &r),
            Scope::Nothing
        );
        let t = Scope::of(
            Role::TownshipOfficer,
            Some("320682"),
            Some("城南街道"),
            None,
            None,
            &r,
        );
        assert!(t.covers_region("320682", Some("城南街道")));
        assert!(!t.covers_region("320682", Some("如城街道")));
        assert_eq!(
            Scope::of(Role::EnterpriseManager, None, None, Some(7), None, &r),
            Scope::Enterprise { id: 7 }
        );
        // A token's region narrows, never widens.
        let narrowed = Scope::City.narrow_to_region("320682", &r);
        assert!(narrowed.covers_region("320682", None));
        assert!(!narrowed.covers_region("320685", None));
        let district = Scope::of(Role::DistrictOfficer, Some("320682"), None, None, None, &r);
        assert_eq!(district.narrow_to_region("320685", &r), Scope::Nothing);
        assert_eq!(
            Scope::of(Role::Evaluator, None, None, None, Some(3), &r),
            Scope::Org { id: 3 }
        );
        assert_eq!(
            Scope::of(Role::Evaluator, None, None, None, None, &r),
            Scope::Nothing
        );
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        // The three administrators read no business data.
        for admin in [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
            assert!(!admin.allows(Permission::ViewEnterprises));
        }
        assert!(Role::DistrictOfficer.allows(Permission::ImportEnterprises));
        assert!(!Role::TownshipOfficer.allows(Permission::ImportEnterprises));
        assert!(!Role::EnterpriseManager.allows(Permission::OverrideCreditCode));
        // Separation of duties: each administrator permission belongs to exactly one role.
        for p in [
            Permission::ManageAccounts,
            Permission::ManageGrants,
            Permission::ViewAuditLog,
        ] {
            let holders: Vec<_> = Role::ALL.into_iter().filter(|r| r.allows(p)).collect();
            assert_eq!(holders.len(), 1, "{p:?}");
            assert!(holders[0].is_admin());
        }
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.key()), Some(p));
        }
    }
}

#[cfg(test)]
mod token_terms_tests {
    use super::*;

    #[test]
    fn only_roles_that_write_get_write_tokens_and_no_token_lives_past_a_year() {
        for role in Role::ALL {
            let Some(t) = role.token_terms() else {
                assert_eq!(role, Role::Pending);
                continue;
            };
            let writes = Permission::ALL
                .into_iter()
                .any(|p| !p.is_read_only() && role.allows(p));
            assert_eq!(
                t.max_write_days.is_some(),
                writes && !role.is_admin(),
                "{role:?}"
            );
            assert!(t.max_read_days <= 366 && t.default_days <= t.max_read_days);
            assert!(t.max_write_days.is_none_or(|w| w <= t.max_read_days));
        }
        let officer = Role::DistrictOfficer.token_terms().expect("terms");
        assert!(officer.check(Role::DistrictOfficer, 90, true).is_ok());
        assert!(officer.check(Role::DistrictOfficer, 91, true).is_err());
        assert!(officer.check(Role::DistrictOfficer, 0, false).is_err());
        let partner = Role::Partner.token_terms().expect("terms");
        let e = partner
            .check(Role::Partner, 30, true)
            .expect_err("read-only");
        assert!(e.contains("只能只读"), "{e}");
    }
}
