//! The officer's quality page (评审质量监测): self-assessments nearly identical across
//! enterprises, and evaluators with more evaluations in a short window than a team can do.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use time::Duration;

use anbiao_domain::date::format_date;
use anbiao_domain::quality::{alike_pairs, busiest_window};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::HtmlError;
use crate::pages::Layout;

pub struct AlikeRow {
    pub percent: u32,
    pub a_case: i64,
    pub a_name: String,
    pub a_on: String,
    pub b_case: i64,
    pub b_name: String,
    pub b_on: String,
}

pub struct GapRow {
    pub case_id: i64,
    pub name: String,
    pub evaluation: String,
    pub evaluated_on: String,
    pub audit: String,
    pub audited_on: String,
    pub gap: String,
}

pub struct BusyRow {
    pub name: String,
    pub org: String,
    pub count: usize,
    pub from: String,
    pub to: String,
    pub cases: Vec<i64>,
    pub hidden: usize,
}

#[derive(Template)]
#[template(path = "quality.html")]
struct QualityPage {
    layout: Layout,
    configured: bool,
    alike: Vec<AlikeRow>,
    busy: Vec<BusyRow>,
    gaps: Vec<GapRow>,
    compared: usize,
    evaluators: usize,
    percent: u32,
    min_chars: usize,
    window_days: i64,
    max_evaluations: usize,
    text_window_days: i64,
    audit_gap: u32,
    source: String,
    rule_text: crate::pages::rules::RuleRef,
    rule_busy: crate::pages::rules::RuleRef,
    rule_gap: crate::pages::rules::RuleRef,
}

/// `GET /quality`
pub async fn page(
    State(state): State<AppState>,
    u: CurrentUser,
) -> Result<Html<String>, HtmlError> {
    let on = state.today();
    let layout = Layout::new(&u, &state, "quality");
    let Some(set) = state.reference.quality.in_force(on) else {
        let page = QualityPage {
            layout,
            configured: false,
            alike: Vec::new(),
            busy: Vec::new(),
            gaps: Vec::new(),
            compared: 0,
            evaluators: 0,
            percent: 0,
            min_chars: 0,
            window_days: 0,
            max_evaluations: 0,
            text_window_days: 0,
            audit_gap: 0,
            source: String::new(),
            rule_text: crate::pages::rules::cite(&state.reference.rule_book, ""),
            rule_busy: crate::pages::rules::cite(&state.reference.rule_book, ""),
            rule_gap: crate::pages::rules::cite(&state.reference.rule_book, ""),
        };
        return Ok(Html(page.render()?));
    };
    let actor = u.acting("page");
    let cx = state.ctx(&actor);
    let texts = cx
        .self_texts(on - Duration::days(set.similar_text_window_days))
        .await?;
    let keyed: Vec<(i64, &str)> = texts
        .iter()
        .map(|t| (t.enterprise_id, t.text.as_str()))
        .collect();
    let alike = alike_pairs(&keyed, set.similar_text_percent, set.similar_text_min_chars)
        .into_iter()
        .take(200)
        .map(|p| {
            let (a, b) = (&texts[p.a], &texts[p.b]);
            AlikeRow {
                percent: p.percent,
                a_case: a.case_id,
                a_name: a.enterprise_name.clone(),
                a_on: a.performed_on.clone(),
                b_case: b.case_id,
                b_name: b.enterprise_name.clone(),
                b_on: b.performed_on.clone(),
            }
        })
        .collect();
    let loads = cx.evaluator_loads(on - Duration::days(365)).await?;
    let mut busy: Vec<BusyRow> = loads
        .iter()
        .filter_map(|l| {
            let dates: Vec<_> = l.evaluations.iter().map(|e| e.on).collect();
            let (count, start) = busiest_window(&dates, set.evaluator_window_days)?;
            if count <= set.evaluator_max_evaluations {
                return None;
            }
            let end = start + Duration::days(set.evaluator_window_days - 1);
            let inside: Vec<_> = l
                .evaluations
                .iter()
                .filter(|e| e.on >= start && e.on <= end)
                .collect();
            let mut cases: Vec<i64> = inside
                .iter()
                .filter(|e| e.visible)
                .map(|e| e.case_id)
                .collect();
            cases.sort_unstable();
            cases.dedup();
            Some(BusyRow {
                name: l.name.clone(),
                org: l.org_name.clone(),
                count,
                from: format_date(start),
                to: format_date(end),
                hidden: inside.iter().filter(|e| !e.visible).count(),
                cases,
            })
        })
        .collect();
    busy.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    let pct = |t: i64| anbiao_domain::scoring::Percent(t).to_string();
    let gaps = cx
        .audit_gaps(i64::from(set.audit_gap_points) * 10)
        .await?
        .into_iter()
        .map(|g| GapRow {
            case_id: g.case_id,
            name: g.enterprise_name,
            evaluation: pct(g.evaluation_score),
            evaluated_on: g.evaluated_on.unwrap_or_default(),
            audit: pct(g.audit_score),
            audited_on: g.audited_on,
            gap: pct(g.evaluation_score - g.audit_score),
        })
        .collect();
    let page = QualityPage {
        layout,
        configured: true,
        alike,
        busy,
        gaps,
        compared: texts.len(),
        evaluators: loads.len(),
        percent: set.similar_text_percent,
        min_chars: set.similar_text_min_chars,
        window_days: set.evaluator_window_days,
        max_evaluations: set.evaluator_max_evaluations,
        text_window_days: set.similar_text_window_days,
        audit_gap: set.audit_gap_points,
        source: set.source.clone(),
        rule_text: crate::pages::rules::cite(
            &state.reference.rule_book,
            &set.rule("similar_text").to_string(),
        ),
        rule_busy: crate::pages::rules::cite(
            &state.reference.rule_book,
            &set.rule("evaluator_throughput").to_string(),
        ),
        rule_gap: crate::pages::rules::cite(
            &state.reference.rule_book,
            &set.rule("audit_gap").to_string(),
        ),
    };
    Ok(Html(page.render()?))
}
