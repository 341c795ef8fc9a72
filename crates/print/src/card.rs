//! A risk card (三卡: 岗位风险告知卡, 应急处置卡, 安全操作卡 or a city's own) for one risk point or
//! post, on one A4 or A5 page: a band in the risk's colour with the card's title, the point, its
//! sections, and a QR code to the card's current version on the portal. Long content is set
//! smaller until it fits the page.

use krilla::Document;
use krilla::action::{Action, LinkAction};
use krilla::annotation::{Annotation, LinkAnnotation, Target};
use krilla::geom::Rect;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::text::Font;

use crate::draw::{GREY, INK, Writer};
use crate::{CjkFont, PrintError, qr_modules};

/// The paper a card is printed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    A4,
    A5,
}

impl Paper {
    /// Width and height in points.
    fn size(self) -> (f32, f32) {
        match self {
            Self::A4 => (595.28, 841.89),
            Self::A5 => (419.53, 595.28),
        }
    }
}

/// What a card shows; every string is final text.
#[derive(Debug, Clone)]
pub struct CardSheet {
    /// The card type's name, e.g. 岗位风险告知卡.
    pub title: String,
    pub enterprise: String,
    /// The point in words: name, kind and place.
    pub point: String,
    /// The level in words, e.g. 较大风险（橙）.
    pub level: String,
    /// The level's colour (the band).
    pub colour: (u8, u8, u8),
    /// (heading, lines) in order.
    pub sections: Vec<(String, Vec<String>)>,
    /// Who is responsible, the version and the day printed.
    pub footer: String,
    /// The portal page of the card's current version.
    pub verify_url: String,
}

/// The smallest body size before content is cut.
const MIN_BODY: f32 = 6.5;

/// Draws the card as a one-page PDF on `paper`.
pub fn card_pdf(font: &CjkFont, sheet: &CardSheet, paper: Paper) -> Result<Vec<u8>, PrintError> {
    let kfont = Font::new(font.data.as_ref().clone().into(), font.index)
        .ok_or_else(|| PrintError::Pdf(format!("字体 {} 无法嵌入", font.path.display())))?;
    let (w, h) = paper.size();
    let settings =
        PageSettings::from_wh(w, h).ok_or_else(|| PrintError::Pdf("页面尺寸无效".into()))?;
    let (qr_width, modules) = qr_modules(&sheet.verify_url)?;
    let margin = (w * 0.07).round();
    let scale = w / 595.28;
    let band_h = 64.0 * scale;
    let qr_side = 84.0 * scale;
    let qr_box = Rect::from_xywh(w - margin - qr_side, h - margin - qr_side, qr_side, qr_side)
        .ok_or_else(|| PrintError::Pdf("二维码位置无效".into()))?;
    let band = Rect::from_xywh(0.0, 0.0, w, band_h)
        .ok_or_else(|| PrintError::Pdf("色带位置无效".into()))?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("{} {}", sheet.title, sheet.point))
            .language("zh-CN".into())
            .creator("anbiao".into()),
    );
    let mut page = doc.start_page_with(settings);
    {
        let mut s = page.surface();
        let mut wr = Writer {
            s: &mut s,
            font: kfont,
            metrics: font,
            page_w: w,
            page_h: h,
            margin,
        };
        wr.filled(band, sheet.colour);
        let (r, g, b) = sheet.colour;
        // Dark text on a light band (yellow), white on the others.
        let light = 0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b) > 160.0;
        let on_band = if light { INK } else { (255, 255, 255) };
        wr.centered(&sheet.title, band_h * 0.62, 26.0 * scale, on_band);
        let mut y = band_h + 30.0 * scale;
        for (label, value) in [
            ("单位", &sheet.enterprise),
            ("风险点", &sheet.point),
            ("风险等级", &sheet.level),
        ] {
            y = head_line(&mut wr, label, value, y, 13.0 * scale);
        }
        y += 6.0 * scale;
        // The sections between here and the QR code, at the largest size that fits.
        let bottom = h - margin - qr_side - 12.0 * scale;
        let mut size = 15.0 * scale;
        let lines = loop {
            let laid = lay_out(&wr, &sheet.sections, size, w - 2.0 * margin);
            let height: f32 = laid.iter().map(|l| l.2).sum();
            if y + height <= bottom || size <= MIN_BODY {
                break laid;
            }
            size = (size - 0.5).max(MIN_BODY);
        };
        let mut cut = false;
        for (text, heading, lead) in &lines {
            if y + lead > bottom {
                cut = true;
                break;
            }
            y += lead;
            let colour = if *heading { sheet.colour_or_ink() } else { INK };
            wr.text(
                text,
                margin,
                y,
                if *heading { size + 1.0 } else { size },
                colour,
            );
        }
        if cut {
            wr.text(
                "（内容较多，未印完部分请扫码查看）",
                margin,
                bottom + 8.0 * scale,
                size,
                GREY,
            );
        }
        let foot = wr.wrap(&sheet.footer, 8.0 * scale, w - 3.0 * margin - qr_side);
        for (i, line) in foot.iter().enumerate() {
            wr.text(
                line,
                margin,
                h - margin - qr_side + 10.0 * scale + 11.0 * scale * i as f32,
                8.0 * scale,
                GREY,
            );
        }
        wr.text(
            "扫码查看本卡最新版本",
            margin,
            h - margin - 2.0,
            8.0 * scale,
            GREY,
        );
        wr.qr(qr_box, qr_width, &modules);
    }
    page.add_annotation(Annotation::new_link(
        LinkAnnotation::new(
            qr_box,
            Target::Action(Action::Link(LinkAction::new(sheet.verify_url.clone()))),
        ),
        Some("风险卡片最新版本".into()),
    ));
    page.finish();
    doc.finish().map_err(|e| PrintError::Pdf(format!("{e:?}")))
}

