//! Printable documents. The certificate is an A4 PDF drawn with krilla: the CJK font is
//! embedded (subset to the glyphs used) so it prints the same everywhere, and a QR code opens
//! the public verification page.

mod card;
mod certificate;
mod document;
mod draw;
mod font;
mod map;
mod qr;

pub use card::{CardSheet, Paper, card_pdf};
pub use certificate::{CertificateSheet, certificate_pdf};
pub use document::document_pdf;
pub use font::{CjkFont, DEFAULT_FONT_PATHS};
pub use map::{MapMark, MapSheet, map_pdf};
pub use qr::qr_modules;

/// Why a document could not be produced. The messages are shown to users as they are.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error(
        "未找到可用的中文字体（已查找：{0}）；请安装 fonts-wqy-microhei 或用 --cjk-font 指定字体文件"
    )]
    NoFont(String),
    #[error("字体文件 {path} 无法使用：{reason}")]
    BadFont { path: String, reason: String },
    #[error("二维码生成失败：{0}")]
    Qr(String),
    #[error("PDF 生成失败：{0}")]
    Pdf(String),
}
