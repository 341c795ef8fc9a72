//! Reading a scoring sheet (评分细则) from a spreadsheet: one row per item under a header with
//! 考评类目, 考评内容 and 分值 (and optionally codes, 评分方式 and 否决项). A category name left
//! blank (merged cells) carries down from the row above.

use anbiao_domain::standard::{Category, Points, SheetItem};
use anbiao_domain::text::{clean, squeeze};
use thiserror::Error;

use crate::read::{Cell, SheetError, read_tables};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScoringSheetError {
    #[error("{0}")]
    Sheet(#[from] SheetError),
    #[error("未找到表头：须有“考评类目”“考评内容”“分值”三列")]
    NoHeader,
    #[error("评分细则有 {} 处错误：{}", .0.len(), .0.iter().take(5).map(|(r, m)| format!("第{r}行{m}")).collect::<Vec<_>>().join("；"))]
    Rows(Vec<(u64, String)>),
    #[error("评分细则中没有任何考评内容")]
    NoItems,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    CategoryCode,
    Category,
    ItemCode,
    Content,
    Points,
    Method,
    Veto,
}

const SYNONYMS: [(Col, &[&str]); 7] = [
    (Col::CategoryCode, &["类目编号", "类目序号", "要素编号"]),
    (
        Col::Category,
        &["考评类目", "类目", "一级要素", "A级要素", "要素"],
    ),
    (
        Col::ItemCode,
        &["编号", "序号", "内容编号", "条款号", "项目编号"],
    ),
    (
        Col::Content,
        &["考评内容", "内容", "评分项", "条款", "考评项目"],
    ),
    (Col::Points, &["分值", "标准分", "标准分值", "满分"]),
    (
        Col::Method,
        &["评分方式", "评分标准", "扣分标准", "评分细则", "评分方法"],
    ),
    (Col::Veto, &["否决项", "否决", "是否否决"]),
];

fn col_for(header: &str) -> Option<Col> {
    let h = squeeze(header);
    SYNONYMS
        .iter()
        .find(|(_, names)| names.iter().any(|n| squeeze(n) == h))
        .map(|(c, _)| *c)
}

fn is_yes(s: &str) -> bool {
    matches!(
        squeeze(s).to_lowercase().as_str(),
        "是" | "√" | "✓" | "y" | "yes" | "否决" | "1" | "true" | "★"
    )
}

fn text(c: Option<&Cell>) -> String {
    c.and_then(Cell::text)
        .map(|s| clean(&s))
        .unwrap_or_default()
}

/// Reads the categories and items of a scoring sheet; the sheet's identity (id, version,
/// grades, dates) comes from whoever loads it.
pub fn read_scoring_sheet(bytes: &[u8]) -> Result<Vec<Category>, ScoringSheetError> {
    let tables = read_tables(bytes)?;
    for t in &tables {
        let Some((hi, cols)) = t.rows.iter().take(30).enumerate().find_map(|(i, r)| {
            let cols: Vec<(usize, Col)> = r
                .cells
                .iter()
                .enumerate()
                .filter_map(|(ci, c)| c.text().and_then(|h| col_for(&h)).map(|col| (ci, col)))
                .collect();
            let has = |c: Col| cols.iter().any(|(_, x)| *x == c);
            (has(Col::Category) && has(Col::Content) && has(Col::Points)).then_some((i, cols))
        }) else {
            continue;
        };
        let at = |c: Col| cols.iter().find(|(_, x)| *x == c).map(|(i, _)| *i);
        let mut categories: Vec<Category> = Vec::new();
        let mut errors = Vec::new();
        let mut current: Option<(String, String)> = None;
        let mut named = 0usize;
        for row in &t.rows[hi + 1..] {
            if row.cells.iter().all(Cell::is_blank) {
                continue;
            }
            let get = |c: Col| text(at(c).and_then(|i| row.cells.get(i)));
            let name = get(Col::Category);
            if !name.is_empty() {
                named += 1;
                let code = get(Col::CategoryCode);
                let code = if code.is_empty() {
                    format!("C{named}")
                } else {
                    code
                };
                current = Some((code, name));
            }
            let content = get(Col::Content);
            let points_text = get(Col::Points);
            if content.is_empty() && points_text.is_empty() {
                continue;
            }
            let Some((cat_code, cat_name)) = current.clone() else {
                errors.push((row.number, "没有考评类目".to_string()));
                continue;
            };
            if content.contains("合计") || content.contains("总分") {
                continue;
            }
            if content.is_empty() {
                errors.push((row.number, "考评内容为空".to_string()));
                continue;
            }
            let Some(points) = Points::parse(&points_text).filter(|p| p.0 > 0) else {
                errors.push((
                    row.number,
                    format!("分值“{points_text}”应为大于0的数，最多一位小数"),
                ));
                continue;
            };
            let idx = match categories.iter().position(|c| c.code == cat_code) {
                Some(i) => i,
                None => {
                    categories.push(Category {
                        code: cat_code.clone(),
                        name: cat_name,
                        element: None,
                        items: Vec::new(),
                    });
                    categories.len() - 1
                }
            };
            let cat = &mut categories[idx];
            let code = get(Col::ItemCode);
            let code = if code.is_empty() {
                format!("{}.{}", cat.code, cat.items.len() + 1)
            } else {
                code
            };
            cat.items.push(SheetItem {
                code,
                content,
                points,
                method: get(Col::Method),
                veto: is_yes(&get(Col::Veto)),
                element: None,
            });
        }
        if !errors.is_empty() {
            return Err(ScoringSheetError::Rows(errors));
        }
        if categories.is_empty() {
            return Err(ScoringSheetError::NoItems);
        }
        return Ok(categories);
    }
    Err(ScoringSheetError::NoHeader)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::{XCell, write_table};

    fn t(s: &str) -> XCell {
        XCell::Text(s.into())
    }

    #[test]
    fn reads_a_sheet_with_merged_categories() {
        let rows = vec![
            vec![
                t("1"),
                t("目标职责"),
                t("1.1"),
                t("制定安全生产目标"),
                XCell::Number(10.0),
                t("未制定的扣10分"),
                XCell::Empty,
            ],
            vec![
                XCell::Empty,
                XCell::Empty,
                t("1.2"),
                t("目标分解落实"),
                XCell::Number(5.5),
                t("每缺一项扣1分"),
                XCell::Empty,
            ],
            vec![
                t("2"),
                t("隐患排查"),
                t("2.1"),
                t("重大隐患按期整改"),
                XCell::Number(20.0),
                t("否决"),
                t("是"),
            ],
            vec![
                XCell::Empty,
                XCell::Empty,
                XCell::Empty,
                t("合计"),
                XCell::Number(35.5),
                XCell::Empty,
                XCell::Empty,
            ],
        ];
        let bytes = write_table(
            "评分细则",
            Some("某行业评分细则"),
            &[
                "类目编号",
                "考评类目",
                "编号",
                "考评内容",
                "分值",
                "评分方式",
                "否决项",
            ],
            &rows,
        )
        .expect("xlsx");
        let cats = read_scoring_sheet(&bytes).expect("read");
        assert_eq!(cats.len(), 2);
        assert_eq!(cats[0].items.len(), 2);
        assert_eq!(cats[0].items[1].points, Points(55));
        assert_eq!(cats[0].full(), Points(155));
        assert!(cats[1].items[0].veto && !cats[0].items[0].veto);
        assert_eq!(cats[1].items[0].code, "2.1");
    }

    #[test]
    fn bad_rows_are_named() {
        let csv = "考评类目,考评内容,分值\n目标职责,制定目标,十分\n,目标分解,-1\n,,\n隐患排查,,5\n";
        let e = read_scoring_sheet(csv.as_bytes()).expect_err("bad");
        let ScoringSheetError::Rows(rows) = &e else {
            panic!("{e}")
        };
        assert_eq!(rows.iter().map(|(r, _)| *r).collect::<Vec<_>>(), [2, 3, 5]);
        assert!(e.to_string().contains("第2行分值“十分”"), "{e}");
        assert_eq!(
            read_scoring_sheet("企业名称,地址\n甲,乙\n".as_bytes()),
            Err(ScoringSheetError::NoHeader)
        );
        // Without codes, categories and items are numbered.
        let cats =
            read_scoring_sheet("考评类目,考评内容,分值\n甲,一,1\n,二,2\n乙,三,3\n".as_bytes())
                .expect("read");
        assert_eq!(cats[0].code, "C1");
        assert_eq!(cats[1].items[0].code, "C2.1");
    }
}
