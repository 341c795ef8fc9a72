//! 一图: an enterprise's site plan (总平面图) or a workshop's plan, as an uploaded PNG or JPEG, and
//! where its risk points stand on it (a point or a polygon, in per mille of the plan's width
//! and height, so a placement survives a plan drawn at another size). The four-colour
//! distribution map is the plan with each point in its level's colour.

use crate::hazard;
use crate::text::{self, limits};

/// What a plan shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanKind {
    Site,
    Workshop,
}

impl PlanKind {
    pub fn key(self) -> &'static str {
        match self {
            Self::Site => "site",
            Self::Workshop => "workshop",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Site => "总平面图",
            Self::Workshop => "车间平面图",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "site" => Some(Self::Site),
            "workshop" => Some(Self::Workshop),
            _ => None,
        }
    }
}

/// Why a plan or a placement was refused, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

/// The smallest and largest side of a plan, in pixels.
const MIN_SIDE: usize = 100;
const MAX_SIDE: usize = 12_000;
/// The longest side at most this many times the shortest.
const MAX_RATIO: usize = 10;
/// At most this many pixels (an A3 sheet scanned at 300 dpi has 17.4 million): a plan is
/// decoded whole to check it, and again to print a map.
pub const MAX_PIXELS: usize = 25_000_000;

/// A plan image that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanImage {
    pub content_type: &'static str,
    pub width: i64,
    pub height: i64,
}

/// Checks an uploaded plan: a PNG or JPEG (by its bytes, not its name) no larger than the hazard
/// photos, whose header gives a size within bounds, and whose data decodes to the end (a PNG
/// row by row; a JPEG whole, which the pixel cap bounds). CPU work: call it off the async
/// threads.
pub fn check_image(bytes: &[u8]) -> Result<PlanImage, PlanError> {
    let content_type = hazard::photo_type(bytes).map_err(|e| {
        PlanError(match e {
            hazard::HazardError::NotAnImage => {
                "平面图应为 PNG 或 JPEG 图片（请在绘图软件中导出为图片后上传）".into()
            }
            e => format!("平面图{}", e.to_string().trim_start_matches("照片")),
        })
    })?;
    let size = imagesize::blob_size(bytes)
        .map_err(|_| PlanError("平面图文件已损坏，无法读取图片尺寸".into()))?;
    let (long, short) = (
        size.width.max(size.height),
        size.width.min(size.height).max(1),
    );
    if long / short > MAX_RATIO {
        return Err(PlanError(format!(
            "平面图为 {}×{} 像素，长宽比超过 {MAX_RATIO}:1，请裁去空白后上传",
            size.width, size.height
        )));
    }
    if size.width < MIN_SIDE
        || size.height < MIN_SIDE
        || size.width > MAX_SIDE
        || size.height > MAX_SIDE
    {
        return Err(PlanError(format!(
            "平面图尺寸为 {}×{} 像素，应在 {MIN_SIDE} 至 {MAX_SIDE} 像素之间",
            size.width, size.height
        )));
    }
    if size.width * size.height > MAX_PIXELS {
        return Err(PlanError(format!(
            "平面图为 {}×{} 像素，超过 {} 万像素的上限，请缩小后上传",
            size.width,
            size.height,
            MAX_PIXELS / 10_000
        )));
    }
    if !decodes(bytes, content_type) {
        return Err(PlanError(
            "平面图文件已损坏或不完整，无法显示（请重新导出图片后上传）".into(),
        ));
    }
    Ok(PlanImage {
        content_type,
        width: size.width as i64,
        height: size.height as i64,
    })
}

/// Whether the image's data decodes to the end.
fn decodes(bytes: &[u8], content_type: &str) -> bool {
    if content_type == "image/png" {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_limits(png::Limits {
            bytes: MAX_PIXELS * 8,
        });
        let Ok(mut reader) = decoder.read_info() else {
            return false;
        };
        loop {
            match reader.next_row() {
                Ok(Some(_)) => {}
                Ok(None) => return true,
                Err(_) => return false,
            }
        }
    }
    let mut decoder = zune_jpeg::JpegDecoder::new(std::io::Cursor::new(bytes));
    decoder.decode().is_ok()
}

/// Checks a plan's name.
pub fn check_name(name: &str) -> Result<String, PlanError> {
    let n = text::clean(name);
    if n.is_empty() {
        return Err(PlanError(
            "请填写平面图名称（如 厂区总平面图、冲压车间）".into(),
        ));
    }
    if n.chars().count() > limits::TITLE {
        return Err(PlanError(format!(
            "平面图名称不能超过 {} 个字",
            limits::TITLE
        )));
    }
    Ok(n)
}

/// Where a point stands on a plan: one position (a point) or three or more (a polygon), each
/// (x, y) in per mille of the plan's width and height from its top left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place(pub Vec<(u16, u16)>);

/// The most corners a polygon may have.
const MAX_CORNERS: usize = 40;

