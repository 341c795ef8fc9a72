//! The sign-in policy: password strength and lock-out after failed attempts.

/// How strong a password must be and when failed attempts lock an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInPolicy {
    /// Minimum length in characters.
    pub min_len: usize,
    /// Of upper case, lower case, digit and symbol, how many kinds a password must mix.
    pub min_classes: usize,
    /// Failed attempts in a row that lock the account.
    pub max_failures: i32,
    /// How long a lock lasts.
    pub lock_minutes: i64,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        Self {
            min_len: 8,
            min_classes: 3,
            max_failures: 5,
            lock_minutes: 15,
        }
    }
}

impl SignInPolicy {
    /// Checks a new password; the error is a message for the user.
    pub fn check_password(&self, password: &str, username: &str) -> Result<(), String> {
        let requirement = format!(
            "密码至少{}位，且须包含大写字母、小写字母、数字、符号中的至少{}类",
            self.min_len, self.min_classes
        );
        if password.chars().count() < self.min_len {
            return Err(requirement);
        }
        if password
            .chars()
            .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err("密码不能包含空格或控制字符".into());
        }
        let classes = [
            password.chars().any(|c| c.is_ascii_uppercase()),
            password.chars().any(|c| c.is_ascii_lowercase()),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_ascii_alphanumeric()),
        ]
        .into_iter()
        .filter(|b| *b)
        .count();
        if classes < self.min_classes {
            return Err(requirement);
        }
        if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
            return Err("密码不能包含用户名".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_rules() {
        let p = SignInPolicy::default();
        assert!(p.check_password("Demo@2018", "city").is_ok());
        assert!(p.check_password("abcDEF12", "x").is_ok());
        // Seven characters.
        assert!(p.check_password("aB3$xyz", "x").is_err());
        // Two classes only.
        assert!(p.check_password("abcdefgh12", "x").is_err());
        assert!(p.check_password("ABCDEFGH!!", "x").is_err());
        // Contains the username.
        assert!(p.check_password("Rugao@2018", "rugao").is_err());
        assert!(p.check_password("Abc 12345", "x").is_err());
        let lax = SignInPolicy {
            min_classes: 2,
            ..p
        };
        assert!(lax.check_password("abcdefgh12", "x").is_ok());
    }
}
