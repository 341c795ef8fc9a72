use axum::body::Body;
use axum::http::{Request, header};
use serde_json::json;

use anbiao_store::testing::each_backend;

use crate::{TestApp, body_json, code, count};

#[tokio::test]
async fn health_and_openapi() {
    each_backend(|db| async move {
        let app = TestApp::new(db).await;
        let res = app
            .send(Request::get("/healthz").body(Body::empty()).expect("req"))
            .await;
        assert_eq!(res.status(), 200);
        let res = app
            .send(
                Request::get("/api/v1/openapi.json")
                    .body(Body::empty())
                    .expect("req"),
            )
            .await;
        assert_eq!(res.status(), 200);
        let doc = body_json(res).await;
        assert!(doc["paths"]["/api/v1/enterprises"]["get"].is_object());
        assert!(doc["paths"]["/api/v1/enterprises/{id}"]["patch"].is_object());
        assert!(doc["components"]["schemas"]["EnterpriseBody"].is_object());
    })
    .await;
}

#[tokio::test]
async fn anonymous_and_forged_sessions_get_no_data() {
    each_backend(|db| async move {
        let app = TestApp::new(db).await;
        let res = app
            .send(
                Request::get("/api/v1/enterprises")
                    .body(Body::empty())
                    .expect("req"),
            )
            .await;
        assert_eq!(res.status(), 401);
        let body = body_json(res).await;
        assert_eq!(body["code"], "unauthenticated");
        assert_eq!(body["message"], "请先登录");
        let forged = Request::get("/api/v1/enterprises")
            .header(header::COOKIE, "anbiao_sid=deadbeef")
            .body(Body::empty())
            .expect("req");
        assert_eq!(app.send(forged).await.status(), 401);
        let bad_login = Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"username": "city", "password": "wrong"}).to_string(),
            ))
            .expect("req");
        let res = app.send(bad_login).await;
        assert_eq!(res.status(), 401);
        let message = body_json(res).await["message"].as_str().map(str::to_string);
        assert!(message.is_some_and(|m| m.starts_with("用户名或密码错误")));
        // Signing out ends the session on the server.
        let s = app.login("city").await;
        let res = app
            .send(s.json("DELETE", "/api/v1/session", json!({})))
            .await;
        assert_eq!(res.status(), 204);
        assert_eq!(app.send(s.get("/api/v1/enterprises")).await.status(), 401);
    })
    .await;
}

