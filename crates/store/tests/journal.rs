//! The journal on both databases: postings written in the caller's transaction, running balances equal to a
//! recount of the entries, the trial balance at zero per unit, and accounts that may not go negative
//! refusing a posting (rolling back the business write with it), also when transactions race.

use std::sync::Arc;

use minimall_core::ledger::build::{
    apportion_lines, order_completed, payment_succeeded, points_granted, points_spent, refund_fee, refund_succeeded,
    CostLine, FeeRate, PaymentFacts, RefundFacts, RefundFee, RefundedLine,
};
use minimall_core::ledger::{Account, Entry, Posting, PostingKind, Unit};
use minimall_core::Money;
use minimall_store::journal::{trial_sum, JournalFilter};
use minimall_store::{Store, StoreError};

struct Db {
    store: Store,
    merchant: i64,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

impl Db {
    async fn finish(self) {
        self.store.close().await;
        if let Some((admin, name)) = self.drop_pg {
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
        }
    }
}

async fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.path().join("j.db").display())).await.unwrap();
    store.migrate().await.unwrap();
    let merchant = store.default_merchant().await.unwrap().id;
    Db { store, merchant, _dir: Some(dir), drop_pg: None }
}

async fn postgres(test: &str) -> Option<Db> {
    let Some(admin) = std::env::var("MINIMALL_TEST_PG_URL").ok().filter(|s| !s.is_empty()) else {
        assert!(std::env::var_os("CI").is_none(), "CI runs every PostgreSQL test: set MINIMALL_TEST_PG_URL");
        eprintln!("skipped: MINIMALL_TEST_PG_URL is not set");
        return None;
    };
    sqlx::any::install_default_drivers();
    let name = format!("mm_journal_{test}_{}", std::process::id());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    let store = Store::connect(&format!("{base}/{name}")).await.unwrap();
    store.migrate().await.unwrap();
    let merchant = store.default_merchant().await.unwrap().id;
    Some(Db { store, merchant, _dir: None, drop_pg: Some((admin, name)) })
}

fn m(fen: i64) -> Money {
    Money::from_fen(fen)
}

const T0: i64 = 1_780_000_000_000;
const DAY: i64 = 86_400_000;

