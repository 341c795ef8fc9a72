use anbiao_domain::{Role, SignInPolicy};
use anbiao_store::StoreError;
use anbiao_store::account::{self, NewUser, SignIn};
use anbiao_store::audit_log::Actor;
use anbiao_store::session;
use anbiao_store::testing::each_backend;

pub fn user(name: &str, role: Role, region: Option<&str>) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: name.into(),
        password: "Anbiao#2018".into(),
        role,
        region_code: region.map(str::to_string),
        township: None,
        enterprise_id: None,
        must_change_password: false,
    }
}

pub fn admin() -> Actor {
    Actor::new("tester", "cli")
}

pub async fn create(db: &anbiao_store::Db, u: &NewUser) -> Result<i64, StoreError> {
    account::create(db, &admin(), u, &SignInPolicy::default()).await
}

pub async fn sign_in(db: &anbiao_store::Db, name: &str, pw: &str) -> SignIn {
    account::sign_in(db, name, pw, &SignInPolicy::default(), "10.0.0.9", "form")
        .await
        .expect("ran")
}

#[tokio::test]
async fn users_authenticate_with_argon2() {
    each_backend(|db| async move {
        let id = create(&db, &user("rugao", Role::DistrictOfficer, Some("320682")))
            .await
            .expect("created");
        let SignIn::Ok(u) = sign_in(&db, "rugao", "Anbiao#2018").await else {
            panic!("signed in")
        };
        assert_eq!(u.id, id);
        assert!(u.password_hash.starts_with("$argon2id$"));
        assert!(matches!(
            sign_in(&db, "rugao", "wrong").await,
            SignIn::Failed
        ));
        assert!(matches!(
            sign_in(&db, "nobody", "Anbiao#2018").await,
            SignIn::Failed
        ));
        let weak = create(
            &db,
            &NewUser {
                password: "abcdefgh1".into(),
                ..user("weak", Role::CityOfficer, None)
            },
        )
        .await
        .expect_err("weak password");
        assert!(weak.to_string().contains("至少8位"), "{weak}");
        let dup = create(&db, &user("rugao", Role::CityOfficer, None))
            .await
            .expect_err("dup");
        assert!(matches!(dup, StoreError::Conflict(_)));
        let no_region = create(&db, &user("x", Role::DistrictOfficer, None))
            .await
            .expect_err("region");
        assert!(matches!(no_region, StoreError::Invalid(_)));
        let bad_region = create(&db, &user("y", Role::DistrictOfficer, Some("999999")))
            .await
            .expect_err("region");
        assert!(bad_region.to_string().contains("999999"));
    })
    .await;
}

#[tokio::test]
async fn sessions_expire_and_end() {
    each_backend(|db| async move {
        let id = create(&db, &user("city", Role::CityOfficer, None))
            .await
            .expect("created");
        let (sid, csrf) = session::create(&db, id, 1800).await.expect("session");
        let s = session::touch(&db, &sid, 1800, 43_200)
            .await
            .expect("ran")
            .expect("live");
        assert_eq!((s.user_id, s.csrf_token.as_str()), (id, csrf.as_str()));
        assert!(
            session::touch(&db, "forged", 1800, 43_200)
                .await
                .expect("ran")
                .is_none()
        );
        session::delete(&db, &sid).await.expect("deleted");
        assert!(
            session::touch(&db, &sid, 1800, 43_200)
                .await
                .expect("ran")
                .is_none()
        );
        let (old, _) = session::create(&db, id, -1).await.expect("session");
        assert!(
            session::touch(&db, &old, 1800, 43_200)
                .await
                .expect("ran")
                .is_none()
        );
        assert_eq!(session::purge_expired(&db).await.expect("purged"), 1);
    })
    .await;
}
