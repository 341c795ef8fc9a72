//! Text normalisation shared by every parser: full-width to half-width, trimming.

/// Converts full-width ASCII variants (U+FF01..U+FF5E) and the ideographic space to their
/// half-width forms. Other characters are kept as they are.
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
    to_half_width(s)
        .trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{a0}')
        .to_string()
}

/// Removes all whitespace: used to compare headers and names written with stray spaces.
pub fn squeeze(s: &str) -> String {
    to_half_width(s)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_becomes_half_width() {
        assert_eq!(to_half_width("９１３２０６８２ＡＢ"), "91320682AB");
        assert_eq!(to_half_width("（万元）"), "(万元)");
        assert_eq!(clean("\u{3000} 南通 \u{feff}"), "南通");
        assert_eq!(squeeze(" 单位 名称 "), "单位名称");
    }
}
