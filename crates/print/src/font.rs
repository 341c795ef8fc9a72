//! The CJK font a document embeds: a configured file, or the first of the usual system
//! locations that holds a face covering Chinese.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::PrintError;

/// Where Debian/Ubuntu, Fedora and common server installs keep a Chinese font, in order of
/// preference. A TrueType collection is read at face 0.
pub const DEFAULT_FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
];

/// A loaded font: its bytes (shared, loaded once) and where they came from.
#[derive(Clone)]
pub struct CjkFont {
    pub(crate) data: Arc<Vec<u8>>,
    pub(crate) index: u32,
    pub path: PathBuf,
}

impl std::fmt::Debug for CjkFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CjkFont")
            .field("path", &self.path)
            .field("bytes", &self.data.len())
            .finish()
    }
}

impl CjkFont {
    /// Load `path`, or search [`DEFAULT_FONT_PATHS`] when none is given.
    pub fn load(path: Option<&Path>) -> Result<Self, PrintError> {
        match path {
            Some(p) => Self::from_file(p),
            None => {
                for p in DEFAULT_FONT_PATHS {
                    if let Ok(f) = Self::from_file(Path::new(p)) {
                        return Ok(f);
                    }
                }
                Err(PrintError::NoFont(DEFAULT_FONT_PATHS.join("、")))
            }
        }
    }

    /// Load one file; it must parse and have glyphs for the characters a certificate uses.
    pub fn from_file(path: &Path) -> Result<Self, PrintError> {
        let bad = |reason: String| PrintError::BadFont {
            path: path.display().to_string(),
            reason,
        };
        let data = std::fs::read(path).map_err(|e| bad(format!("无法读取（{e}）")))?;
        let face =
            ttf_parser::Face::parse(&data, 0).map_err(|e| bad(format!("不是字体文件（{e}）")))?;
        if let Some(missing) = "安全生产标准化证书企业有效期"
            .chars()
            .find(|c| face.glyph_index(*c).is_none())
        {
            return Err(bad(format!("不含汉字“{missing}”的字形")));
        }
        Ok(Self {
            data: Arc::new(data),
            index: 0,
            path: path.to_path_buf(),
        })
    }

    /// Width of `text` at `size` points, from the font's advances (a missing glyph counts one em).
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(face) = ttf_parser::Face::parse(&self.data, self.index) else {
            return text.chars().count() as f32 * size;
        };
        let em = f32::from(face.units_per_em().max(1));
        let units: f32 = text
            .chars()
            .map(|c| {
                face.glyph_index(c)
                    .and_then(|g| face.glyph_hor_advance(g))
                    .map_or(em, f32::from)
            })
            .sum();
        units / em * size
    }

    /// `text` broken into lines no wider than `max` at `size` (between characters: Chinese has
    /// no spaces to break at).
    pub(crate) fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut out = Vec::new();
        let mut line = String::new();
        for c in text.chars() {
            line.push(c);
            if self.width(&line, size) > max && line.chars().count() > 1 {
                line.pop();
                out.push(std::mem::take(&mut line));
                line.push(c);
            }
        }
        if !line.is_empty() {
            out.push(line);
        }
        out
    }

    /// Whether the font draws `c` (else it would print as an empty box).
    pub fn covers(&self, c: char) -> bool {
        ttf_parser::Face::parse(&self.data, self.index)
            .map(|f| c.is_whitespace() || f.glyph_index(c).is_some())
            .unwrap_or(false)
    }
}
