//! Reading the full item list of a major-hazard standard (重大事故隐患判定标准) from a
//! spreadsheet: one row per item under a header with 类别 (管理类/行业类/专项类), 行业或领域,
//! 序号 and 判定内容. A class or area left blank (merged cells) carries down from the row above.
//! The list is checked against the standard's structure by `domain::major_hazard`.

use anbiao_domain::major_hazard::Item;
use anbiao_domain::text::{clean, squeeze};
use thiserror::Error;

use crate::read::{Cell, SheetError, read_table};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MajorHazardSheetError {
    #[error("{0}")]
    Sheet(#[from] SheetError),
    #[error("未找到表头：须有“类别”“行业或领域”“序号”“判定内容”四列")]
    NoHeader,
    #[error("判定标准清单有 {} 处错误：{}", .0.len(), .0.iter().take(5).map(|(r, m)| format!("第{r}行{m}")).collect::<Vec<_>>().join("；"))]
    Rows(Vec<(u64, String)>),
    #[error("清单中没有任何条款")]
    NoItems,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Class,
    Area,
    Number,
    Text,
}

const SYNONYMS: [(Col, &[&str]); 4] = [
    (Col::Class, &["类别", "分类", "类型"]),
    (
        Col::Area,
        &["行业或领域", "行业", "领域", "行业/领域", "适用范围"],
    ),
    (Col::Number, &["序号", "编号", "条款号"]),
    (Col::Text, &["判定内容", "内容", "重大事故隐患", "判定标准"]),
];

fn col_for(header: &str) -> Option<Col> {
    let h = squeeze(header);
    SYNONYMS
        .iter()
        .find(|(_, names)| names.iter().any(|n| squeeze(n) == h))
        .map(|(c, _)| *c)
}

fn text(c: Option<&Cell>) -> String {
    c.and_then(Cell::text)
        .map(|s| clean(&s))
        .unwrap_or_default()
}

/// The items of the first sheet, in the order given; refused with every bad row.
pub fn read_major_hazard_list(bytes: &[u8]) -> Result<Vec<(u64, Item)>, MajorHazardSheetError> {
    let table = read_table(bytes)?;
    let mut cols: Option<Vec<Option<Col>>> = None;
    let mut items = Vec::new();
    let mut problems = Vec::new();
    let (mut class, mut area) = (String::new(), String::new());
    for row in &table.rows {
        let Some(map) = &cols else {
            let found: Vec<Option<Col>> = row
                .cells
                .iter()
                .map(|c| c.text().and_then(|t| col_for(&t)))
                .collect();
            let has = |c: Col| found.contains(&Some(c));
            if has(Col::Class) && has(Col::Area) && has(Col::Number) && has(Col::Text) {
                cols = Some(found);
            }
            continue;
        };
        let at = |want: Col| {
            map.iter()
                .position(|c| *c == Some(want))
                .and_then(|i| row.cells.get(i))
        };
        let t = text(at(Col::Text));
        if row.cells.iter().all(Cell::is_blank) {
            continue;
        }
        let c = text(at(Col::Class));
        if !c.is_empty() {
            class = c;
        }
        let a = text(at(Col::Area));
        if !a.is_empty() {
            area = a;
        }
        let number = match at(Col::Number) {
            Some(Cell::Number(n)) if n.fract() == 0.0 && *n >= 1.0 && *n < 1000.0 => {
                Some(*n as u32)
            }
            Some(cell) => cell
                .text()
                .and_then(|s| s.trim().parse::<u32>().ok())
                .filter(|n| *n > 0),
            None => None,
        };
        match (number, t.is_empty(), class.is_empty() || area.is_empty()) {
            (_, _, true) => problems.push((row.number, "：缺少类别或行业（领域）".to_string())),
            (None, _, _) => problems.push((row.number, "：序号应为正整数".to_string())),
            (_, true, _) => problems.push((row.number, "：判定内容为空".to_string())),
            (Some(n), false, false) => items.push((
                row.number,
                Item {
                    class: class.clone(),
                    area: area.clone(),
                    number: n,
                    text: t,
                    confidence: "imported".into(),
                },
            )),
        }
    }
    if cols.is_none() {
        return Err(MajorHazardSheetError::NoHeader);
    }
    if !problems.is_empty() {
        return Err(MajorHazardSheetError::Rows(problems));
    }
    if items.is_empty() {
        return Err(MajorHazardSheetError::NoItems);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(body: &str) -> Vec<u8> {
        format!("工贸企业重大事故隐患判定标准条款清单\n类别,行业或领域,序号,判定内容\n{body}")
            .into_bytes()
    }

    #[test]
    fn reads_rows_and_carries_merged_cells_down() {
        let items = read_major_hazard_list(&csv(
            "管理类,通用,1,未对承包单位统一协调管理\n,,2,特种作业人员未持证上岗\n专项类,存在粉尘爆炸危险的,1,粉尘爆炸危险场所设在非框架结构多层建筑内\n",
        ))
        .expect("read");
        assert_eq!(items.len(), 3);
        assert_eq!(
            (items[1].0, items[1].1.key().as_str()),
            (4, "管理类/通用/2")
        );
        assert_eq!(items[2].1.key(), "专项类/存在粉尘爆炸危险的/1");
    }

    #[test]
    fn every_bad_row_is_named() {
        let e =
            read_major_hazard_list(&csv("管理类,通用,一,内容\n管理类,通用,2,\n")).expect_err("bad");
        assert_eq!(
            e,
            MajorHazardSheetError::Rows(vec![
                (3, "：序号应为正整数".into()),
                (4, "：判定内容为空".into())
            ])
        );
        assert!(e.to_string().contains("第3行"));
        assert_eq!(
            read_major_hazard_list(b"a,b\n1,2\n").expect_err("no header"),
            MajorHazardSheetError::NoHeader
        );
    }
}