/// Payments, partial refunds and completions over three days; the running balances equal a recount, the
/// trial balance is zero per unit, the per-day totals equal the entries of each period, the figures are
/// right to the fen, and lists page.
async fn running_balances_equal_a_recount(db: &Db) {
    let (s, mid) = (&db.store, db.merchant);
    let mut tx = s.begin().await.unwrap();
    s.post(&mut tx, mid, &points_granted("welcome", T0, 5_000, m(5_000)).unwrap().unwrap(), None).await.unwrap();
    tx.commit().await.unwrap();

    let mut expected_clearing = 0i64;
    let mut expected_fees = 0i64;
    for i in 0..9i64 {
        let at = T0 + (i % 3) * DAY + i;
        let lines = apportion_lines(&[(1, m(60_000 + i)), (2, m(30_220))], m(2_000), m(100)).unwrap();
        let shipping = m(800);
        let paid = m(lines.iter().map(|l| l.paid().fen()).sum::<i64>() + shipping.fen());
        let fee = FeeRate::DEFAULT.fee(paid);
        let p = payment_succeeded(&PaymentFacts {
            payment_id: i,
            at_ms: at,
            paid,
            fee,
            shipping,
            lines: &lines,
            coupon: Some("coupon:1"),
        })
        .unwrap()
        .unwrap();
        let mut tx = s.begin().await.unwrap();
        s.post(&mut tx, mid, &p, None).await.unwrap();
        let spent = points_spent(&format!("order:{i}"), at, 100).unwrap().unwrap();
        s.post(&mut tx, mid, &spent, None).await.unwrap();
        tx.commit().await.unwrap();
        expected_clearing += paid.fen() - fee.fen();
        expected_fees += fee.fen();
        if i % 2 == 0 {
            let refund = m(10_000);
            let back = refund_fee(RefundFee::Returned, fee, paid, m(0), refund);
            let lines = [RefundedLine { product_id: 1, amount: m(9_200) }];
            let r = refund_succeeded(&RefundFacts {
                refund_id: i,
                at_ms: at + 1,
                amount: refund,
                shipping: m(800),
                lines: &lines,
                fee_returned: back,
                coupon_returned: m(0),
                coupon: None,
                points_value_returned: m(0),
            })
            .unwrap()
            .unwrap();
            let mut tx = s.begin().await.unwrap();
            s.post(&mut tx, mid, &r, None).await.unwrap();
            tx.commit().await.unwrap();
            expected_clearing += back.fen() - refund.fen();
            expected_fees -= back.fen();
        } else {
            let c = order_completed(i, at + 2, &[CostLine::of(1, m(3_000), 2).unwrap()]).unwrap().unwrap();
            let mut tx = s.begin().await.unwrap();
            s.post(&mut tx, mid, &c, None).await.unwrap();
            tx.commit().await.unwrap();
        }
    }

    let running = s.journal_balances(mid).await.unwrap();
    let recount = s.journal_recount(mid).await.unwrap();
    assert_eq!(running, recount, "running balances equal a recount of the entries");
    assert_eq!(running.len(), Account::ALL.len());
    assert_eq!(trial_sum(&running, Unit::Fen), 0);
    assert_eq!(trial_sum(&running, Unit::Points), 0);
    assert_eq!(s.journal_balance(mid, Account::ProviderClearing).await.unwrap(), expected_clearing);
    assert_eq!(s.journal_balance(mid, Account::PaymentFees).await.unwrap(), expected_fees);
    assert_eq!(s.journal_balance(mid, Account::CouponCost).await.unwrap(), 9 * 2_000);
    assert_eq!(s.journal_balance(mid, Account::PointsLiability).await.unwrap(), 5_000 - 9 * 100);
    assert_eq!(s.journal_balance(mid, Account::CostOfGoods).await.unwrap(), 4 * 6_000);
    assert_eq!(s.journal_balance(mid, Account::Inventory).await.unwrap(), -4 * 6_000);

    let first = minimall_core::time::day_of(T0).unwrap();
    for (from, to) in [(first, first), (first, first + 1), (first - 5, first + 5), (first + 2, first + 2)] {
        assert_eq!(
            s.journal_period_totals(mid, from, to).await.unwrap(),
            s.journal_period_recount(mid, from, to).await.unwrap(),
            "days {from}–{to}"
        );
    }

    let page = s.journal_postings(mid, &JournalFilter::default(), 5, 0).await.unwrap();
    assert_eq!(page.total, 1 + 9 + 9 + 9);
    assert_eq!(page.items.len(), 5);
    assert!(page.items.windows(2).all(|w| w[0].posting.at >= w[1].posting.at), "newest first");
    for p in &page.items {
        assert!(!p.entries.is_empty());
        assert_eq!(p.entries.iter().filter(|e| e.unit == "fen").map(|e| e.amount).sum::<i64>(), 0);
    }
    let rest = s.journal_postings(mid, &JournalFilter::default(), 100, 5).await.unwrap();
    assert_eq!(rest.items.len(), 23);
    let refunds = JournalFilter { kind: Some(PostingKind::RefundSucceeded), ..Default::default() };
    assert_eq!(s.journal_postings(mid, &refunds, 100, 0).await.unwrap().total, 5);
    let cogs = JournalFilter { account: Some(Account::CostOfGoods), from_ms: Some(T0 + DAY), ..Default::default() };
    assert_eq!(s.journal_postings(mid, &cogs, 100, 0).await.unwrap().total, 3);
    let entries = s.journal_account_entries(mid, Account::SalesRefunds, 2, 0).await.unwrap();
    assert_eq!((entries.total, entries.items.len()), (5, 2));

    // The same payment cannot be posted twice.
    let again = s.journal_posting_by_reference(mid, PostingKind::PaymentSucceeded, "payment:0").await.unwrap().unwrap();
    let mut tx = s.begin().await.unwrap();
    let dup = Posting::new(
        PostingKind::PaymentSucceeded,
        "payment:0",
        T0,
        vec![Entry::debit(Account::ProviderClearing, 1), Entry::credit(Account::SalesRevenue, 1)],
    )
    .unwrap();
    assert!(matches!(s.post(&mut tx, mid, &dup, None).await, Err(StoreError::Duplicate(_))));
    drop(tx);
    assert_eq!(s.journal_posting(mid, again.posting.id).await.unwrap().entries, again.entries);

    // A correction names the posting it reverses; together they leave the balances as they were.
    let before = s.journal_balances(mid).await.unwrap();
    let fix =
        Posting::reversal(again.posting.id, &to_entries(&again.entries), T0 + 3 * DAY, "posted in error").unwrap();
    let mut tx = s.begin().await.unwrap();
    let fix_id = s.post(&mut tx, mid, &fix, None).await.unwrap();
    tx.commit().await.unwrap();
    let fixed = s.journal_posting(mid, fix_id).await.unwrap();
    assert_eq!((fixed.posting.corrects, fixed.posting.memo.as_str()), (Some(again.posting.id), "posted in error"));
    let after = s.journal_balances(mid).await.unwrap();
    let clearing = |t: &[minimall_store::journal::AccountTotals]| {
        t.iter().find(|a| a.account == "provider_clearing").map(|a| a.balance).unwrap()
    };
    let first_payment =
        again.entries.iter().filter(|e| e.account == "provider_clearing").map(|e| e.amount).sum::<i64>();
    assert_eq!(clearing(&after), clearing(&before) - first_payment);
    assert_eq!(after, s.journal_recount(mid).await.unwrap());
    // …and only once.
    let mut tx = s.begin().await.unwrap();
    assert!(matches!(s.post(&mut tx, mid, &fix, None).await, Err(StoreError::Duplicate(_))));
}

