//! Text normalisation shared by every parser: full-width to half-width, trimming.

/// Converts full-width ASCII variants (U+FF01..U+FF5E) and the ideographic space to their
/// half-width forms. Other characters are kept as they are.
/// The longest free texts the system keeps, in characters, by kind: a name or title, a short
/// note or reason, a description of what was found, a long account (facts, findings, a
/// report), a document body (a bulletin).
pub mod limits {
    pub const TITLE: usize = 100;
    pub const NOTE: usize = 500;
    pub const DESCRIPTION: usize = 1_000;
    pub const ACCOUNT: usize = 5_000;
    pub const DOCUMENT: usize = 50_000;
}

/// `None` when `s` is within `max` characters, else the refusal in words naming `what`.
pub fn over_limit(what: &str, s: &str, max: usize) -> Option<String> {
    let n = s.chars().count();
    (n > max).then(|| format!("{what}不能超过 {max} 字（现有 {n} 字）"))
}

pub fn to_half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Half-width, trimmed (including ideographic and no-break spaces), inner whitespace runs kept.
pub fn clean(s: &str) -> String {
    strip_controls(&to_half_width(s))
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{a0}')
        .to_string()
}

/// Whether a text says nothing a reader could see: only spaces, zero-width characters or the
/// replacement character a browser sends for bytes that were not text. A reason, a basis or a
/// note that is blank in this sense is not given.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(|c| {
        c.is_whitespace()
            || c.is_control()
            || matches!(
                c,
                '\u{200b}'..='\u{200f}' | '\u{2060}' | '\u{feff}' | '\u{a0}' | '\u{fffd}'
            )
    })
}

/// Control characters never belong in a name, an address or a search (PostgreSQL cannot
/// even store NUL): line breaks and tabs become spaces, the rest are dropped.
pub fn strip_controls(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            // Bidirectional embeddings, overrides and isolates turn what is shown around.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => None,
            c => Some(c),
        })
        .collect()
}

/// Removes all whitespace: used to compare headers and names written with stray spaces.
pub fn squeeze(s: &str) -> String {
    to_half_width(s)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect()
}

/// Percent-encodes everything but unreserved ASCII (for query strings and file names).
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_text_over_its_limit_is_refused_with_both_lengths() {
        assert_eq!(super::over_limit("说明", "一二三", 3), None);
        assert_eq!(
            super::over_limit("说明", "一二三四", 3).as_deref(),
            Some("说明不能超过 3 字（现有 4 字）")
        );
    }

    use super::*;

    #[test]
    fn direction_overrides_are_dropped_from_what_is_stored() {
        assert_eq!(clean("abc\u{202e}fdp.exe"), "abcfdp.exe");
        assert_eq!(strip_controls("甲\u{2067}乙\u{2069}"), "甲乙");
    }

    #[test]
    fn a_text_of_invisible_characters_is_blank_and_one_visible_character_is_not() {
        assert!(is_blank(""));
        assert!(is_blank(" \u{200b}\u{200b}\u{feff}\u{3000}"));
        assert!(is_blank("\u{fffd}\u{fffd}"));
        assert!(!is_blank("\u{200b}误"));
        assert!(!is_blank("x"));
    }

    #[test]
    fn full_width_becomes_half_width() {
        assert_eq!(to_half_width("９１３２０６８２ＡＢ"), "91320682AB");
        assert_eq!(to_half_width("（万元）"), "(万元)");
        assert_eq!(clean("\u{3000} 南通 \u{feff}"), "南通");
        assert_eq!(squeeze(" 单位 名称 "), "单位名称");
        assert_eq!(clean("南通\u{0}甲厂\u{97}\n有限公司"), "南通甲厂 有限公司");
    }
}

/// Letters and digits of a text, half-width and lower case: what name search compares.
fn search_chars(s: &str) -> Vec<char> {
    to_half_width(s)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The overlapping character pairs of a name, space-separated ("南通恒力" → "南通 通恒 恒力"), for
/// the full-text index behind name search. Punctuation and spaces are left out.
pub fn name_grams(name: &str) -> String {
    let c = search_chars(name);
    c.windows(2)
        .map(|w| w.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The pairs a search term must contain in sequence, or `None` when the term has fewer than two
/// letters or digits (then only a scan can answer it).
pub fn query_grams(q: &str) -> Option<Vec<String>> {
    let c = search_chars(q);
    (c.len() >= 2).then(|| c.windows(2).map(|w| w.iter().collect()).collect())
}

#[cfg(test)]
mod gram_tests {
    use super::*;

    #[test]
    fn grams() {
        assert_eq!(name_grams("南通（恒力）ＡＢ"), "南通 通恒 恒力 力a ab");
        assert_eq!(name_grams("甲"), "");
        assert_eq!(
            query_grams("恒力）机"),
            Some(vec!["恒力".to_string(), "力机".to_string()])
        );
        assert_eq!(query_grams("机"), None);
        assert_eq!(query_grams("%_"), None);
    }
}
