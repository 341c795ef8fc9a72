use super::*;
use crate::ReferenceData;
use time::macros::date;

fn load(text: &str) -> Result<Programme, ProgrammeError> {
    let r = ReferenceData::embedded().expect("reference");
    Programme::from_toml("test.toml", text, &r.regions)
}

const TEXT: &str = embedded::NANTONG_2018.1;

#[test]
fn the_nantong_plan_loads_with_the_attachment_exactly() {
    let p = load(TEXT).expect("valid");
    assert_eq!(p.id, "nantong.2018");
    assert_eq!(p.units.len(), 11);
    let (rule, reference) = p.audit_rule(AuditEvent::RecheckFailed).expect("rule");
    assert_eq!(rule.action, AuditAction::Revoke);
    assert_eq!(reference, "nantong.2018#audit.recheck_failed");
    assert_eq!(rule.section, "六（三）3");
    assert_eq!(
        p.audit_rule(AuditEvent::Failing).map(|r| r.1),
        Some("nantong.2018#audit.failing".to_string())
    );
    assert_eq!(p.unit_target("海安", Metric::GradeTwoCount), Some(55.0));
    assert_eq!(
        p.unit_target("海安", Metric::GradeThreeAuditRate),
        Some(15.0)
    );
    assert_eq!(
        p.unit_target("通州湾示范区", Metric::GradeOneCount),
        Some(1.0)
    );
    assert_eq!(
        p.unit_target("如皋", Metric::SmallMicroCertifiedRate),
        Some(85.0)
    );
    assert_eq!(
        p.totals,
        vec![
            (Metric::GradeOneCount, 28.0),
            (Metric::GradeTwoCount, 300.0)
        ]
    );
    assert_eq!(
        p.deadlines.iter().map(|d| d.due).collect::<Vec<_>>(),
        [
            date!(2018 - 07 - 31),
            date!(2018 - 08 - 31),
            date!(2019 - 06 - 30),
            date!(2020 - 01 - 15)
        ]
    );
    assert_eq!(
        p.phase_on(date!(2019 - 03 - 01)).map(|ph| ph.name.as_str()),
        Some("组织实施阶段")
    );
    let two: Vec<_> = p
        .city_targets
        .iter()
        .filter(|t| t.metric == Metric::GradeTwoCount)
        .map(|t| (t.target, t.by))
        .collect();
    assert_eq!(
        two,
        [
            (200.0, date!(2018 - 12 - 31)),
            (300.0, date!(2019 - 12 - 31))
        ]
    );
}

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).expect("needle")]
        .matches('\n')
        .count()
        + 1
}

#[test]
fn bad_files_are_refused_with_the_line_and_reason() {
    let cases = [
        (
            TEXT.replace("unit = \"如东\"", "unit = \"如西\""),
            "unit = \"如西\"",
            "地区“如西”不存在",
        ),
        (
            TEXT.replace(
                "targets = [3, 35, 10, 5, 90, 85]\n\n[[unit]]\nunit = \"如东\"",
                "targets = [3, 35, 10, 5, 120, 85]\n\n[[unit]]\nunit = \"如东\"",
            ),
            "targets = [3, 35, 10, 5, 120, 85]",
            "超过 100%",
        ),
        (
            TEXT.replace("from = \"2018-08-01\"", "from = \"2018-07-20\""),
            "from = \"2018-07-20\"",
            "时间重叠",
        ),
        (
            TEXT.replace("due = \"2020-01-15\"", "due = \"2021-01-15\""),
            "due = \"2021-01-15\"",
            "不在方案期间",
        ),
        (
            TEXT.replace("grade_one_count = 28", "grade_one_count = 27"),
            "grade_one_count = 27",
            "与各地之和 28 不符",
        ),
        (
            TEXT.replace(
                "metric = \"grade_two_count\"\ntarget = 200",
                "metric = \"grade_2_count\"\ntarget = 200",
            ),
            "metric = \"grade_2_count\"",
            "未知的指标",
        ),
        (
            TEXT.replace(
                "by = \"2018-12-31\"\nsection = \"三（一）\"",
                "by = \"2018-13-31\"\nsection = \"三（一）\"",
            ),
            "by = \"2018-13-31\"",
            "不是有效日期",
        ),
        (
            TEXT.replace("when = \"failing\"", "when = \"good\""),
            "when = \"good\"\naction = \"revoke\"",
            "同一审计结果只能规定一种处理",
        ),
    ];
    for (text, needle, why) in cases {
        let e = load(&text).expect_err(why);
        assert!(e.message.contains(why), "{why}: {e}");
        assert_eq!(e.line, line_of(&text, needle), "{why}: {e}");
    }
    let e = load("[programme\nid = 1").expect_err("syntax");
    assert!(e.to_string().starts_with("test.toml 第"), "{e}");
}

