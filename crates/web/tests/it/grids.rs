//! Grids and enterprise safety officers (网格、企业安全员, issue 18 item 5): a township divides
//! itself into grids, puts its small and micro enterprises in them with their safety officers,
//! and follows each grid; the district reads its townships' grids, another district none.

use anbiao_store::testing::each_backend;

use crate::{TestApp, body_text};

async fn firm(
    db: &anbiao_store::Db,
    n: u32,
    township: &str,
    name: &str,
    sales: &str,
    employees: &str,
) -> i64 {
    crate::training::enterprise_sized(db, n, "320682", township, name, sales, employees).await
}

#[tokio::test]
async fn a_township_divides_itself_into_grids_and_follows_its_small_enterprises() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        firm(&db, 61, "如城街道", "如皋市城东五金厂", "300", "15").await;
        firm(&db, 62, "如城街道", "南通华峰机械有限公司", "8000", "300").await;
        firm(&db, 63, "城南街道", "如皋市城南铸件厂", "300", "15").await;
        let closed = firm(&db, 64, "如城街道", "如皋市已关闭五金厂", "300", "15").await;
        anbiao_store::with_pool!(&db, |p| sqlx::query(
            "UPDATE enterprise SET status = 'closed', closed_on = '2020-01-01' WHERE id = $1"
        )
        .bind(closed)
        .execute(p)
        .await
        .map(|_| ()))
        .expect("closed");
        let township = app.session_for("township").await;
        let res = app
            .send(township.form(
                "/grids",
                &[
                    ("name", "第一网格"),
                    ("officer", "周海燕"),
                    ("officer_phone", "13806270001"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let at = res
            .headers()
            .get("HX-Redirect")
            .and_then(|v| v.to_str().ok())
            .expect("redirect")
            .to_string();
        // Twice the same name in one township is refused.
        let res = app
            .send(township.form("/grids", &[("name", "第一网格"), ("officer", "王强")]))
            .await;
        assert_eq!(res.status(), 422);
        assert!(
            body_text(res)
                .await
                .contains("如城街道已有名为“第一网格”的网格")
        );

        let members = format!("{at}/members");
        // A small enterprise of the township is taken in; an above-scale one and one of another
        // township are refused in words.
        let res = app
            .send(township.form(
                &members,
                &[
                    ("enterprise", "如皋市城东五金厂"),
                    ("safety_officer", "李梅"),
                    ("safety_phone", "13962700002"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let res = app
            .send(township.form(
                &members,
                &[
                    ("enterprise", "南通华峰机械有限公司"),
                    ("safety_officer", "王强"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("不是小型或微型企业"));
        let res = app
            .send(township.form(
                &members,
                &[
                    ("enterprise", "如皋市城南铸件厂"),
                    ("safety_officer", "王强"),
                ],
            ))
            .await;
        assert_eq!(
            res.status(),
            422,
            "another township's enterprise is outside the officer's scope"
        );
        let page = body_text(app.send(township.get(&at)).await).await;
        assert!(
            page.contains("本网格小微企业 <strong>1</strong> 家"),
            "{page}"
        );
        assert!(page.contains("李梅（13962700002）"), "{page}");

        // The district reads it and divides another township; another district sees nothing.
        let rugao = app.session_for("rugao").await;
        let list = body_text(app.send(rugao.get("/grids")).await).await;
        assert!(list.contains("第一网格"), "{list}");
        let res = app
            .send(rugao.form(
                "/grids",
                &[
                    ("township", "城南街道"),
                    ("name", "第一网格"),
                    ("officer", "钱进"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let res = app
            .send(rugao.form(
                "/grids",
                &[
                    ("township", "不存在镇"),
                    ("name", "第一网格"),
                    ("officer", "钱进"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        let rudong = app.session_for("rudong").await;
        assert_eq!(app.send(rudong.get(&at)).await.status(), 404);
        assert!(
            !body_text(app.send(rudong.get("/grids")).await)
                .await
                .contains("如皋市如城街道")
        );
        // The township officer of 如城街道 does not see 城南街道's grid.
        let list = body_text(app.send(township.get("/grids")).await).await;
        assert!(
            list.contains("如皋市如城街道") && !list.contains("如皋市城南街道"),
            "{list}"
        );
        // The city reads but does not divide.
        let city = app.session_for("city").await;
        let res = app
            .send(city.form(
                "/grids",
                &[
                    ("township", "如城街道"),
                    ("name", "第二网格"),
                    ("officer", "钱进"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 403);
    })
    .await;
}