fn to_entries(rows: &[minimall_store::journal::EntryRow]) -> Vec<Entry> {
    rows.iter()
        .map(|r| {
            let a = Account::from_code(&r.account).unwrap();
            let mut e = match a.unit() {
                Unit::Fen => Entry::debit(a, r.amount),
                Unit::Points => Entry::debit_points(a, r.amount),
            };
            e.product_id = r.product_id;
            e.promotion = r.promotion.clone();
            e
        })
        .collect()
}

fn spend_points(reference: &str, points: i64) -> Posting {
    Posting::new(
        PostingKind::Adjustment,
        reference,
        T0,
        vec![
            Entry::debit_points(Account::PointsLiability, points),
            Entry::credit_points(Account::PointsRedeemed, points),
        ],
    )
    .unwrap()
}

/// A posting that would take the points liability below zero is refused, and the business write of its
/// transaction goes with it.
async fn an_overdraft_rolls_back_the_business_write(db: &Db) {
    let (s, mid) = (&db.store, db.merchant);
    let mut tx = s.begin().await.unwrap();
    s.post(&mut tx, mid, &points_granted("grant", T0, 100, m(100)).unwrap().unwrap(), None).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = s.begin().await.unwrap();
    sqlx::query("UPDATE merchants SET name = 'changed in the same transaction' WHERE id = $1")
        .bind(mid)
        .execute(&mut *tx)
        .await
        .unwrap();
    let e = s.post(&mut tx, mid, &spend_points("spend:1", 101), None).await.unwrap_err();
    assert!(matches!(&e, StoreError::Constraint(msg) if msg.contains("points_liability")), "{e}");
    drop(tx);
    let (name,): (String,) =
        sqlx::query_as("SELECT name FROM merchants WHERE id = $1").bind(mid).fetch_one(s.reader()).await.unwrap();
    assert_ne!(name, "changed in the same transaction");
    assert_eq!(s.journal_balance(mid, Account::PointsLiability).await.unwrap(), 100);
    assert!(s.journal_posting_by_reference(mid, PostingKind::Adjustment, "spend:1").await.unwrap().is_none());
    assert_eq!(s.journal_balances(mid).await.unwrap(), s.journal_recount(mid).await.unwrap());

    // Spending exactly the balance is allowed.
    let mut tx = s.begin().await.unwrap();
    s.post(&mut tx, mid, &spend_points("spend:2", 100), None).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(s.journal_balance(mid, Account::PointsLiability).await.unwrap(), 0);

    // Fee terms per provider: set, replaced, read back; a rate beyond 10 % is refused by the database.
    use minimall_store::journal::FeeSetting;
    assert_eq!(s.payment_fee_setting(s.reader(), mid, "wechat").await.unwrap(), None);
    for (bp, refund_fee) in [(60, "returned"), (38, "kept")] {
        let setting = FeeSetting { provider: "wechat".into(), fee_basis_points: bp, refund_fee: refund_fee.into() };
        let mut tx = s.begin().await.unwrap();
        s.set_payment_fee_setting(&mut tx, mid, &setting).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(s.payment_fee_setting(s.reader(), mid, "wechat").await.unwrap(), Some(setting));
    }
    assert_eq!(s.payment_fee_settings(mid).await.unwrap().len(), 1);
    let mut tx = s.begin().await.unwrap();
    let bad = FeeSetting { provider: "sandbox".into(), fee_basis_points: 1001, refund_fee: "kept".into() };
    assert!(matches!(s.set_payment_fee_setting(&mut tx, mid, &bad).await, Err(StoreError::Constraint(_))));
}