#[test]
fn the_table_sums_the_city_and_checks_each_unit_against_its_row() {
    let p = load(TEXT).expect("valid");
    let mut counts = std::collections::BTreeMap::new();
    counts.insert(
        "海安".to_string(),
        UnitCounts {
            grade_one: 5,
            grade_two: 50,
            grade_three: 100,
            grade_three_audited: 16,
            ..Default::default()
        },
    );
    counts.insert(
        "如皋".to_string(),
        UnitCounts {
            grade_two: 36,
            ..Default::default()
        },
    );
    let mut then = std::collections::BTreeMap::new();
    assert_eq!(
        p.passed_deadlines(date!(2020 - 01 - 10)),
        [date!(2018 - 12 - 31), date!(2019 - 12 - 31)]
    );
    then.insert(
        date!(2018 - 12 - 31),
        UnitCounts {
            grade_two: 210,
            ..Default::default()
        },
    );
    then.insert(
        date!(2019 - 12 - 31),
        UnitCounts {
            grade_two: 86,
            ..Default::default()
        },
    );
    let t = p.table(&counts, &then, date!(2020 - 01 - 10));
    assert_eq!(t.phase.as_deref(), Some("总结验收阶段"));
    let haian = &t.rows[0];
    assert_eq!(haian.label, "海安县");
    let two = &haian.cells[1];
    assert_eq!(
        (two.standing, two.shortfall),
        (Some(Standing::Missed), Some(5))
    );
    assert_eq!(haian.cells[0].standing, Some(Standing::Met));
    assert_eq!(
        haian.cells[2].standing,
        Some(Standing::Met),
        "16 of 100 audited ≥ 15 %"
    );
    assert_eq!(
        haian.cells[4].standing,
        Some(Standing::NoData),
        "no small-micro enterprises"
    );
    assert_eq!(t.rows[1].cells[1].standing, Some(Standing::Met));
    assert_eq!(t.total.cells[1].figure.numerator, 86);
    assert_eq!(t.total.cells[1].target, Some(300.0));
    assert_eq!(
        t.total.cells[2].target, None,
        "no city target for rates in the table"
    );
    let city_two: Vec<_> = t
        .city
        .iter()
        .filter(|c| c.metric == Metric::GradeTwoCount)
        .map(|c| (c.target, c.standing))
        .collect();
    assert_eq!(
        city_two,
        [
            (Some(200.0), Some(Standing::Met)),
            (Some(300.0), Some(Standing::Missed))
        ],
        "a passed target is judged on its own day"
    );
    let taken: Vec<_> = t.city.iter().map(|c| c.taken_on).collect();
    assert!(taken.contains(&date!(2018 - 12 - 31)) && !taken.contains(&date!(2020 - 01 - 10)));
}

#[test]
fn task_status_follows_the_latest_submission_and_the_due_day() {
    let due = date!(2018 - 07 - 31);
    let before = date!(2018 - 07 - 20);
    let after = date!(2018 - 08 - 02);
    assert_eq!(TaskStatus::of(due, before, None), TaskStatus::Open);
    assert_eq!(TaskStatus::of(due, after, None), TaskStatus::Overdue);
    assert_eq!(
        TaskStatus::of(due, after, Some(("submitted", after))),
        TaskStatus::Submitted
    );
    assert_eq!(
        TaskStatus::of(due, before, Some(("returned", before))),
        TaskStatus::Returned
    );
    assert_eq!(
        TaskStatus::of(due, after, Some(("returned", before))),
        TaskStatus::Overdue
    );
    assert_eq!(
        TaskStatus::of(due, after, Some(("accepted", before))),
        TaskStatus::Accepted
    );
    assert_eq!(
        TaskStatus::of(due, after, Some(("accepted", after))),
        TaskStatus::AcceptedLate
    );
}

#[test]
fn the_draft_notice_ranks_units_and_names_shortfalls() {
    let p = load(TEXT).expect("valid");
    let mut counts = std::collections::BTreeMap::new();
    for unit in [
        "海安",
        "如皋",
        "如东",
        "启东",
        "海门",
        "通州",
        "崇川",
        "港闸",
        "开发区",
        "苏通园区",
        "通州湾示范区",
    ] {
        let t = |m| p.unit_target(unit, m).unwrap_or(0.0) as u64;
        counts.insert(
            unit.to_string(),
            UnitCounts {
                grade_one: t(Metric::GradeOneCount),
                grade_two: if unit == "港闸" {
                    12
                } else {
                    t(Metric::GradeTwoCount)
                },
                grade_three: 100,
                grade_three_audited: if unit == "港闸" { 5 } else { 20 },
                rectification: 10,
                small_micro: 100,
                small_micro_started: 100,
                small_micro_certified: 96,
                ..Default::default()
            },
        );
    }
    let t = p.table(
        &counts,
        &std::collections::BTreeMap::new(),
        date!(2019 - 12 - 31),
    );
    let (title, body) = draft_notice(&p, &t, &[]);
    assert!(title.contains("通报"));
    assert!(body.contains("截至2019年12月31日"), "{body}");
    let last = body.lines().find(|l| l.starts_with("11. ")).unwrap_or("");
    assert!(
        last.contains("港闸区"),
        "the unit furthest behind ranks last: {body}"
    );
    assert!(body.contains("港闸区：二级标准化达标企业数12家，还需8家；三级标准化质量审计率5.0%，低于目标10%5.0个百分点"), "{body}");
    assert!(
        !body.lines().any(|l| l.starts_with("海安县：")),
        "a unit that met everything is not among the problems"
    );
    assert!(
        body.contains("四、下一步要求") && !body.contains("五、"),
        "{body}"
    );
    // The other figures come as their own section before the requirements.
    let (_, body) = draft_notice(&p, &t, &["全市命名示范企业 6 家。".to_string()]);
    let more = body
        .find("四、培训、典型示范和监管清单")
        .expect("the section");
    let named = body.find("全市命名示范企业 6 家。").expect("its line");
    let next = body.find("五、下一步要求").expect("renumbered");
    assert!(more < named && named < next, "{body}");
}

