//! The four-colour distribution map (安全风险四色分布图): a site or workshop plan on an A4
//! landscape page with each risk point drawn in its level's colour (a disc for a point, a
//! translucent area for a polygon), numbered, with the legend and the numbered list beneath.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::Font;

use crate::draw::{GREY, INK, Writer};
use crate::{CjkFont, PrintError};

/// A point on the map: its number, label, colour and corners (fractions of the plan's width
/// and height; one corner for a point).
#[derive(Debug, Clone)]
pub struct MapMark {
    pub number: usize,
    pub label: String,
    pub colour: (u8, u8, u8),
    pub corners: Vec<(f32, f32)>,
}

/// What a map shows.
#[derive(Debug, Clone)]
pub struct MapSheet {
    pub title: String,
    /// The plan as uploaded (PNG or JPEG) and its size in pixels.
    pub image: Vec<u8>,
    pub png: bool,
    pub width: f32,
    pub height: f32,
    pub marks: Vec<MapMark>,
    /// (level in words, colour), highest first.
    pub legend: Vec<(String, (u8, u8, u8))>,
    pub footer: String,
}

const W: f32 = 841.89;
const H: f32 = 595.28;
const MARGIN: f32 = 36.0;

/// Draws the map on one A4 landscape page, the list of points on following pages as needed.
/// Why a plan could not be printed, for its owner.
const UNREADABLE: &str = "平面图文件已损坏，无法生成分布图，请重新上传平面图";

pub fn map_pdf(font: &CjkFont, sheet: &MapSheet) -> Result<Vec<u8>, PrintError> {
    let kfont = Font::new(font.data.as_ref().clone().into(), font.index)
        .ok_or_else(|| PrintError::Pdf(format!("字体 {} 无法嵌入", font.path.display())))?;
    let data = sheet.image.clone().into();
    let image = if sheet.png {
        Image::from_png(data, true)
    } else {
        Image::from_jpeg(data, true)
    }
    .map_err(|_| PrintError::Pdf(UNREADABLE.into()))?;
    let settings =
        || PageSettings::from_wh(W, H).ok_or_else(|| PrintError::Pdf("页面尺寸无效".into()));
    // The plan fits the area under the title and above the legend.
    let (top, bottom) = (MARGIN + 30.0, H - MARGIN - 28.0);
    let (aw, ah) = (W - 2.0 * MARGIN, bottom - top);
    let scale = (aw / sheet.width.max(1.0)).min(ah / sheet.height.max(1.0));
    let (iw, ih) = (sheet.width * scale, sheet.height * scale);
    let (ix, iy) = (MARGIN + (aw - iw) / 2.0, top + (ah - ih) / 2.0);
    let size = Size::from_wh(iw, ih).ok_or_else(|| PrintError::Pdf("平面图尺寸无效".into()))?;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(sheet.title.clone())
            .language("zh-CN".into())
            .creator("anbiao".into()),
    );
    let mut page = doc.start_page_with(settings()?);
    {
        let mut s = page.surface();
        let mut wr = Writer {
            s: &mut s,
            font: kfont.clone(),
            metrics: font,
            page_w: W,
            page_h: H,
            margin: MARGIN,
        };
        wr.centered(&sheet.title, MARGIN + 14.0, 16.0, INK);
        wr.s.push_transform(&Transform::from_translate(ix, iy));
        wr.s.draw_image(image, size);
        wr.s.pop();
        for m in &sheet.marks {
            let at = |(x, y): (f32, f32)| (ix + x * iw, iy + y * ih);
            let mut pb = PathBuilder::new();
            if m.corners.len() >= 3 {
                for (i, c) in m.corners.iter().enumerate() {
                    let (x, y) = at(*c);
                    if i == 0 {
                        pb.move_to(x, y);
                    } else {
                        pb.line_to(x, y);
                    }
                }
                pb.close();
            } else if let Some(c) = m.corners.first() {
                disc(&mut pb, at(*c), 7.0);
            }
            if let Some(path) = pb.finish() {
                wr.s.set_stroke(None);
                wr.s.set_fill(Some(Fill {
                    paint: rgb::Color::new(m.colour.0, m.colour.1, m.colour.2).into(),
                    opacity: if m.corners.len() >= 3 {
                        NormalizedF32::new(0.45).unwrap_or(NormalizedF32::ONE)
                    } else {
                        NormalizedF32::ONE
                    },
                    rule: Default::default(),
                }));
                wr.s.draw_path(&path);
            }
            let n = m.corners.len().max(1) as f32;
            let (cx, cy) = m
                .corners
                .iter()
                .fold((0.0, 0.0), |(a, b), (x, y)| (a + x / n, b + y / n));
            let (x, y) = at((cx, cy));
            wr.text(&m.number.to_string(), x + 8.0, y + 4.0, 9.0, INK);
        }
        // The legend.
        let mut x = MARGIN;
        let y = H - MARGIN - 8.0;
        for (label, colour) in &sheet.legend {
            if let Some(r) = Rect::from_xywh(x, y - 9.0, 12.0, 12.0) {
                wr.filled(r, *colour);
            }
            wr.text(label, x + 16.0, y + 1.0, 10.0, INK);
            x += 24.0 + font.width(label, 10.0);
        }
        let foot = &sheet.footer;
        wr.right(foot, H - MARGIN + 10.0, 8.0, GREY);
    }
    page.finish();
    // The numbered list.
    let lines: Vec<String> = sheet
        .marks
        .iter()
        .map(|m| format!("{}. {}", m.number, m.label))
        .collect();
    let per_page = ((H - 2.0 * MARGIN - 30.0) / 16.0).floor().max(1.0) as usize;
    for chunk in lines.chunks(per_page) {
        let mut page = doc.start_page_with(settings()?);
        {
            let mut s = page.surface();
            let mut wr = Writer {
                s: &mut s,
                font: kfont.clone(),
                metrics: font,
                page_w: W,
                page_h: H,
                margin: MARGIN,
            };
            wr.text(
                &format!("{}：风险点一览", sheet.title),
                MARGIN,
                MARGIN + 14.0,
                12.0,
                INK,
            );
            for (i, l) in chunk.iter().enumerate() {
                wr.text(l, MARGIN, MARGIN + 40.0 + 16.0 * i as f32, 10.0, INK);
            }
        }
        page.finish();
    }
    // The plan's pixels are decoded here: a plan stored before uploads were decoded whole can
    // fail now, which is the plan's fault, not the system's.
    doc.finish().map_err(|e| match e {
        krilla::error::KrillaError::Image(..) => PrintError::Pdf(UNREADABLE.into()),
        e => PrintError::Pdf(format!("{e:?}")),
    })
}

