//! Importing an enterprise's 两单 from the workbook it keeps: the layout this system exports (the
//! identification list and the graded control list, joined by the point's name) or one sheet
//! with every column. Every row is checked against the risk rules of the day; the report names
//! the sheet row and the column of each problem, and nothing is written unless every row passes.

use std::collections::HashMap;

use anbiao_domain::risk::RiskSet;
use anbiao_domain::risk_point::{PointDraft, PointKind};
use anbiao_sheets::SheetError;
use anbiao_sheets::read::read_tables;
use anbiao_sheets::read::{Cell, Row, Table};
use anbiao_store::import::Rejection;
use anbiao_store::risk_points;

use crate::ctx::Ctx;
use crate::error::ActionError;

/// A row ready to write: its sheet row and the draft.
#[derive(Debug, Clone)]
pub struct RegisterRow {
    pub row: u64,
    pub draft: PointDraft,
}

/// What a file holds: the rows that passed and the problems found.
#[derive(Debug, Clone, Default)]
pub struct RegisterFile {
    pub rows: Vec<RegisterRow>,
    pub rejected: Vec<Rejection>,
}

/// The column headers each field reads from (a header containing the text).
const NAME: &str = "风险点名称";

fn header_row(t: &Table) -> Option<(usize, HashMap<String, usize>)> {
    t.rows.iter().take(10).enumerate().find_map(|(i, r)| {
        let cols: HashMap<String, usize> = r
            .cells
            .iter()
            .enumerate()
            .filter_map(|(j, c)| c.text().map(|t| (t.trim().to_string(), j)))
            .filter(|(t, _)| !t.is_empty())
            .collect();
        cols.contains_key(NAME).then_some((i, cols))
    })
}

fn cell(r: &Row, cols: &HashMap<String, usize>, header: &str) -> String {
    cols.get(header)
        .and_then(|j| r.cells.get(*j))
        .and_then(Cell::text)
        .map(|t| t.trim().to_string())
        .unwrap_or_default()
}