#[test]
fn figures_and_standings() {
    let c = UnitCounts {
        grade_three: 40,
        grade_three_audited: 3,
        small_micro: 0,
        grade_two: 30,
        ..Default::default()
    };
    let audit = Metric::GradeThreeAuditRate.figure(&c);
    assert_eq!(audit.value(), Some(7.5));
    assert_eq!(audit.shortfall(10.0), Some(1), "4 of 40 are needed");
    let two = Metric::GradeTwoCount.figure(&c);
    assert_eq!(two.shortfall(35.0), Some(5));
    assert_eq!(two.shortfall(20.0), None);
    let by = date!(2019 - 12 - 31);
    assert_eq!(
        Standing::of(&two, 35.0, date!(2019 - 06 - 30), by),
        Standing::Behind
    );
    assert_eq!(
        Standing::of(&two, 35.0, date!(2020 - 01 - 01), by),
        Standing::Missed
    );
    assert_eq!(
        Standing::of(&two, 30.0, date!(2020 - 01 - 01), by),
        Standing::Met
    );
    let sm = Metric::SmallMicroCoverage.figure(&c);
    assert_eq!(Standing::of(&sm, 90.0, by, by), Standing::NoData);
}

#[test]
fn a_target_to_be_passed_is_met_above_it_and_a_stretch_target_is_marked_apart() {
    // 三（二）: 2019年底前，全市一级标准化达标工贸企业力争突破26家 — more than 26, striven for;
    // the attachment's 合计 (28) is the binding count.
    let p = load(TEXT).expect("valid");
    let one: Vec<&CityTarget> = p
        .city_targets
        .iter()
        .filter(|t| t.metric == Metric::GradeOneCount)
        .collect();
    assert_eq!(one.len(), 2);
    let (by_2018, by_2019) = (one[0], one[1]);
    assert!(by_2018.stretch && !by_2018.above);
    assert!(by_2019.stretch && by_2019.above);
    assert_eq!(by_2019.words.as_deref(), Some("力争突破26家"));
    assert_eq!(by_2019.threshold(), 27.0);
    assert_eq!(by_2018.threshold(), 15.0);
    // 三（一）'s rates are binding.
    assert!(
        p.city_targets
            .iter()
            .filter(|t| t.metric.is_rate())
            .all(|t| !t.stretch)
    );
    assert_eq!(
        p.totals
            .iter()
            .find(|(m, _)| *m == Metric::GradeOneCount)
            .map(|t| t.1),
        Some(28.0)
    );
    let on = date!(2019 - 12 - 31);
    let with = |n: u64| {
        let mut counts = std::collections::BTreeMap::new();
        counts.insert(
            "海安".to_string(),
            UnitCounts {
                grade_one: n,
                ..Default::default()
            },
        );
        let t = p.table(&counts, &std::collections::BTreeMap::new(), on);
        t.city
            .iter()
            .find(|c| c.metric == Metric::GradeOneCount && c.by == on)
            .map(|c| c.standing)
            .expect("2019 target")
    };
    assert_eq!(with(26), Some(Standing::Behind), "26 does not pass 26");
    assert_eq!(with(27), Some(Standing::Met));
    // 突破 is for counts: a rate written so is refused with the reason.
    let bad = TEXT.replacen(
        "metric = \"above_scale_certified_rate\"\ntarget = 100\n",
        "metric = \"above_scale_certified_rate\"\ntarget = 100\nabove = true\n",
        1,
    );
    assert_ne!(bad, TEXT);
    let e = load(&bad).expect_err("above on a rate");
    assert!(e.to_string().contains("不能写“突破”"), "{e}");
    // The table's deadline is an inference, said so.
    assert!(
        p.unit_by_basis
            .as_deref()
            .is_some_and(|b| b.contains("推定"))
    );
}