impl Place {
    /// Reads a place as written on the form: "35,42" (per cent, one decimal allowed) for a
    /// point, or "10,10 30,10 30,25 10,25" for a polygon.
    pub fn parse(text: &str) -> Result<Place, PlanError> {
        // Full-width commas and semicolons read as half-width ones (coordinates, not Chinese
        // text); spaces around a comma belong to the pair ("35, 42").
        let mut t = text::strip_controls(&text::to_half_width(text)).replace(';', " ");
        while t.contains(" ,") || t.contains(", ") {
            t = t.replace(" ,", ",").replace(", ", ",");
        }
        let mut out = Vec::new();
        for pair in t.split_whitespace() {
            let (x, y) = pair.split_once(',').ok_or_else(|| {
                PlanError(format!(
                    "位置“{}”应写成“横向%,纵向%”，如 35,42",
                    crate::risk::shown(pair)
                ))
            })?;
            out.push((per_mille(x)?, per_mille(y)?));
            if out.len() > MAX_CORNERS {
                return Err(PlanError(format!("多边形至多 {MAX_CORNERS} 个顶点")));
            }
        }
        match out.len() {
            0 => Err(PlanError("请填写风险点在平面图上的位置".into())),
            2 => Err(PlanError(
                "多边形至少需要 3 个顶点；标一个点只写一组坐标".into(),
            )),
            1 => Ok(Place(out)),
            _ if twice_area(&out) == 0 => Err(PlanError(
                "多边形的顶点在一条直线上（面积为零），请检查坐标".into(),
            )),
            _ => Ok(Place(out)),
        }
    }

    /// From a click on the plan shown `shown_w` pixels wide (an image button's `x`, `y`),
    /// refused when outside the plan.
    pub fn from_click(
        x: &str,
        y: &str,
        shown_w: i64,
        width: i64,
        height: i64,
    ) -> Result<Place, PlanError> {
        let outside = || PlanError("点击位置超出平面图范围，请重新点击".into());
        let (x, y) = (
            x.trim().parse::<i64>().map_err(|_| outside())?,
            y.trim().parse::<i64>().map_err(|_| outside())?,
        );
        let shown_h = shown_w * height / width.max(1);
        if !(0..=shown_w).contains(&x) || !(0..=shown_h).contains(&y) || shown_w <= 0 {
            return Err(outside());
        }
        let pm = |v: i64, of: i64| u16::try_from(v * 1000 / of.max(1)).map_err(|_| outside());
        Ok(Place(vec![(pm(x, shown_w)?, pm(y, shown_h)?)]))
    }

