//! The A4 certificate (安全生产标准化证书).

use krilla::Document;
use krilla::action::{Action, LinkAction};
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::geom::Rect;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::Font;

use crate::draw::{GREY, INK, Writer};
use crate::{CjkFont, PrintError, qr_modules};

/// What a certificate shows; every string is final text (dates already written out in
/// Chinese), so the layout decides nothing about the rules.
#[derive(Debug, Clone)]
pub struct CertificateSheet {
    /// The level line under the title, e.g. "三级企业（机械）" or "小微企业".
    pub headline: String,
    pub enterprise_name: String,
    pub credit_code: String,
    /// The sentence stating the decision, e.g. "经评审，符合安全生产标准化三级企业要求，特发此证。"
    pub statement: String,
    pub number: String,
    /// "2018年12月31日至2021年12月30日"
    pub validity: String,
    pub issuer: String,
    pub issued_on: String,
    /// The public verification page the QR code opens.
    pub verify_url: String,
    /// Printed in red above the title when the certificate is no longer valid.
    pub status_note: Option<String>,
}

const A4_W: f32 = 595.28;
const A4_H: f32 = 841.89;
const MARGIN: f32 = 84.0;
const RED: (u8, u8, u8) = (160, 24, 24);

/// Draw the certificate as a one-page A4 PDF.
pub fn certificate_pdf(font: &CjkFont, sheet: &CertificateSheet) -> Result<Vec<u8>, PrintError> {
    let kfont = Font::new(font.data.as_ref().clone().into(), font.index)
        .ok_or_else(|| PrintError::Pdf(format!("字体 {} 无法嵌入", font.path.display())))?;
    let page_settings =
        PageSettings::from_wh(A4_W, A4_H).ok_or_else(|| PrintError::Pdf("页面尺寸无效".into()))?;
    let (qr_width, modules) = qr_modules(&sheet.verify_url)?;

    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("安全生产标准化证书 {}", sheet.number))
            .language("zh-CN".into())
            .creator("anbiao".into()),
    );
    let mut page = doc.start_page_with(page_settings);
    let qr_box = Rect::from_xywh(MARGIN, 620.0, 112.0, 112.0)
        .ok_or_else(|| PrintError::Pdf("二维码位置无效".into()))?;
    {
        let mut s = page.surface();
        let mut w = Writer {
            s: &mut s,
            font: kfont,
            metrics: font,
            page_w: A4_W,
            page_h: A4_H,
            margin: MARGIN,
        };
        w.frame(RED);
        if let Some(note) = &sheet.status_note {
            w.centered(note, 96.0, 18.0, RED);
        }
        w.centered("安全生产标准化", 170.0, 40.0, RED);
        w.centered(&sheet.headline, 228.0, 28.0, RED);

        let mut y = 310.0;
        y = w.field("企业名称", &sheet.enterprise_name, y);
        y = w.field("统一社会信用代码", &sheet.credit_code, y);
        y += 12.0;
        y = w.paragraph(
            &format!("\u{3000}\u{3000}{}", sheet.statement),
            y,
            16.0,
            INK,
        );
        y += 18.0;
        y = w.field("证书编号", &sheet.number, y);
        w.field("有效期", &sheet.validity, y);

        w.right(&sheet.issuer, 660.0, 16.0, INK);
        w.right(&sheet.issued_on, 690.0, 16.0, INK);

        w.qr(qr_box, qr_width, &modules);
        w.text("扫码核验证书真伪", MARGIN, 748.0, 9.0, GREY);
        let url_lines = w.wrap(&sheet.verify_url, 7.0, 240.0);
        for (i, line) in url_lines.iter().enumerate() {
            w.text(line, MARGIN, 760.0 + 9.0 * i as f32, 7.0, GREY);
        }
        w.centered("本证书真伪及当前状态以扫码核验结果为准", 792.0, 8.0, GREY);
        s.finish();
    }
    page.add_annotation(Annotation::new_link(
        LinkAnnotation::new(
            qr_box,
            Target::Action(Action::Link(LinkAction::new(sheet.verify_url.clone()))),
        ),
        Some("证书核验页".into()),
    ));
    page.finish();
    doc.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet() -> CertificateSheet {
        CertificateSheet {
            headline: "三级企业（机械）".into(),
            enterprise_name: "南通市通州区某某精密机械制造有限公司".into(),
            credit_code: "91320612MA1MXXXX0X".into(),
            statement: "经评审，该单位符合安全生产标准化三级企业要求，特发此证。".into(),
            number: "苏AQBJXⅢ201800001".into(),
            validity: "2018年12月31日至2021年12月30日".into(),
            issuer: "南通市安全生产监督管理局".into(),
            issued_on: "2018年12月31日".into(),
            verify_url: "https://anbiao.example.cn/verify/AbCdEf0123456789".into(),
            status_note: None,
        }
    }

    #[test]
    fn certificate_is_a4_pdf_with_embedded_font_and_link() {
        let Ok(font) = CjkFont::load(None) else {
            panic!("a CJK font must be installed for this test (fonts-wqy-microhei)");
        };
        let pdf = certificate_pdf(&font, &sheet()).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/MediaBox[0 0 595.28 841.89]"), "A4 page");
        assert!(
            text.contains("/FontFile2") || text.contains("/FontFile3"),
            "font embedded"
        );
        assert!(text.contains("/URI(https://anbiao.example.cn/verify/AbCdEf0123456789)"));
        // Subset: the whole collection is several MB, the document a few dozen KB.
        assert!(pdf.len() < 400_000, "{} bytes", pdf.len());
    }

    #[test]
    fn long_names_wrap_inside_the_margins() {
        let Ok(font) = CjkFont::load(None) else {
            panic!("a CJK font must be installed for this test (fonts-wqy-microhei)");
        };
        let mut doc = Document::new();
        let mut page = doc.start_page_with(PageSettings::from_wh(A4_W, A4_H).expect("a4"));
        let mut s = page.surface();
        let kfont = Font::new(font.data.as_ref().clone().into(), 0).expect("font");
        let w = Writer {
            s: &mut s,
            font: kfont,
            metrics: &font,
            page_w: A4_W,
            page_h: A4_H,
            margin: MARGIN,
        };
        let name = "南通".repeat(30);
        let max = A4_W - 2.0 * MARGIN;
        let lines = w.wrap(&name, 16.0, max);
        assert!(lines.len() >= 3);
        assert_eq!(lines.concat(), name, "nothing lost");
        for l in &lines {
            assert!(font.width(l, 16.0) <= max);
        }
    }

    #[test]
    fn qr_decodes_to_the_verification_url() {
        let url = sheet().verify_url;
        let (width, modules) = qr_modules(&url).expect("qr");
        // Draw at 4 px per module with a 4-module quiet zone, as a scanner would see it.
        let (px, quiet) = (4usize, 4usize);
        let side = (width + 2 * quiet) * px;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let (mx, my) = (x / px, y / px);
            if mx < quiet || my < quiet || mx >= width + quiet || my >= width + quiet {
                return 255;
            }
            if modules[(my - quiet) * width + (mx - quiet)] {
                0
            } else {
                255
            }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().expect("decodes");
        assert_eq!(content, url);
    }

    #[test]
    fn a_file_that_is_not_a_font_is_refused_in_chinese() {
        let dir = std::env::temp_dir().join(format!("anbiao-font-{}", std::process::id()));
        std::fs::write(&dir, b"not a font").expect("write");
        let err = CjkFont::load(Some(&dir)).expect_err("refused");
        std::fs::remove_file(&dir).ok();
        assert!(err.to_string().contains("不是字体文件"), "{err}");
    }
}