/// A disc of radius `r` at `c`, from four cubic curves.
fn disc(pb: &mut PathBuilder, c: (f32, f32), r: f32) {
    let k = 0.552_284_8 * r;
    let (x, y) = c;
    pb.move_to(x + r, y);
    pb.cubic_to(x + r, y + k, x + k, y + r, x, y + r);
    pb.cubic_to(x - k, y + r, x - r, y + k, x - r, y);
    pb.cubic_to(x - r, y - k, x - k, y - r, x, y - r);
    pb.cubic_to(x + k, y - r, x + r, y - k, x + r, y);
    pb.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 200 × 100 white PNG.
    fn png() -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, 200, 100);
            enc.set_color(png::ColorType::Grayscale);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().expect("header");
            w.write_image_data(&[255u8; 200 * 100]).expect("data");
        }
        out
    }

    #[test]
    fn the_map_draws_the_plan_with_its_points_and_lists_them() {
        let font = CjkFont::load(None).expect("a CJK font must be installed (fonts-wqy-microhei)");
        let sheet = MapSheet {
            title: "南通恒泰机械有限公司 厂区总平面图 安全风险四色分布图".into(),
            image: png(),
            png: true,
            width: 200.0,
            height: 100.0,
            marks: vec![
                MapMark {
                    number: 1,
                    label: "冲压车间 250吨冲床（较大风险）".into(),
                    colour: (0xf2, 0x8e, 0x2b),
                    corners: vec![(0.3, 0.4)],
                },
                MapMark {
                    number: 2,
                    label: "喷漆房（较大风险）".into(),
                    colour: (0xd7, 0x19, 0x1c),
                    corners: vec![(0.1, 0.1), (0.3, 0.1), (0.3, 0.25), (0.1, 0.25)],
                },
            ],
            legend: vec![("重大风险（红）".into(), (0xd7, 0x19, 0x1c))],
            footer: "2026-12-07 打印".into(),
        };
        let pdf = map_pdf(&font, &sheet).expect("pdf");
        let text = String::from_utf8_lossy(&pdf);
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(
            text.matches("/Type/Page/").count(),
            2,
            "the map and the list"
        );
        assert!(text.contains("/Subtype/Image"), "the plan is embedded");
        assert!(text.contains("841.89"), "landscape A4");
        let mut broken = sheet.clone();
        broken.image = b"\x89PNG\r\n\x1a\nbroken".to_vec();
        assert!(map_pdf(&font, &broken).is_err());
    }
}