    /// As stored: "x,y x,y" in per mille.
    pub fn stored(&self) -> String {
        self.0
            .iter()
            .map(|(x, y)| format!("{x},{y}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A stored place (nothing when it does not read).
    pub fn read(stored: &str) -> Option<Place> {
        let v: Option<Vec<(u16, u16)>> = stored
            .split_whitespace()
            .map(|p| {
                let (x, y) = p.split_once(',')?;
                Some((x.parse().ok()?, y.parse().ok()?))
            })
            .collect();
        v.filter(|v| !v.is_empty() && v.iter().all(|(x, y)| *x <= 1000 && *y <= 1000))
            .map(Place)
    }

    /// Where its label goes: the point, or the polygon's mean corner.
    pub fn centre(&self) -> (u16, u16) {
        let n = self.0.len().max(1) as u32;
        let (sx, sy) = self.0.iter().fold((0u32, 0u32), |(a, b), (x, y)| {
            (a + u32::from(*x), b + u32::from(*y))
        });
        ((sx / n) as u16, (sy / n) as u16)
    }

    /// In words for a form: per cent with one decimal.
    pub fn words(&self) -> String {
        self.0
            .iter()
            .map(|(x, y)| format!("{},{}", pct(*x), pct(*y)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Twice the polygon's area (shoelace), in per mille squared.
fn twice_area(corners: &[(u16, u16)]) -> i64 {
    let n = corners.len();
    (0..n)
        .map(|i| {
            let (x1, y1) = corners[i];
            let (x2, y2) = corners[(i + 1) % n];
            i64::from(x1) * i64::from(y2) - i64::from(x2) * i64::from(y1)
        })
        .sum::<i64>()
        .abs()
}

fn pct(pm: u16) -> String {
    if pm.is_multiple_of(10) {
        format!("{}", pm / 10)
    } else {
        format!("{}.{}", pm / 10, pm % 10)
    }
}

/// Per cent with at most one decimal, 0 to 100, as per mille.
fn per_mille(v: &str) -> Result<u16, PlanError> {
    let v = v.trim().trim_end_matches('%');
    let bad = || {
        PlanError(format!(
            "坐标“{}”应为 0 至 100 之间的百分数（至多一位小数）",
            crate::risk::shown(v)
        ))
    };
    let (int, frac) = v.split_once('.').unwrap_or((v, "0"));
    if int.is_empty()
        || frac.len() != 1
        || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
        || int.len() > 3
    {
        return Err(bad());
    }
    let pm =
        int.parse::<u16>().map_err(|_| bad())? * 10 + frac.parse::<u16>().map_err(|_| bad())?;
    if pm > 1000 {
        return Err(PlanError(format!(
            "坐标 {v}% 超出平面图范围（应为 0 至 100）"
        )));
    }
    Ok(pm)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG header of `w` × `h` (enough for the size checks, which come before the pixels).
    pub fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    /// A whole PNG of `w` × `h`, grey.
    fn real_png(w: u32, h: u32) -> Vec<u8> {
        let mut out = Vec::new();
        {
            let mut enc = ::png::Encoder::new(&mut out, w, h);
            enc.set_color(::png::ColorType::Grayscale);
            enc.set_depth(::png::BitDepth::Eight);
            let mut wr = enc.write_header().expect("header");
            wr.write_image_data(&vec![200u8; (w * h) as usize])
                .expect("pixels");
        }
        out
    }

    #[test]
    fn a_plan_whose_data_does_not_decode_is_refused() {
        let good = real_png(400, 300);
        assert!(check_image(&good).is_ok());
        // The header and its size are sound; the compressed rows are cut off or damaged.
        let cut = &good[..good.len() / 2];
        assert!(check_image(cut).unwrap_err().0.contains("已损坏或不完整"));
        let mut damaged = good.clone();
        let idat = damaged.windows(4).position(|w| w == b"IDAT").expect("IDAT");
        for b in &mut damaged[idat + 4..idat + 12] {
            *b ^= 0xa5;
        }
        assert!(check_image(&damaged).is_err());
        // A JPEG that is only its start markers.
        let mut jpeg = vec![0xff, 0xd8, 0xff, 0xe0, 0, 16];
        jpeg.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        assert!(check_image(&jpeg).is_err());
        // Past the pixel cap, refused before anything is decoded.
        assert!(
            check_image(&png(6_000, 5_000))
                .unwrap_err()
                .0
                .contains("万像素")
        );
    }

    #[test]
    fn a_plan_is_a_png_or_jpeg_of_a_sensible_size() {
        assert_eq!(
            check_image(&real_png(1600, 900)),
            Ok(PlanImage {
                content_type: "image/png",
                width: 1600,
                height: 900
            })
        );
        assert!(
            check_image(b"%PDF-1.7 ...")
                .unwrap_err()
                .0
                .contains("PNG 或 JPEG")
        );
        assert!(check_image(&png(50, 900)).unwrap_err().0.contains("50×900"));
        assert!(check_image(&png(20_000, 900)).is_err());
        assert!(
            check_image(&png(200, 3000))
                .unwrap_err()
                .0
                .contains("长宽比")
        );
        assert!(
            check_image(b"\x89PNG\r\n\x1a\n")
                .unwrap_err()
                .0
                .contains("已损坏")
        );
        let mut big = png(1600, 900);
        big.resize(hazard::PHOTO_MAX_BYTES + 1, 0);
        assert!(check_image(&big).unwrap_err().0.starts_with("平面图"));
    }

    #[test]
    fn a_place_is_a_point_or_a_polygon_inside_the_plan() {
        assert_eq!(Place::parse("35,42.5").expect("point").0, [(350, 425)]);
        assert_eq!(Place::parse(" 35 , 42 ").expect("spaced").0, [(350, 420)]);
        assert_eq!(Place::parse("35， 42").expect("full-width").0, [(350, 420)]);
        let poly = Place::parse("10,10 30，10；30,25 10,25").expect("polygon");
        assert_eq!(poly.0.len(), 4);
        assert_eq!(poly.stored(), "100,100 300,100 300,250 100,250");
        assert_eq!(Place::read(&poly.stored()), Some(poly.clone()));
        assert_eq!(poly.centre(), (200, 175));
        assert_eq!(poly.words(), "10,10 30,10 30,25 10,25");
        for (bad, says) in [
            ("", "请填写"),
            ("35", "横向%,纵向%"),
            ("101,5", "超出平面图范围"),
            ("-3,5", "0 至 100"),
            ("3.25,5", "至多一位小数"),
            ("10,10 20,20", "至少需要 3 个顶点"),
            ("10,10 20,20 30,30", "面积为零"),
            ("10,10 10,10 10,10", "面积为零"),
        ] {
            let e = Place::parse(bad).expect_err(bad);
            assert!(e.0.contains(says), "{bad}: {e}");
        }
        // A click on the plan shown 800 pixels wide (a 1600 × 900 plan shows 450 high).
        assert_eq!(
            Place::from_click("200", "225", 800, 1600, 900)
                .expect("inside")
                .0,
            [(250, 500)]
        );
        assert!(Place::from_click("200", "451", 800, 1600, 900).is_err());
        assert!(Place::from_click("x", "1", 800, 1600, 900).is_err());
        assert_eq!(Place::read("1200,5"), None);
    }
}
