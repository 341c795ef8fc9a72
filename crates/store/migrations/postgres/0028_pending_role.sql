-- Separation of duties: an account the system administrator creates holds no role ('pending')
-- until the security administrator grants one.
ALTER TABLE app_user DROP CONSTRAINT app_user_role_check;
ALTER TABLE app_user ADD CONSTRAINT app_user_role_check CHECK (role IN ('city_officer',
    'district_officer', 'township_officer', 'enterprise_manager', 'evaluation_org', 'evaluator',
    'partner', 'system_admin', 'security_admin', 'audit_admin', 'pending'));
