//! The demo's site plans (一图): a works' 总平面图 drawn as a PNG (buildings, roads, the
//! boundary), uploaded by the enterprise, with its risk points placed on it. The `qiye` works'
//! points stand where its register says; a handful of other works place theirs in the
//! buildings they belong to.

use anbiao_actions::Actor as Acting;
use anbiao_actions::risks::PlaceInput;
use anbiao_domain::{ReferenceData, Role, Scope};
use anbiao_store::{Db, risk_plans, risk_points};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::demo::ctx;

/// A building on the plan: x, y, width, height in per cent.
type Building = (u32, u32, u32, u32);

const BUILDINGS: [Building; 9] = [
    (10, 10, 25, 30), // 一号厂房
    (40, 10, 25, 30), // 二号厂房
    (70, 10, 22, 30), // 三号厂房
    (10, 55, 20, 25), // 涂装车间
    (35, 55, 20, 25), // 仓库
    (60, 55, 10, 13), // 空压站
    (60, 72, 10, 13), // 配电所
    (75, 48, 17, 14), // 办公楼
    (80, 70, 12, 18), // 污水站
];

const W: u32 = 1200;
const H: u32 = 800;

/// The plan as a PNG: paved ground, the boundary, the roads, the buildings.
pub fn site_plan_png() -> anyhow::Result<Vec<u8>> {
    let mut px = vec![0u8; (W * H * 3) as usize];
    let mut fill = |x0: u32, y0: u32, x1: u32, y1: u32, c: [u8; 3]| {
        for y in y0.min(H)..y1.min(H) {
            for x in x0.min(W)..x1.min(W) {
                let i = ((y * W + x) * 3) as usize;
                px[i..i + 3].copy_from_slice(&c);
            }
        }
    };
    let at = |pct: u32, of: u32| pct * of / 100;
    fill(0, 0, W, H, [236, 238, 230]);
    // The boundary wall, the main road and the gate road.
    fill(0, 0, W, 6, [90, 90, 90]);
    fill(0, H - 6, W, H, [90, 90, 90]);
    fill(0, 0, 6, H, [90, 90, 90]);
    fill(W - 6, 0, W, H, [90, 90, 90]);
    fill(6, at(43, H), W - 6, at(51, H), [205, 205, 200]);
    fill(at(94, W), 6, at(98, W), H - 6, [205, 205, 200]);
    for (x, y, w, h) in BUILDINGS {
        let (x0, y0, x1, y1) = (at(x, W), at(y, H), at(x + w, W), at(y + h, H));
        fill(x0, y0, x1, y1, [70, 70, 80]);
        fill(x0 + 4, y0 + 4, x1 - 4, y1 - 4, [250, 250, 247]);
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, W, H);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header()?;
        w.write_image_data(&px)?;
    }
    Ok(out)
}

/// Where the `qiye` works' points stand (per cent; several corners for an area).
const QIYE: [(&str, &str); 12] = [
    ("铝镁件抛光打磨工位", "72,15 90,15 90,35 72,35"),
    ("污水处理池清淤", "86,79"),
    ("冲压车间 250吨冲床", "52,25"),
    ("喷漆房", "12,58 28,58 28,77 12,77"),
    ("空压机储气罐", "65,61"),
    ("桥式起重机吊装", "22,25"),
    ("危险化学品仓库", "37,58 53,58 53,77 37,77"),
    ("设备登高检修", "30,15"),
    ("焊接工位", "78,30"),
    ("配电室", "65,78"),
    ("叉车厂内运输", "45,47"),
    ("数控车床操作", "15,32"),
];

/// How many other works have their plans in the demo.
const OTHERS: usize = 5;

/// Uploads the plans and places the points, once; the number of plans written.
pub async fn draw(
    db: &Db,
    reference: &ReferenceData,
    seed: u64,
    qiye: Option<i64>,
    today: time::Date,
) -> anyhow::Result<usize> {
    let Some(qiye) = qiye else { return Ok(0) };
    if !risk_plans::of_enterprise(db, &Scope::City, qiye)
        .await?
        .is_empty()
    {
        return Ok(0);
    }
    let png = site_plan_png()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x706c_616e);
    // The demo works, then the first works above scale with registers.
    let others: Vec<i64> =
        risk_points::enterprises_at(db, &Scope::City, risk_points::ANY_LEVEL, 50)
            .await?
            .into_iter()
            .map(|e| e.enterprise_id)
            .filter(|id| *id != qiye)
            .take(OTHERS)
            .collect();
    let mut n = 0;
    for id in std::iter::once(qiye).chain(others) {
        let actor = Acting::on_behalf(
            Role::EnterpriseManager,
            Scope::Enterprise { id },
            "qiye",
            "demo",
        );
        let cx = ctx(db, reference, &actor, today);
        let plan = cx.upload_plan("厂区总平面图", "site", &png).await?;
        n += 1;
        for p in risk_points::of_enterprise(db, &Scope::City, id).await? {
            let written = QIYE.iter().find(|(name, _)| id == qiye && *name == p.name);
            let at = match written {
                Some((_, at)) => at.to_string(),
                None => {
                    let (x, y, w, h) = BUILDINGS[rng.random_range(0..BUILDINGS.len())];
                    format!(
                        "{},{}",
                        x + 1 + rng.random_range(0..w.saturating_sub(2).max(1)),
                        y + 1 + rng.random_range(0..h.saturating_sub(2).max(1))
                    )
                }
            };
            cx.place_risk_point(p.id, p.version, plan, PlaceInput::Text(&at))
                .await?;
        }
    }
    Ok(n)
}