/// Sixteen transactions race to spend 30 of 100 points, each holding its transaction open a moment after
/// posting: exactly three win and the balance ends at 10, never below zero.
async fn racing_overdrafts_one_wins(db: Db) -> Db {
    let (s, mid) = (Arc::new(db.store.clone()), db.merchant);
    let mut tx = s.begin().await.unwrap();
    s.post(&mut tx, mid, &points_granted("race", T0, 100, m(100)).unwrap().unwrap(), None).await.unwrap();
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = s.begin().await.unwrap();
            match s.post(&mut tx, mid, &spend_points(&format!("race:{i}"), 30), None).await {
                Ok(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    tx.commit().await.unwrap();
                    true
                }
                Err(StoreError::Constraint(_)) => false,
                Err(e) => panic!("{e}"),
            }
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.unwrap());
    }
    assert_eq!(won, 3);
    assert_eq!(s.journal_balance(mid, Account::PointsLiability).await.unwrap(), 10);
    assert_eq!(s.journal_balances(mid).await.unwrap(), s.journal_recount(mid).await.unwrap());

    // Two at once for the last 10: one wins.
    let (a, b) = tokio::join!(
        async {
            let mut tx = s.begin().await.unwrap();
            let r = s.post(&mut tx, mid, &spend_points("last:a", 10), None).await;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if r.is_ok() {
                tx.commit().await.unwrap();
            }
            r.is_ok()
        },
        async {
            let mut tx = s.begin().await.unwrap();
            let r = s.post(&mut tx, mid, &spend_points("last:b", 10), None).await;
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if r.is_ok() {
                tx.commit().await.unwrap();
            }
            r.is_ok()
        }
    );
    assert!(a ^ b, "exactly one of two racing transactions wins");
    assert_eq!(s.journal_balance(mid, Account::PointsLiability).await.unwrap(), 0);
    db
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_running_balances_equal_a_recount() {
    let db = sqlite().await;
    running_balances_equal_a_recount(&db).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_running_balances_equal_a_recount() {
    let Some(db) = postgres("recount").await else { return };
    running_balances_equal_a_recount(&db).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_overdraft_rolls_back_the_business_write() {
    let db = sqlite().await;
    an_overdraft_rolls_back_the_business_write(&db).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_overdraft_rolls_back_the_business_write() {
    let Some(db) = postgres("overdraft").await else { return };
    an_overdraft_rolls_back_the_business_write(&db).await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_racing_overdrafts_one_wins() {
    let db = sqlite().await;
    racing_overdrafts_one_wins(db).await.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_racing_overdrafts_one_wins() {
    let Some(db) = postgres("race").await else { return };
    racing_overdrafts_one_wins(db).await.finish().await;
}

/// The opening posting of points held before the journal: run on a shop whose buyers hold points, it makes the
/// points liability equal their balances, and running balances still equal a recount.
async fn opening_points_equal_the_buyers_balances(db: &Db, script: &str) {
    use minimall_store::buyers::BuyerIdentity;
    let (s, mid) = (&db.store, db.merchant);
    let mut tx = s.begin().await.unwrap();
    for (phone, points) in [("13800000001", 150), ("13800000002", 0), ("13800000003", 2_000)] {
        let (b, _) = s.upsert_buyer(&mut tx, mid, BuyerIdentity::Phone(phone), "b", "h5").await.unwrap();
        s.move_points(&mut tx, mid, b.id, points, "welcome", "test").await.unwrap();
    }
    // The opening posting is the script's last part (what comes before it creates tables).
    let (_, script) = script.split_once("-- Points buyers already held").unwrap();
    let (_, script) = script.split_once('\n').unwrap();
    for statement in
        script.split(';').map(str::trim).filter(|q| !q.lines().all(|l| l.trim().is_empty() || l.starts_with("--")))
    {
        sqlx::query(statement).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(s.journal_balance(mid, Account::PointsLiability).await.unwrap(), 2_150);
    assert_eq!(s.journal_balance(mid, Account::PointsGranted).await.unwrap(), 2_150);
    assert_eq!(s.journal_balances(mid).await.unwrap(), s.journal_recount(mid).await.unwrap());
    let day = minimall_core::time::day_of(minimall_store::now_ms()).unwrap();
    assert_eq!(
        s.journal_period_totals(mid, day, day).await.unwrap(),
        s.journal_period_recount(mid, day, day).await.unwrap()
    );
    // Spending them is allowed; spending more is not.
    let mut tx = s.begin().await.unwrap();
    s.post(&mut tx, mid, &spend_points("opening:spend", 2_150), None).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = s.begin().await.unwrap();
    assert!(s.post(&mut tx, mid, &spend_points("opening:more", 1), None).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_opening_points_equal_the_buyers_balances() {
    let db = sqlite().await;
    opening_points_equal_the_buyers_balances(&db, include_str!("../migrations/sqlite/0015_journal_opening_points.sql"))
        .await;
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_opening_points_equal_the_buyers_balances() {
    let Some(db) = postgres("opening").await else { return };
    opening_points_equal_the_buyers_balances(
        &db,
        include_str!("../migrations/postgres/0015_journal_opening_points.sql"),
    )
    .await;
    db.finish().await;
}