#[tokio::test]
async fn create_get_update_with_field_errors() {
    each_backend(|db| async move {
        let app = TestApp::new(db.clone()).await;
        let s = app.login("rugao").await;
        let c = code("320682", 1);
        let body = json!({
            "credit_code": c.to_lowercase(), "name": "如皋恒力机械有限公司", "region_code": "如皋市",
            "industry_code": "机械行业", "annual_sales_wan": 2500, "employees": "120", "township": "如城街道"
        });
        let res = app.send(s.json("POST", "/api/v1/enterprises", body)).await;
        assert_eq!(res.status(), 201);
        let e = body_json(res).await;
        assert_eq!(e["credit_code"], c);
        assert_eq!(e["region_name"], "如皋市");
        assert_eq!(e["industry_name"], "机械");
        assert_eq!(e["scale_label"], "规模以上");
        let id = e["id"].as_i64().expect("id");

        // Unknown field: named, nothing written.
        let res = app.send(s.json("POST", "/api/v1/enterprises", json!({"name": "x", "colour": "red"}))).await;
        assert_eq!(res.status(), 400);
        let err = body_json(res).await;
        assert_eq!(err["field"], "colour");
        assert_eq!(err["code"], "bad_request");
        // Wrong type: named.
        let res = app.send(s.json("POST", "/api/v1/enterprises", json!({"name": 5}))).await;
        assert_eq!(res.status(), 400);
        assert_eq!(body_json(res).await["field"], "name");
        // Invalid values: every field error listed.
        let res = app
            .send(s.json("POST", "/api/v1/enterprises", json!({"credit_code": "123", "name": "", "region_code": "如皋", "industry_code": "化工"})))
            .await;
        assert_eq!(res.status(), 422);
        let err = body_json(res).await;
        assert_eq!(err["field"], "credit_code");
        let fields: Vec<&str> = err["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
        assert_eq!(fields, ["credit_code", "name", "industry_code"]);
        // Not JSON at all.
        let req = Request::post("/api/v1/enterprises")
            .header(header::COOKIE, &s.cookie)
            .header("x-csrf-token", &s.csrf)
            .body(Body::from("{not json"))
            .expect("req");
        assert_eq!(app.send(req).await.status(), 400);
        // Outside the district.
        let res = app
            .send(s.json("POST", "/api/v1/enterprises", json!({"credit_code": code("320623", 2), "name": "如东企业", "region_code": "如东", "industry_code": "纺织"})))
            .await;
        assert_eq!(res.status(), 400);
        assert!(body_json(res).await["message"].as_str().unwrap_or("").contains("管辖范围"));
        assert_eq!(count(&db).await, 1);

        // Partial update with the version read; a stale version is refused.
        let res = app.send(s.json("PATCH", &format!("/api/v1/enterprises/{id}"), json!({"employees": 10, "version": 1}))).await;
        // Staff figures decide the size class: an officer changes them with a reason.
        assert_eq!(res.status(), 400);
        assert!(body_json(res).await["message"].as_str().unwrap_or("").contains("修改原因"));
        let res = app.send(s.json("PATCH", &format!("/api/v1/enterprises/{id}"), json!({"employees": 10, "version": 1, "change_reason": "据2018年年报更新从业人数"}))).await;
        assert_eq!(res.status(), 200);
        let e = body_json(res).await;
        assert_eq!(e["employees"], 10);
        assert_eq!(e["name"], "如皋恒力机械有限公司");
        assert_eq!(e["version"], 2);
        let res = app.send(s.json("PATCH", &format!("/api/v1/enterprises/{id}"), json!({"employees": 11, "version": 1}))).await;
        assert_eq!(res.status(), 409);

        // Another district cannot read or change it.
        let other = app.login("rudong").await;
        assert_eq!(app.send(other.get(&format!("/api/v1/enterprises/{id}"))).await.status(), 404);
        let res = app.send(other.json("PATCH", &format!("/api/v1/enterprises/{id}"), json!({"employees": 1}))).await;
        assert_eq!(res.status(), 404);
        assert_eq!(app.send(other.get("/api/v1/enterprises/notanumber")).await.status(), 404);
        // An administrator reads no business data.
        let admin = app.login("sysadmin").await;
        let res = app.send(admin.get("/api/v1/enterprises")).await;
        assert_eq!(res.status(), 403);
        assert_eq!(body_json(res).await["code"], "forbidden");
    })
    .await;
}

#[tokio::test]
async fn list_filters_and_bad_parameters() {
    each_backend(|db| async move {
        let app = TestApp::new(db).await;
        let city = app.login("city").await;
        for (i, (region, industry, name)) in
            [("320682", "机械", "如皋甲机械"), ("320682", "纺织", "如皋乙纺织"), ("320623", "纺织", "如东丙纺织")].iter().enumerate()
        {
            let body = json!({"credit_code": code(region, i as u32), "name": name, "region_code": region, "industry_code": industry});
            assert_eq!(app.send(city.json("POST", "/api/v1/enterprises", body)).await.status(), 201);
        }
        let res = app.send(city.get("/api/v1/enterprises?industry=%E7%BA%BA%E7%BB%87&sort=name&dir=desc")).await;
        let list = body_json(res).await;
        assert_eq!(list["total"], 2);
        assert_eq!(list["items"][0]["name"], "如皋乙纺织");
        let res = app.send(city.get("/api/v1/enterprises?region=320623")).await;
        assert_eq!(body_json(res).await["total"], 1);
        let rugao = app.login("rugao").await;
        let res = app.send(rugao.get("/api/v1/enterprises")).await;
        assert_eq!(body_json(res).await["total"], 2);
        // Asking for another region inside a district scope yields nothing, never their rows.
        let res = app.send(rugao.get("/api/v1/enterprises?region=320623")).await;
        assert_eq!(body_json(res).await["total"], 0);
        for (param, field) in [("size=huge", "size"), ("sort=colour", "sort"), ("page=0", "page"), ("per_page=9999", "per_page"), ("region=苏州", "region")] {
            let uri = format!("/api/v1/enterprises?{}", param.replace("苏州", "%E8%8B%8F%E5%B7%9E"));
            let res = app.send(city.get(&uri)).await;
            assert_eq!(res.status(), 400, "{param}");
            assert_eq!(body_json(res).await["field"], field, "{param}");
        }
    })
    .await;
}
