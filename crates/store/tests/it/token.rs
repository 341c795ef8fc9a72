//! API tokens: hashed at rest, limited to the owner's permissions, revocable at once.

use anbiao_domain::{Permission, Role};
use anbiao_store::audit_log::{self, Filter};
use anbiao_store::testing::each_backend;
use anbiao_store::token::{self, NewToken, Presented};
use anbiao_store::with_pool;

use crate::account::{admin, create, user};

#[tokio::test]
async fn tokens_are_hashed_limited_and_revocable() {
    each_backend(|db| async move {
        let partner = create(&db, &user("bank", Role::Partner, Some("320682")))
            .await
            .expect("partner");
        let base = NewToken {
            user_id: partner,
            name: "银行数据共享".into(),
            read_only: true,
            permissions: vec![Permission::ViewEnterprises],
            region_code: Some("320682".into()),
            days: 30,
        };
        let (id, secret) = token::issue(&db, &admin(), &base).await.expect("issued");
        assert!(secret.starts_with(token::SECRET_PREFIX));
        // Only the hash is stored.
        let stored: i64 = with_pool!(&db, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM api_token WHERE token_hash = $1"
        )
        .bind(&secret)
        .fetch_one(p)
        .await)
        .expect("count");
        assert_eq!(stored, 0);
        let Presented::Valid(t, u) = token::check(&db, &secret).await.expect("check") else {
            panic!("valid")
        };
        assert_eq!((t.id, u.id), (id, partner));
        assert!(t.allows(Permission::ViewEnterprises));
        assert!(!t.allows(Permission::ExportEnterprises));
        assert!(!t.allows(Permission::EditEnterprises));
        // More than the owner holds, a write permission on a read token, another region.
        for bad in [
            NewToken {
                permissions: vec![Permission::ImportEnterprises],
                read_only: false,
                ..base.clone()
            },
            NewToken {
                permissions: vec![Permission::EditEnterprises],
                ..base.clone()
            },
            NewToken {
                region_code: Some("320685".into()),
                ..base.clone()
            },
            NewToken {
                days: 0,
                ..base.clone()
            },
            NewToken {
                name: " ".into(),
                ..base.clone()
            },
        ] {
            assert!(token::issue(&db, &admin(), &bad).await.is_err(), "{bad:?}");
        }
        assert!(matches!(
            token::check(&db, "abt_0000").await.expect("check"),
            Presented::Unknown
        ));
        token::revoke(&db, &admin(), id, None)
            .await
            .expect("revoked");
        assert!(matches!(
            token::check(&db, &secret).await.expect("check"),
            Presented::Revoked(_)
        ));
        // Someone else's token cannot be revoked as one's own.
        let (other, _) = token::issue(&db, &admin(), &base).await.expect("issued");
        assert!(
            token::revoke(&db, &admin(), other, Some(partner + 1000))
                .await
                .is_err()
        );
        let issued = Filter {
            action: Some("token.".into()),
            ..Default::default()
        };
        assert_eq!(audit_log::count(&db, &issued).await.expect("count"), 3);
    })
    .await;
}
