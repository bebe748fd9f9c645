//! Events and their daily rollups, on SQLite and PostgreSQL: batched appends, a rebuild that gives the same rows
//! twice, and a recount from the raw events that finds nothing to report after random events and finds the cells
//! that changed once events arrive after the rollup.

use minimall_core::analytics::events::EventKind;
use minimall_core::time;
use minimall_store::events::{Difference, NewEvent};
use minimall_store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

async fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::connect(&format!("sqlite://{}", dir.path().join("e.db").display())).await.unwrap();
    s.migrate().await.unwrap();
    (dir, s)
}

/// A fresh PostgreSQL database with the migrations applied; `None` without `MINIMALL_TEST_PG_URL`.
async fn postgres(tag: &str) -> Option<Store> {
    let Some(admin) = std::env::var("MINIMALL_TEST_PG_URL").ok().filter(|s| !s.is_empty()) else {
        assert!(std::env::var_os("CI").is_none(), "CI runs every PostgreSQL test: set MINIMALL_TEST_PG_URL");
        eprintln!("skipped on PostgreSQL: MINIMALL_TEST_PG_URL is not set");
        return None;
    };
    sqlx::any::install_default_drivers();
    let name = format!("mm_events_{tag}_{}", std::process::id());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    let s = Store::connect(&format!("{base}/{name}")).await.unwrap();
    s.migrate().await.unwrap();
    Some(s)
}

