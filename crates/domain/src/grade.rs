//! The grades an enterprise can hold: 一级, 二级, 三级 and 小微达标 (which has no level).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 一级, the highest.
    One,
    Two,
    Three,
    /// 小微企业达标: no level, decided by the district.
    SmallMicro,
}

impl Grade {
    pub const ALL: [Grade; 4] = [Self::One, Self::Two, Self::Three, Self::SmallMicro];

    pub fn key(self) -> &'static str {
        match self {
            Self::One => "one",
            Self::Two => "two",
            Self::Three => "three",
            Self::SmallMicro => "small_micro",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL.into_iter().find(|g| {
            g.key() == s
                || g.label() == s
                || g.roman() == Some(s)
                || g.ascii_roman() == Some(s)
                || (s == "小微" && *g == Self::SmallMicro)
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::One => "一级",
            Self::Two => "二级",
            Self::Three => "三级",
            Self::SmallMicro => "小微达标",
        }
    }

    /// The Roman numeral on certificates (U+2160…U+2162).
    pub fn roman(self) -> Option<&'static str> {
        match self {
            Self::One => Some("Ⅰ"),
            Self::Two => Some("Ⅱ"),
            Self::Three => Some("Ⅲ"),
            Self::SmallMicro => None,
        }
    }

    /// The numeral as people type it.
    pub fn ascii_roman(self) -> Option<&'static str> {
        match self {
            Self::One => Some("I"),
            Self::Two => Some("II"),
            Self::Three => Some("III"),
            Self::SmallMicro => None,
        }
    }

    /// 一级 ranks above 二级 above 三级; 小微达标 ranks with none of them.
    pub fn is_level(self) -> bool {
        self != Self::SmallMicro
    }

    /// The next level down (一级 → 二级 → 三级), for a result below the level applied for.
    pub fn lower(self) -> Option<Self> {
        match self {
            Self::One => Some(Self::Two),
            Self::Two => Some(Self::Three),
            Self::Three | Self::SmallMicro => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling() {
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.key()), Some(g));
            assert_eq!(Grade::parse(g.label()), Some(g));
        }
        assert_eq!(Grade::parse("Ⅲ"), Some(Grade::Three));
        assert_eq!(Grade::parse("II"), Some(Grade::Two));
        assert_eq!(Grade::parse("小微"), Some(Grade::SmallMicro));
        assert_eq!(Grade::parse("四级"), None);
        assert!(Grade::One < Grade::Two);
        assert_eq!(Grade::One.lower(), Some(Grade::Two));
    }
}
