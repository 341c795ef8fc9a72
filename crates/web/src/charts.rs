//! Small server-drawn SVG line charts (no script, no inline style: the CSP stays strict).

/// One line: its name, colour and values (None where there is nothing to plot).
pub struct Series {
    pub name: String,
    pub colour: &'static str,
    pub values: Vec<Option<f64>>,
    /// A dashed target line, if any.
    pub target: Option<f64>,
}

/// A chart ready for the template: everything in SVG user units.
pub struct Chart {
    pub title: String,
    pub width: u32,
    pub height: u32,
    pub lines: Vec<Line>,
    pub y_ticks: Vec<(f64, String)>,
    pub x_ticks: Vec<(f64, String)>,
    pub left: f64,
    pub right: f64,
    pub top: f64,
    pub bottom: f64,
}

pub struct Line {
    pub name: String,
    pub colour: &'static str,
    pub points: String,
    pub target_y: Option<f64>,
    pub last: Option<(f64, f64, String)>,
}

const W: f64 = 600.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 28.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// Lays out `series` over `labels` (one per x position); `percent` fixes the scale at 0–100.
pub fn line_chart(title: &str, labels: &[String], series: Vec<Series>, percent: bool) -> Chart {
    let max = if percent {
        100.0
    } else {
        series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied().chain(s.target))
            .fold(1.0_f64, f64::max)
            * 1.1
    };
    let n = labels.len().max(2) as f64 - 1.0;
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * i as f64 / n;
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - (v / max).clamp(0.0, 1.0));
    let fmt = |v: f64| {
        if percent {
            format!("{v:.1}%")
        } else {
            format!("{v:.0}")
        }
    };
    let lines = series
        .into_iter()
        .map(|s| {
            let pts: Vec<(f64, f64, f64)> = s
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.map(|v| (x(i), y(v), v)))
                .collect();
            Line {
                points: pts
                    .iter()
                    .map(|(px, py, _)| format!("{px:.1},{py:.1}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                last: pts.last().map(|(px, py, v)| (*px, *py, fmt(*v))),
                target_y: s.target.map(y),
                name: s.name,
                colour: s.colour,
            }
        })
        .collect();
    let y_ticks = (0..=4)
        .map(|k| {
            let v = max * k as f64 / 4.0;
            (y(v), fmt(v))
        })
        .collect();
    let step = (labels.len() / 6).max(1);
    let x_ticks = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || *i + 1 == labels.len())
        .map(|(i, l)| (x(i), l.clone()))
        .collect();
    Chart {
        title: title.to_string(),
        width: W as u32,
        height: H as u32,
        lines,
        y_ticks,
        x_ticks,
        left: LEFT,
        right: W - RIGHT,
        top: TOP,
        bottom: H - BOTTOM,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_rise_with_values_and_gaps_are_skipped() {
        let labels: Vec<String> = ["2018-07", "2018-08", "2018-09"].map(String::from).to_vec();
        let c = line_chart(
            "二级",
            &labels,
            vec![Series {
                name: "二级".into(),
                colour: "#1f5fa8",
                values: vec![Some(100.0), None, Some(200.0)],
                target: Some(300.0),
            }],
            false,
        );
        let pts: Vec<(f64, f64)> = c.lines[0]
            .points
            .split(' ')
            .map(|p| {
                let (a, b) = p.split_once(',').expect("pair");
                (a.parse().expect("x"), b.parse().expect("y"))
            })
            .collect();
        assert_eq!(pts.len(), 2, "the month without a value is not drawn");
        assert!(pts[1].1 < pts[0].1, "a larger value is drawn higher");
        assert!(
            c.lines[0].target_y.expect("target") < pts[1].1,
            "the target is above"
        );
        assert_eq!(c.lines[0].last.as_ref().map(|l| l.2.as_str()), Some("200"));
    }
}