async fn drop_database(tag: &str) {
    let admin = std::env::var("MINIMALL_TEST_PG_URL").unwrap();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    let name = format!("mm_events_{tag}_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
}

const FIRST_DAY: i64 = 20_420;
const DAYS: i64 = 3;

/// `n` random events over [`DAYS`] days from a few visitors and buyers, channels, campaigns and products; texts
/// include quotes, commas and braces.
fn random_events(rng: &mut StdRng, n: usize) -> Vec<NewEvent> {
    let channels = ["direct", "share", "qr_poster"];
    let campaigns = ["", "双11", "a,b \"c\" {d}"];
    (0..n)
        .map(|_| {
            let kind = EventKind::ALL[rng.gen_range(0..EventKind::ALL.len())];
            let day = FIRST_DAY + rng.gen_range(0..DAYS);
            let at = time::day_start_ms(day).unwrap() + rng.gen_range(0..86_400_000);
            let buyer = rng.gen_bool(0.4).then(|| rng.gen_range(1..40));
            let product = (kind.needs_product() || rng.gen_bool(0.3)).then(|| rng.gen_range(1..12));
            NewEvent {
                kind,
                buyer_id: buyer,
                visitor: (buyer.is_none() || rng.gen_bool(0.5)).then(|| format!("visitor{:04}", rng.gen_range(0..60))),
                session: rng.gen_bool(0.9).then(|| format!("session{:04}", rng.gen_range(0..90))),
                channel: channels[rng.gen_range(0..channels.len())].into(),
                campaign: campaigns[rng.gen_range(0..campaigns.len())].into(),
                promoter_id: rng.gen_bool(0.1).then(|| rng.gen_range(1..5)),
                product_id: product,
                sku_id: product.map(|p| p * 10 + rng.gen_range(0..3)),
                order_id: matches!(kind, EventKind::OrderPaid | EventKind::OrderPlaced)
                    .then(|| rng.gen_range(1..1_000)),
                amount_fen: matches!(kind, EventKind::OrderPaid | EventKind::OrderRefunded)
                    .then(|| rng.gen_range(1..100_000)),
                query: (kind == EventKind::Search).then(|| "连衣裙 \"red\"".to_string()),
                client_at_ms: at - rng.gen_range(0..60_000),
                server_at_ms: at,
            }
        })
        .collect()
}

async fn all_cells(s: &Store, merchant: i64) -> Vec<String> {
    let mut out = Vec::new();
    for day in FIRST_DAY..FIRST_DAY + DAYS {
        out.extend(s.event_day_cells(merchant, day).await.unwrap().into_iter().map(|c| format!("{c:?}")));
        out.extend(s.event_day_reach(merchant, day).await.unwrap().into_iter().map(|c| format!("{c:?}")));
    }
    out
}

async fn rollups_rebuild_and_recount(s: Store) {
    let merchant = s.default_merchant().await.unwrap().id;
    let mut rng = StdRng::seed_from_u64(17);
    let events = random_events(&mut rng, 2_500);
    // Batches of up to 100 as the storefront sends them, and one of 1,500 (two statements).
    let mut written = 0;
    for batch in events[..1_000].chunks(100) {
        written += s.record_events(merchant, batch).await.unwrap();
    }
    written += s.record_events(merchant, &events[1_000..]).await.unwrap();
    assert_eq!(written, 2_500);
    assert_eq!(s.record_events(merchant, &[]).await.unwrap(), 0);

    let (stored,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM events WHERE merchant_id = $1")
        .bind(merchant)
        .fetch_one(s.reader())
        .await
        .unwrap();
    assert_eq!(stored, 2_500);
    let back: (Option<String>, String) =
        sqlx::query_as("SELECT query, campaign FROM events WHERE kind = $1 AND campaign <> '' ORDER BY id LIMIT 1")
            .bind(EventKind::Search.code())
            .fetch_one(s.reader())
            .await
            .unwrap();
    assert_eq!(back.0.as_deref(), Some("连衣裙 \"red\""));

    let first = s.rebuild_event_rollups(merchant, FIRST_DAY, FIRST_DAY + DAYS - 1).await.unwrap();
    assert!(first.cells > 0 && first.reach > 0);
    let rows = all_cells(&s, merchant).await;
    let again = s.rebuild_event_rollups(merchant, FIRST_DAY, FIRST_DAY + DAYS - 1).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(rows, all_cells(&s, merchant).await, "a second rebuild gives the same rows");

    for day in FIRST_DAY..FIRST_DAY + DAYS {
        assert_eq!(s.recount_event_day(merchant, day).await.unwrap(), vec![], "day {day}");
        let want = events.iter().filter(|e| time::day_of(e.server_at_ms) == Some(day)).count() as i64;
        let cells = s.event_day_cells(merchant, day).await.unwrap();
        assert_eq!(cells.values().map(|c| c.events).sum::<i64>(), want, "every event of day {day} in one cell");
        let paid: i64 =
            events.iter().filter(|e| time::day_of(e.server_at_ms) == Some(day)).filter_map(|e| e.amount_fen).sum();
        assert_eq!(cells.values().map(|c| c.amount_fen).sum::<i64>(), paid);
    }

    // Events arriving after the rollup: the recount names the cells that changed, a rebuild of that day alone
    // settles them and leaves the other days as they were.
    let mut late = random_events(&mut rng, 40);
    for e in &mut late {
        e.server_at_ms = time::day_start_ms(FIRST_DAY + 1).unwrap() + 1_000;
    }
    s.record_events(merchant, &late).await.unwrap();
    let diffs = s.recount_event_day(merchant, FIRST_DAY + 1).await.unwrap();
    assert!(!diffs.is_empty());
    assert!(diffs.iter().any(|d| matches!(d, Difference::Cell { .. })));
    assert_eq!(s.recount_event_day(merchant, FIRST_DAY).await.unwrap(), vec![]);
    s.rebuild_event_rollups(merchant, FIRST_DAY + 1, FIRST_DAY + 1).await.unwrap();
    for day in FIRST_DAY..FIRST_DAY + DAYS {
        assert_eq!(s.recount_event_day(merchant, day).await.unwrap(), vec![], "day {day} after the rebuild");
    }

    // Retention: days before the second are deleted in chunks.
    let before = events.iter().filter(|e| time::day_of(e.server_at_ms) == Some(FIRST_DAY)).count() as u64;
    let mut purged = 0;
    loop {
        let n = s.purge_events_before(merchant, FIRST_DAY + 1, 300).await.unwrap();
        purged += n;
        if n == 0 {
            break;
        }
    }
    assert_eq!(purged, before);
}

#[tokio::test]
async fn rollups_on_sqlite() {
    let (_dir, s) = sqlite().await;
    rollups_rebuild_and_recount(s).await;
}

#[tokio::test]
async fn rollups_on_postgres() {
    if let Some(s) = postgres("rollups").await {
        rollups_rebuild_and_recount(s.clone()).await;
        s.close().await;
        drop_database("rollups").await;
    }
}