impl CardSheet {
    /// Headings print in the level's colour unless it is too light to read (yellow).
    fn colour_or_ink(&self) -> (u8, u8, u8) {
        let (r, g, b) = self.colour;
        if 0.299 * f32::from(r) + 0.587 * f32::from(g) + 0.114 * f32::from(b) > 160.0 {
            INK
        } else {
            self.colour
        }
    }
}

/// "label：value" on one line (wrapped under itself); returns the next baseline.
fn head_line(wr: &mut Writer<'_, '_>, label: &str, value: &str, y: f32, size: f32) -> f32 {
    let head = format!("{label}：");
    let head_w = wr.metrics.width(&head, size);
    wr.text(&head, wr.margin, y, size, GREY);
    let max = wr.page_w - 2.0 * wr.margin - head_w;
    let lines = wr.wrap(value, size, max);
    for (i, line) in lines.iter().enumerate() {
        wr.text(
            line,
            wr.margin + head_w,
            y + i as f32 * size * 1.5,
            size,
            INK,
        );
    }
    y + size * 1.5 * lines.len().max(1) as f32
}

/// The sections as printed lines: (text, is heading, the lead before it).
fn lay_out(
    wr: &Writer<'_, '_>,
    sections: &[(String, Vec<String>)],
    size: f32,
    max: f32,
) -> Vec<(String, bool, f32)> {
    let mut out = Vec::new();
    for (heading, lines) in sections {
        out.push((heading.clone(), true, size * 2.0));
        for l in lines {
            for (i, part) in wr
                .wrap(&format!("· {l}"), size, max)
                .into_iter()
                .enumerate()
            {
                let text = if i == 0 { part } else { format!("  {part}") };
                out.push((text, false, size * 1.5));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(lines: usize) -> CardSheet {
        CardSheet {
            title: "岗位风险告知卡".into(),
            enterprise: "南通恒泰机械有限公司".into(),
            point: "冲压车间 250吨冲床（设备设施，二号厂房东侧）".into(),
            level: "较大风险（橙）".into(),
            colour: (0xf2, 0x8e, 0x2b),
            sections: vec![
                (
                    "主要危险有害因素".into(),
                    vec!["双手进入模具区；光电保护装置失效".into()],
                ),
                (
                    "管控措施".into(),
                    (0..lines)
                        .map(|i| format!("第{i}条：光电保护每班点检"))
                        .collect(),
                ),
            ],
            footer: "责任人：陈立新；第 3 版，2026-12-07 打印".into(),
            verify_url: "https://aq.nantong.example/portal/risk-cards/12".into(),
        }
    }

    fn media_box(pdf: &[u8]) -> String {
        let text = String::from_utf8_lossy(pdf);
        let at = text.find("/MediaBox").expect("a page size");
        text[at..at + 40].to_string()
    }

    #[test]
    fn a_card_is_one_page_of_a4_or_a5_with_the_font_embedded() {
        let font = CjkFont::load(None).expect("a CJK font must be installed (fonts-wqy-microhei)");
        for (paper, width) in [(Paper::A4, "595.28"), (Paper::A5, "419.53")] {
            let pdf = card_pdf(&font, &sheet(5), paper).expect("pdf");
            assert!(pdf.starts_with(b"%PDF-"));
            let text = String::from_utf8_lossy(&pdf);
            assert_eq!(text.matches("/Type/Page/").count(), 1);
            assert!(media_box(&pdf).contains(width), "{}", media_box(&pdf));
            assert!(text.contains("/FontFile2") || text.contains("/FontFile3"));
            assert!(text.contains("/portal/risk-cards/12"), "the QR code's link");
        }
    }

    #[test]
    fn long_content_is_set_smaller_and_still_one_page() {
        let font = CjkFont::load(None).expect("font");
        let pdf = card_pdf(&font, &sheet(120), Paper::A5).expect("pdf");
        let text = String::from_utf8_lossy(&pdf);
        assert_eq!(text.matches("/Type/Page/").count(), 1);
    }
}
