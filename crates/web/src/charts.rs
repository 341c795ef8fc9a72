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
    // The scale runs to a round number above the largest value (and target), in four or five
    // steps of 1, 2, 2.5 or 5 times a power of ten.
    let (max, tick) = if percent {
        (100.0, 25.0)
    } else {
        let top = series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied().chain(s.target))
            .fold(1.0_f64, f64::max);
        let tick = round_step(top / 4.0);
        ((top / tick).ceil().max(1.0) * tick, tick)
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
    let tick_text = |v: f64| {
        let t = if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        };
        if percent { format!("{t}%") } else { t }
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
    let steps = (max / tick).round() as usize;
    let y_ticks = (0..=steps)
        .map(|k| {
            let v = tick * k as f64;
            (y(v), tick_text(v))
        })
        .collect();
    let x_ticks = x_tick_indices(labels.len())
        .into_iter()
        .filter_map(|i| Some((x(i), labels.get(i)?.clone())))
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

/// The round step (1, 2, 2.5 or 5 times a power of ten) at or above `raw`.
fn round_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * power)
        .max(1.0)
}

/// Which of `n` x positions carry a label: at most eight, evenly spaced, always the last, and never
/// two closer than the spacing (the one before the last gives way).
fn x_tick_indices(n: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let step = n.div_ceil(7).max(1);
    let last = n - 1;
    let mut idx: Vec<usize> = (0..n).step_by(step).collect();
    if idx.last() != Some(&last) {
        if idx.last().is_some_and(|p| last - p < step) && idx.len() > 1 {
            idx.pop();
        }
        idx.push(last);
    }
    idx
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
        let ticks: Vec<&str> = c.y_ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(
            ticks,
            ["0", "100", "200", "300"],
            "round ticks up to the target"
        );
    }

    #[test]
    fn the_scale_steps_are_round_and_cover_the_largest_value() {
        for (top, want) in [
            (330.0, 100.0),
            (82.0, 25.0),
            (7.0, 2.0),
            (1.0, 1.0),
            (2_220_000.0, 1_000_000.0),
        ] {
            let step = round_step(top / 4.0);
            assert_eq!(step, want, "{top}");
            let lines = (top / step).ceil();
            assert!((2.0..=5.0).contains(&lines) || top <= 4.0, "{top}: {lines}");
        }
        let c = line_chart(
            "二级",
            &["1", "2"].map(String::from),
            vec![Series {
                name: "二级".into(),
                colour: "#1f5fa8",
                values: vec![Some(12.0), Some(330.0)],
                target: None,
            }],
            false,
        );
        let ticks: Vec<&str> = c.y_ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(ticks, ["0", "100", "200", "300", "400"]);
        let pct = line_chart("率", &["1", "2"].map(String::from), vec![], true);
        let ticks: Vec<&str> = pct.y_ticks.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(ticks, ["0%", "25%", "50%", "75%", "100%"]);
    }

    #[test]
    fn x_labels_never_crowd_the_last() {
        for n in 1..80 {
            let idx = x_tick_indices(n);
            assert_eq!(idx.first(), Some(&0), "{n}");
            assert_eq!(idx.last(), Some(&(n - 1)), "{n}");
            let step = n.div_ceil(7).max(1);
            for w in idx.windows(2) {
                assert!(w[1] - w[0] >= step, "{n}: {idx:?}");
            }
            assert!(idx.len() <= 8, "{n}: {idx:?}");
        }
        // 19 months (2018-07 … 2020-01): every third, the last not next to the one before.
        assert_eq!(x_tick_indices(19), vec![0, 3, 6, 9, 12, 15, 18]);
        assert_eq!(x_tick_indices(20), vec![0, 3, 6, 9, 12, 15, 19]);
    }
}
