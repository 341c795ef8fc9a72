//! Publicity and demonstration (宣传、典型示范, issue 18 items 6 and 7): a district names model
//! enterprises only from its enterprises with a valid 一级 or 二级 certificate, names its model
//! townships, records exchanges, groups and publicity; the portal lists models, open days and
//! published items.

use anbiao_domain::grade::Grade;
use anbiao_store::audit_log::Actor;
use anbiao_store::certificate::{self, NewCertificate};
use anbiao_store::testing::each_backend;

use crate::grading::enterprise_in_rugao;
use crate::{TestApp, body_text};

#[tokio::test]
async fn a_model_enterprise_needs_a_valid_first_or_second_grade_certificate() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let today = anbiao_web::today();
        let day = anbiao_domain::date::format_date(today);
        let two = enterprise_in_rugao(&db, 51, "南通华峰机械有限公司").await;
        let three = enterprise_in_rugao(&db, 52, "如皋市东方五金有限公司").await;
        let lapsed = enterprise_in_rugao(&db, 53, "如皋市旧港铸造厂").await;
        let actor = Actor::new("tester", "cli");
        for (ent, grade, issued, until) in [
            (
                two,
                Grade::Two,
                today - time::Duration::days(400),
                today + time::Duration::days(600),
            ),
            (
                three,
                Grade::Three,
                today - time::Duration::days(100),
                today + time::Duration::days(900),
            ),
            (
                lapsed,
                Grade::Two,
                today - time::Duration::days(1200),
                today - time::Duration::days(100),
            ),
        ] {
            certificate::issue(
                &db,
                &actor,
                &NewCertificate {
                    enterprise_id: ent,
                    case_id: None,
                    grade,
                    industry: "JX".into(),
                    issuer: "南通市应急管理局".into(),
                    external: false,
                    issued_on: issued,
                    valid_until: until,
                    rule: "grading.2021@1#validity".into(),
                    region_abbr: '苏',
                    number: None,
                },
            )
            .await
            .expect("certificate");
        }
        let rugao = app.session_for("rugao").await;
        // A 三级 enterprise and one whose 二级 certificate has lapsed are refused, in words.
        for name in ["如皋市东方五金有限公司", "如皋市旧港铸造厂"] {
            let res = app
                .send(rugao.form(
                    "/outreach/models",
                    &[("enterprise", name), ("reason", "隐患排查治理体系健全")],
                ))
                .await;
            assert_eq!(res.status(), 422, "{name}");
            let page = body_text(res).await;
            assert!(
                page.contains(&format!(
                    "“{name}”在 {day} 没有有效的一级或二级安全生产标准化证书"
                )),
                "{page}"
            );
            assert!(page.contains("通政发〔2018〕27号 六（六）3"), "{page}");
            // The form is open again with what was typed.
            assert!(page.contains(&format!("value=\"{name}\"")), "{page}");
        }
        // Another district's enterprise is not found in 如东's registry.
        let rudong = app.session_for("rudong").await;
        let res = app
            .send(rudong.form(
                "/outreach/models",
                &[
                    ("enterprise", "南通华峰机械有限公司"),
                    ("reason", "成效显著"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("不在您辖区的企业名录中"));
        // The 二级 enterprise is named, once.
        let res = app
            .send(rugao.form(
                "/outreach/models",
                &[
                    ("enterprise", "南通华峰机械有限公司"),
                    ("reason", "双重预防机制运行良好"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let res = app
            .send(rugao.form(
                "/outreach/models",
                &[
                    ("enterprise", "南通华峰机械有限公司"),
                    ("reason", "再次命名"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("已是示范企业"));

        // A model township of 如皋's own; the city does not name townships.
        let res = app
            .send(rugao.form(
                "/outreach/townships",
                &[
                    ("township", "城南街道"),
                    ("reason", "小微企业集中，基础较好"),
                ],
            ))
            .await;
        assert_eq!(
            res.status(),
            422,
            "no enterprise of the registry is in 城南街道 yet"
        );
        let city = app.session_for("city").await;
        let res = app
            .send(city.form(
                "/outreach/townships",
                &[("township", "如城街道"), ("reason", "基础较好")],
            ))
            .await;
        assert_eq!(res.status(), 403);

        // An open day at the model enterprise with two attending, one line wrong.
        let next = anbiao_domain::date::format_date(today + time::Duration::days(14));
        let mut exchange = [
            ("title", "示范企业现场观摩会".to_string()),
            ("kind", "site_visit".into()),
            ("held_on", next.clone()),
            ("place", "南通华峰机械有限公司一号车间".into()),
            ("host", "南通华峰机械有限公司".into()),
            ("attendees", "如皋市东方五金有限公司\n不存在的厂\n".into()),
            ("open_day", "1".into()),
        ];
        let pairs: Vec<(&str, &str)> = exchange.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = app.send(rugao.form("/outreach/exchanges", &pairs)).await;
        assert_eq!(res.status(), 422);
        assert!(
            body_text(res)
                .await
                .contains("第2行企业“不存在的厂”不在您辖区的企业名录中")
        );
        exchange[5].1 = "如皋市东方五金有限公司\n如皋市旧港铸造厂".into();
        let pairs: Vec<(&str, &str)> = exchange.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = app.send(rugao.form("/outreach/exchanges", &pairs)).await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);

        // A group and a publicity item published on the portal; one not yet held is not.
        let res = app
            .send(rugao.form(
                "/outreach/groups",
                &[
                    ("name", "如皋市机械行业安全生产协作组"),
                    ("kind", "cooperation"),
                    ("members", "南通华峰机械有限公司\n如皋市东方五金有限公司"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let res = app
            .send(rugao.form(
                "/outreach/publicity",
                &[
                    ("title", "“安全生产月”标准化创建宣传咨询日"),
                    ("channel", "safety_month"),
                    ("held_on", &day),
                    ("reach", "3000"),
                    ("published", "1"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let res = app
            .send(rugao.form(
                "/outreach/publicity",
                &[
                    ("title", "下月的电视专题"),
                    ("channel", "television"),
                    ("held_on", &next),
                    ("published", "1"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 422);

        let page = body_text(app.send(rugao.get("/outreach")).await).await;
        assert!(page.contains("示范企业（1 家）"), "{page}");
        assert!(page.contains("如皋市机械行业安全生产协作组"));
        let anonymous = axum::http::Request::builder()
            .uri("/portal/models")
            .body(axum::body::Body::empty())
            .expect("request");
        let portal = body_text(app.send(anonymous).await).await;
        assert!(portal.contains("南通华峰机械有限公司"), "{portal}");
        assert!(!portal.contains("如皋市东方五金有限公司</td>"), "{portal}");
        assert!(portal.contains("示范企业现场观摩会"), "{portal}");
        assert!(portal.contains("标准化创建宣传咨询日"), "{portal}");
        // 如东 reads the city's and its own records only.
        let page = body_text(app.send(rudong.get("/outreach")).await).await;
        assert!(!page.contains("示范企业现场观摩会"), "{page}");

        // The item published in error is withdrawn by 如皋, who recorded it, with the reason:
        // not by another district, nor by the city, nor without a reason.
        let item = page_publicity_id(&db).await;
        let withdraw = format!("/outreach/publicity/{item}/withdraw");
        let res = app
            .send(rudong.form(&withdraw, &[("reason", "误登")]))
            .await;
        assert_eq!(res.status(), 404);
        let city = app.session_for("city").await;
        let res = app.send(city.form(&withdraw, &[("reason", "误登")])).await;
        assert_eq!(res.status(), 403);
        let res = app.send(rugao.form(&withdraw, &[("reason", " ")])).await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("请写明撤回的原因"));
        let res = app
            .send(rugao.form(&withdraw, &[("reason", "活动日期登记有误")]))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let anonymous = axum::http::Request::builder()
            .uri("/portal/models")
            .body(axum::body::Body::empty())
            .expect("request");
        let portal = body_text(app.send(anonymous).await).await;
        assert!(
            !portal.contains("标准化创建宣传咨询日"),
            "withdrawn: {portal}"
        );
        let page = body_text(app.send(rugao.get("/outreach")).await).await;
        assert!(
            page.contains("标准化创建宣传咨询日"),
            "kept on file: {page}"
        );
        assert!(page.contains("撤回：活动日期登记有误"), "{page}");
        let res = app
            .send(rugao.form(&withdraw, &[("reason", "再次撤回")]))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("已经撤回"));

        // The open day is cancelled: withdrawn by 如皋 only, it leaves the portal and the
        // figures and stays on file.
        let reach = anbiao_store::training::Reach::City;
        let x = anbiao_store::outreach::exchanges(&db, &reach, 10)
            .await
            .expect("exchanges")[0]
            .id;
        let sums = |db: anbiao_store::Db| async move {
            anbiao_store::outreach::unit_sums(
                &db,
                today - time::Duration::days(365),
                today + time::Duration::days(30),
            )
            .await
            .expect("sums")
            .into_iter()
            .find(|r| r.0.as_deref() == Some("如皋"))
            .map_or((0, 0, 0), |r| (r.1, r.2, r.3))
        };
        assert_eq!(sums(db.clone()).await, (1, 1, 2));
        let withdraw = format!("/outreach/exchanges/{x}/withdraw");
        let res = app
            .send(rudong.form(&withdraw, &[("reason", "误登")]))
            .await;
        assert_eq!(res.status(), 404);
        let res = app.send(city.form(&withdraw, &[("reason", "误登")])).await;
        assert_eq!(res.status(), 403);
        let res = app.send(rugao.form(&withdraw, &[("reason", "")])).await;
        assert_eq!(res.status(), 422);
        let res = app
            .send(rugao.form(&withdraw, &[("reason", "承办企业停产检修")]))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let res = app
            .send(rugao.form(&withdraw, &[("reason", "再次撤回")]))
            .await;
        assert_eq!(res.status(), 422);
        assert_eq!(sums(db.clone()).await, (1, 0, 0));
        let portal_page = || {
            axum::http::Request::builder()
                .uri("/portal/models")
                .body(axum::body::Body::empty())
                .expect("request")
        };
        let portal = body_text(app.send(portal_page()).await).await;
        assert!(
            !portal.contains("示范企业现场观摩会"),
            "cancelled: {portal}"
        );
        let page = body_text(app.send(rugao.get("/outreach")).await).await;
        assert!(page.contains("撤回：承办企业停产检修"), "{page}");

        // The naming is revoked by the city (the district's or the city's to revoke), not by
        // 如东: it leaves the portal and the count, stays on file, and the enterprise may be
        // named again.
        let model = anbiao_store::outreach::models(&db, &reach)
            .await
            .expect("models")[0]
            .id;
        let revoke = format!("/outreach/models/{model}/revoke");
        let res = app.send(rudong.form(&revoke, &[("reason", "误登")])).await;
        assert_eq!(res.status(), 404);
        let res = app.send(city.form(&revoke, &[("reason", " ")])).await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("请写明撤销命名的原因"));
        let res = app
            .send(city.form(&revoke, &[("reason", "发生一般生产安全事故")]))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let res = app
            .send(rugao.form(&revoke, &[("reason", "再次撤销")]))
            .await;
        assert_eq!(res.status(), 422);
        assert!(body_text(res).await.contains("已经撤销"));
        let portal = body_text(app.send(portal_page()).await).await;
        assert!(
            !portal.contains("南通华峰机械有限公司"),
            "revoked: {portal}"
        );
        let page = body_text(app.send(rugao.get("/outreach")).await).await;
        assert!(page.contains("示范企业（0 家）"), "{page}");
        assert!(page.contains("撤销命名：发生一般生产安全事故"), "{page}");
        assert_eq!(sums(db.clone()).await, (0, 0, 0));
        let res = app
            .send(rugao.form(
                "/outreach/models",
                &[
                    ("enterprise", "南通华峰机械有限公司"),
                    ("reason", "整改到位，重新命名"),
                ],
            ))
            .await;
        assert_eq!(res.status(), 204, "{}", body_text(res).await);
        let page = body_text(app.send(rugao.get("/outreach")).await).await;
        assert!(page.contains("示范企业（1 家）"), "{page}");
    })
    .await;
}

/// The id of the one publicity item on file.
async fn page_publicity_id(db: &anbiao_store::Db) -> i64 {
    anbiao_store::outreach::publicity(db, &anbiao_store::training::Reach::City, 10)
        .await
        .expect("publicity")[0]
        .id
}
