//! People by name and office: the logins that decisions and records keep, as pages show them
//! ("王建国（如皋市）"), never a login or a command-line account.

use std::collections::HashMap;

use anbiao_domain::Role;
use anbiao_store::account;

use crate::ctx::Ctx;
use crate::error::ActionError;

/// The people behind a page's logins.
#[derive(Debug, Clone, Default)]
pub struct People {
    words: HashMap<String, String>,
}

impl People {
    /// A login in words: the person's name and office, or what the system account stands for.
    pub fn name(&self, login: &str) -> String {
        let login = login.trim();
        if let Some(w) = self.words.get(login) {
            return w.clone();
        }
        match login {
            "" => String::new(),
            "system" | "系统任务" | "job" => "系统自动任务".into(),
            "demo" | "seed" => "初始数据导入".into(),
            l if l.starts_with("cli:") => "系统管理员（命令行）".into(),
            l => l.to_string(),
        }
    }

    /// Several logins, as a list in words (`zf01,zf07` → `王建国、李敏`).
    pub fn names(&self, logins: &str) -> String {
        logins
            .split([',', '，', '、'])
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| self.short(l))
            .collect::<Vec<_>>()
            .join("、")
    }

    /// The name alone (lists of officers, where the office is the page's).
    pub fn short(&self, login: &str) -> String {
        let full = self.name(login);
        match full.split_once('（') {
            Some((name, _)) if self.words.contains_key(login.trim()) => name.to_string(),
            _ => full,
        }
    }
}

impl Ctx<'_> {
    /// The people behind `logins` (any login the actor's pages show: the actor sees their
    /// records already; only names and offices are read).
    pub async fn people<'a>(
        &self,
        logins: impl IntoIterator<Item = &'a str>,
    ) -> Result<People, ActionError> {
        let wanted: Vec<String> = logins
            .into_iter()
            .flat_map(|l| l.split([',', '，', '、']))
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty() && !l.starts_with("cli:"))
            .collect();
        let found = account::people(self.db, &wanted).await?;
        let words = found
            .into_iter()
            .map(|p| {
                let office = office(self, &p);
                // A display name that names its office already (如皋市应急管理局 陈科员) reads alone.
                let place = office.trim_end_matches(['市', '区', '县']);
                let named = (!place.is_empty() && p.display_name.contains(place))
                    || p.township
                        .as_deref()
                        .is_some_and(|t| !t.is_empty() && p.display_name.contains(t));
                let w = if office.is_empty() || named {
                    p.display_name.clone()
                } else {
                    format!("{}（{office}）", p.display_name)
                };
                (p.username, w)
            })
            .collect();
        Ok(People { words })
    }
}

/// Where a person works, as the reference data names it.
fn office(cx: &Ctx<'_>, p: &account::Person) -> String {
    let region = p
        .region_code
        .as_deref()
        .and_then(|c| cx.reference.regions.get(c))
        .map(|r| r.name.clone());
    match Role::parse(&p.role) {
        Some(Role::CityOfficer) => cx.reference.regions.city_name.clone(),
        Some(Role::DistrictOfficer) => region.unwrap_or_default(),
        Some(Role::TownshipOfficer) => match (region, &p.township) {
            (Some(r), Some(t)) => format!("{r}{t}"),
            (r, t) => r.or(t.clone()).unwrap_or_default(),
        },
        Some(r) => r.label().to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_accounts_read_as_what_they_stand_for() {
        let mut p = People::default();
        p.words.insert("zf01".into(), "王建国（如皋市）".into());
        assert_eq!(p.name("zf01"), "王建国（如皋市）");
        assert_eq!(p.short("zf01"), "王建国");
        assert_eq!(p.names("zf01, zf99"), "王建国、zf99");
        assert_eq!(p.name("cli:root"), "系统管理员（命令行）");
        assert_eq!(p.name("系统任务"), "系统自动任务");
        assert_eq!(p.short("cli:root"), "系统管理员（命令行）");
    }
}