/// Reads the file's rows into drafts (CPU only).
pub fn parse_register(bytes: &[u8], set: &RiskSet) -> Result<RegisterFile, String> {
    let tables = read_tables(bytes).map_err(|e: SheetError| e.to_string())?;
    let headed: Vec<(&Table, usize, HashMap<String, usize>)> = tables
        .iter()
        .filter_map(|t| header_row(t).map(|(i, c)| (t, i, c)))
        .collect();
    let identified = headed
        .iter()
        .find(|(_, _, c)| c.contains_key("危险有害因素"));
    let graded = headed.iter().find(|(_, _, c)| c.contains_key("评价方法"));
    let (Some(ident), Some(grade)) = (identified, graded) else {
        return Err(format!(
            "未找到含“{NAME}”“危险有害因素”“评价方法”等列的表头（可先导出两单，按其格式填写）"
        ));
    };
    let (gt, gi, gc) = grade;
    let (it, ii, ic) = ident;
    // With two sheets, each problem names the sheet it is on.
    let two = !std::ptr::eq(*it, *gt);
    let on_sheet = |t: &Table, column: &str| {
        if two {
            format!("{}：{column}", t.sheet)
        } else {
            column.to_string()
        }
    };
    let mut out = RegisterFile::default();
    let reject = |out: &mut RegisterFile, row: u64, column: String, reason: String| {
        out.rejected.push(Rejection {
            row,
            column,
            reason,
        })
    };
    // The names identified, each once.
    let mut identified: HashMap<String, u64> = HashMap::new();
    for r in it.rows.iter().skip(ii + 1) {
        let name = cell(r, ic, NAME);
        if !name.is_empty() {
            identified.entry(name).or_insert(r.number);
        }
    }
    // The graded list's rows by point name (the same sheet when one sheet holds both); a row
    // of a name that was not identified, or graded twice, is a problem of that row.
    let mut by_name: HashMap<String, &Row> = HashMap::new();
    if two {
        for r in gt.rows.iter().skip(gi + 1) {
            let n = cell(r, gc, NAME);
            if n.is_empty() {
                continue;
            }
            if !identified.contains_key(&n) {
                reject(
                    &mut out,
                    r.number,
                    on_sheet(gt, NAME),
                    format!("风险点辨识清单中没有“{n}”"),
                );
                continue;
            }
            match by_name.entry(n) {
                std::collections::hash_map::Entry::Occupied(o) => {
                    let n = o.key().clone();
                    reject(
                        &mut out,
                        r.number,
                        on_sheet(gt, NAME),
                        format!("“{n}”在本表中出现了不止一次"),
                    );
                }
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(r);
                }
            }
        }
    } else {
        for r in gt.rows.iter().skip(gi + 1) {
            let n = cell(r, gc, NAME);
            if !n.is_empty() {
                by_name.entry(n).or_insert(r);
            }
        }
    }
    for r in it.rows.iter().skip(ii + 1) {
        let name = cell(r, ic, NAME);
        if name.is_empty() || r.cells.iter().all(Cell::is_blank) {
            continue;
        }
        if let Some(first) = identified.get(&name).filter(|n| **n != r.number) {
            reject(
                &mut out,
                r.number,
                on_sheet(it, NAME),
                format!("“{name}”与第 {first} 行重名：同一企业的风险点名称不能重复"),
            );
            continue;
        }
        if out.rows.len() + out.rejected.len() >= risk_points::PAGE as usize {
            reject(
                &mut out,
                r.number,
                on_sheet(it, NAME),
                format!("一次至多导入 {} 处风险点", risk_points::PAGE),
            );
            break;
        }
        let Some(g) = by_name.get(&name) else {
            reject(
                &mut out,
                r.number,
                on_sheet(it, NAME),
                format!("风险分级管控清单中没有“{name}”的评价"),
            );
            continue;
        };
        let kind_label = cell(r, ic, "类型");
        let kind = PointKind::ALL
            .into_iter()
            .find(|k| k.label() == kind_label || k.key() == kind_label)
            .map(|k| k.key().to_string())
            .unwrap_or(kind_label);
        let method_text = cell(g, gc, "评价方法");
        let method = set
            .methods
            .iter()
            .find(|m| m.name == method_text || m.key.eq_ignore_ascii_case(&method_text))
            .map(|m| m.key.clone())
            .unwrap_or(method_text);
        let factors = cell(g, gc, "评价因素")
            .split(['；', ';', '，', ',', ' '])
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let basis = cell(g, gc, "判定依据");
        let direct = set
            .direct
            .iter()
            .filter(|d| basis.contains(&format!("#direct.{}", d.key)) || basis.contains(&d.name))
            .map(|d| d.key.clone())
            .collect();
        let control_text = cell(g, gc, "管控层级");
        let control_level = set
            .controls
            .iter()
            .find(|c| c.name == control_text || c.key == control_text)
            .map(|c| c.key.clone())
            .unwrap_or(control_text);
        let measures = set
            .measures
            .iter()
            .map(|k| {
                (
                    k.key.clone(),
                    cell(g, gc, &k.name).replace(['；', ';'], "\n"),
                )
            })
            .filter(|(_, t)| !t.trim().is_empty())
            .collect();
        let draft = PointDraft {
            name,
            kind,
            location: cell(r, ic, "所在位置"),
            hazards: cell(r, ic, "危险有害因素"),
            accident_types: cell(r, ic, "可能导致的事故类别")
                .split(['、', ',', '，', ';', '；'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            exposed: cell(r, ic, "接触人数"),
            method,
            factors,
            direct,
            control_level,
            responsible: cell(g, gc, "责任人"),
            measures,
        };
        match draft.validate(set) {
            Ok(v) => {
                // A level stated in the file that the factors do not give is a mistake in one
                // of them: refused rather than silently replaced.
                let stated = cell(g, gc, "风险等级");
                let level = set.level(&v.assessment.level);
                if let Some(l) = level.filter(|l| {
                    !stated.is_empty()
                        && stated != l.name
                        && stated != l.key
                        && !l.name.starts_with(&stated)
                }) {
                    reject(
                        &mut out,
                        g.number,
                        on_sheet(gt, "风险等级"),
                        format!(
                            "表中为“{stated}”，按评价方法和评价因素应为“{}”（{}）；请核对评价因素或风险等级",
                            l.name,
                            v.assessment.words()
                        ),
                    );
                    continue;
                }
                out.rows.push(RegisterRow {
                    row: r.number,
                    draft,
                })
            }
            Err(e) => {
                let column = match e.field {
                    "name" => NAME,
                    "kind" => "类型",
                    "location" => "所在位置",
                    "hazards" => "危险有害因素",
                    "accident_types" => "可能导致的事故类别",
                    "exposed" => "接触人数",
                    "method" => "评价方法与评价因素",
                    "control_level" => "管控层级",
                    "responsible" => "责任人",
                    "measures" => "管控措施",
                    _ => "",
                };
                reject(&mut out, r.number, on_sheet(it, column), e.message);
            }
        }
    }
    Ok(out)
}

/// What an import of a register did.
#[derive(Debug, Clone, Default)]
pub struct RegisterImport {
    /// Points added (none when any row was refused).
    pub imported: usize,
    /// Points of the same name changed by their row, and those the row left as they were.
    pub updated: usize,
    pub unchanged: usize,
    pub read: usize,
    pub rejected: Vec<Rejection>,
}

impl Ctx<'_> {
    /// The enterprise imports its 两单 into its own register: all rows or none.
    pub async fn import_register(&self, bytes: Vec<u8>) -> Result<RegisterImport, ActionError> {
        self.own_register()?;
        let set = self.risk_rules()?.clone();
        let file = tokio::task::spawn_blocking(move || parse_register(&bytes, &set))
            .await
            .map_err(|e| ActionError::Internal(format!("task: {e}")))?
            .map_err(|e| ActionError::bad("file", e))?;
        let read = file.rows.len() + file.rejected.len();
        if read == 0 {
            return Err(ActionError::bad(
                "file",
                "文件中没有风险点（表头下方没有数据行）",
            ));
        }
        if !file.rejected.is_empty() {
            return Ok(RegisterImport {
                read,
                rejected: file.rejected,
                ..Default::default()
            });
        }
        // A row of a name the register has changes that point (a file exported and imported
        // back changes nothing); any other row adds a point.
        let enterprise_id = self.own_register()?;
        let register =
            risk_points::of_enterprise_all(self.db, &self.actor.scope, enterprise_id).await?;
        let by_name: HashMap<&str, &risk_points::RiskPoint> =
            register.iter().map(|p| (p.name.as_str(), p)).collect();
        let set = self.risk_rules()?;
        let mut done = RegisterImport {
            read,
            ..Default::default()
        };
        let at_row = |row: u64| {
            move |e| match e {
                ActionError::Invalid { message, .. } => {
                    ActionError::bad("file", format!("第 {row} 行：{message}"))
                }
                e => e,
            }
        };
        for r in &file.rows {
            match by_name.get(r.draft.name.as_str()) {
                Some(old) => {
                    let v = r
                        .draft
                        .validate(set)
                        .map_err(|e| ActionError::bad(e.field, e.message))
                        .map_err(at_row(r.row))?;
                    let what = anbiao_domain::risk_point::changes(&old.as_stored(), &v, set);
                    if what.is_empty() {
                        done.unchanged += 1;
                        continue;
                    }
                    self.change_risk_point(old.id, old.version, &r.draft)
                        .await
                        .map_err(at_row(r.row))?;
                    done.updated += 1;
                }
                None => {
                    self.add_risk_point(&r.draft).await.map_err(at_row(r.row))?;
                    done.imported += 1;
                }
            }
        }
        Ok(done)
    }
}
