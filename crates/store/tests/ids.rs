//! Ids and order statuses bind and read back as their stored values on both databases, and a status the
//! state machine does not know is refused when it is read rather than passed on as text.

use minimall_core::orders::OrderStatus;
use minimall_core::{OrderId, ProductId, SkuId};
use sqlx::{AnyConnection, Connection};

async fn round_trip(conn: &mut AnyConnection) {
    let (order, sku, product, status): (OrderId, SkuId, ProductId, OrderStatus) =
        sqlx::query_as("SELECT $1, $2, $3, $4")
            .bind(OrderId::new(9_007_199_254_740_993))
            .bind(SkuId::new(7))
            .bind(ProductId::new(-1))
            .bind(OrderStatus::AwaitingGroup)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!((order.get(), sku.get(), product.get()), (9_007_199_254_740_993, 7, -1));
    assert_eq!(status, OrderStatus::AwaitingGroup);
    let (maybe,): (Option<OrderStatus>,) =
        sqlx::query_as("SELECT CAST(NULL AS TEXT)").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(maybe, None);
    let unknown = sqlx::query_as::<_, (OrderStatus,)>("SELECT CAST('paid' AS TEXT)").fetch_one(&mut *conn).await;
    assert!(unknown.is_err(), "an unknown status is refused on reading");
}

#[tokio::test]
async fn ids_and_statuses_round_trip_on_sqlite() {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect("sqlite::memory:").await.unwrap();
    round_trip(&mut conn).await;
}

#[tokio::test]
async fn ids_and_statuses_round_trip_on_postgres() {
    let Some(url) = std::env::var("MINIMALL_TEST_PG_URL").ok().filter(|s| !s.is_empty()) else {
        assert!(std::env::var_os("CI").is_none(), "CI runs every PostgreSQL test: set MINIMALL_TEST_PG_URL");
        eprintln!("skipped: MINIMALL_TEST_PG_URL is not set");
        return;
    };
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(&url).await.unwrap();
    round_trip(&mut conn).await;
}
