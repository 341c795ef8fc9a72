//! A plain A4 document (a 通报, a notice): a centred title, a line under it, then paragraphs
//! wrapped to the margins, over as many pages as they need.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::Point;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};

use crate::{CjkFont, PrintError};

const A4_W: f32 = 595.28;
const A4_H: f32 = 841.89;
const MARGIN: f32 = 72.0;
const BODY: f32 = 14.0;
const LEAD: f32 = 26.0;

/// Draws `title`, `subtitle` and the paragraphs of `body` (one per line of text).
pub fn document_pdf(
    font: &CjkFont,
    title: &str,
    subtitle: &str,
    body: &str,
) -> Result<Vec<u8>, PrintError> {
    let kfont = Font::new(font.data.as_ref().clone().into(), font.index)
        .ok_or_else(|| PrintError::Pdf(format!("字体 {} 无法嵌入", font.path.display())))?;
    let settings =
        || PageSettings::from_wh(A4_W, A4_H).ok_or_else(|| PrintError::Pdf("页面尺寸无效".into()));
    let max = A4_W - 2.0 * MARGIN;
    // Lay out every line first: (text, size, x, centred).
    let mut lines: Vec<(String, f32, bool)> = Vec::new();
    for l in font.wrap(title, 20.0, max) {
        lines.push((l, 20.0, true));
    }
    if !subtitle.is_empty() {
        lines.push((subtitle.to_string(), 11.0, true));
    }
    lines.push((String::new(), BODY, false));
    for para in body.lines() {
        let para = para.trim_end();
        if para.is_empty() {
            lines.push((String::new(), BODY, false));
            continue;
        }
        for l in font.wrap(para, BODY, max) {
            lines.push((l, BODY, false));
        }
    }
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(title.to_string())
            .language("zh-CN".into())
            .creator("anbiao".into()),
    );
    let per_page = ((A4_H - 2.0 * MARGIN) / LEAD).floor() as usize;
    let fill = Fill {
        paint: rgb::Color::new(20, 20, 20).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    };
    let pages: Vec<&[(String, f32, bool)]> = lines.chunks(per_page.max(1)).collect();
    let total = pages.len();
    for (n, chunk) in pages.into_iter().enumerate() {
        let mut page = doc.start_page_with(settings()?);
        let mut s = page.surface();
        s.set_fill(Some(fill.clone()));
        for (i, (text, size, centred)) in chunk.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            let y = MARGIN + LEAD * (i as f32 + 1.0);
            let x = if *centred {
                (A4_W - font.width(text, *size)) / 2.0
            } else {
                MARGIN
            };
            s.draw_text(
                Point::from_xy(x, y),
                kfont.clone(),
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        let folio = format!("第 {} 页，共 {} 页", n + 1, total);
        s.draw_text(
            Point::from_xy((A4_W - font.width(&folio, 9.0)) / 2.0, A4_H - 36.0),
            kfont.clone(),
            9.0,
            &folio,
            false,
            TextDirection::Auto,
        );
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_documents_run_over_pages_with_folios() {
        let font = CjkFont::load(None).expect("a CJK font must be installed (fonts-wqy-microhei)");
        let body = "各地要对照任务分配表逐项排出计划，按期完成。\n".repeat(60);
        let pdf = document_pdf(
            &font,
            "关于样板地区建设进展情况的通报",
            "截至 2019-12-31",
            &body,
        )
        .expect("pdf");
        let text = String::from_utf8_lossy(&pdf);
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(
            text.matches("/Type/Page/").count() >= 3,
            "60 paragraphs need several pages"
        );
        assert!(text.contains("/FontFile2") || text.contains("/FontFile3"));
    }
}
