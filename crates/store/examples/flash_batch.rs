//! Times grouped flash-order writes on a scratch SQLite database: `cargo run --release -p minimall-store
//! --example flash_batch -- [rows per batch] [batches] [database URL]`. Rows per batch may be a list
//! (`1,37,190`), taken in turn, to see what batches of changing sizes cost. A PostgreSQL URL must name an
//! empty database (the example migrates it and leaves its rows there).

use std::time::Instant;

use minimall_store::flash::{FlashOrderWrite, NewFlashSale};
use minimall_store::Store;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let sizes: Vec<usize> =
        args.next().map(|a| a.split(',').filter_map(|n| n.trim().parse().ok()).collect()).unwrap_or_default();
    let sizes = if sizes.is_empty() { vec![256] } else { sizes };
    let batches: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let size_of = |b: usize| sizes[b % sizes.len()];
    let total: usize = (0..batches).map(size_of).sum();
    let dir = std::env::temp_dir().join(format!("mm-flash-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = args.next().unwrap_or_else(|| format!("sqlite://{}", dir.join("b.db").display()));
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    let merchant = store.default_merchant().await?.id;
    let mut tx = store.begin().await?;
    let cat: (i64,) = sqlx::query_as(
        "INSERT INTO categories (merchant_id, name, parent_id, depth, sort, created_at, updated_at) VALUES ($1, 'c', NULL, 1, 0, 0, 0) RETURNING id",
    )
    .bind(merchant)
    .fetch_one(&mut *tx)
    .await?;
    let product: (i64,) = sqlx::query_as(
        "INSERT INTO products (merchant_id, code, category_id, title, created_at, updated_at) VALUES ($1, 'P', $2, 'p', 0, 0) RETURNING id",
    )
    .bind(merchant)
    .bind(cat.0)
    .fetch_one(&mut *tx)
    .await?;
    let sku: (i64,) = sqlx::query_as(
        "INSERT INTO skus (merchant_id, product_id, code, stock, original_price, sale_price, created_at, updated_at) VALUES ($1, $2, 'S', 10000000, 200, 200, 0, 0) RETURNING id",
    )
    .bind(merchant)
    .bind(product.0)
    .fetch_one(&mut *tx)
    .await?;
    let units = total as i64;
    let sale = store
        .insert_flash_sale(
            &mut tx,
            merchant,
            &NewFlashSale {
                title: "t".into(),
                product_id: product.0,
                starts_at: 1,
                ends_at: i64::MAX / 2,
                per_buyer_limit: 1,
                allow_coupons: false,
                shipping: 0,
                unpaid_timeout_secs: 300,
            },
            &[(sku.0, 100, units)],
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let item: (i64,) =
        sqlx::query_as("SELECT id FROM flash_sale_items WHERE sale_id = $1").bind(sale).fetch_one(&mut *tx).await?;
    let mut buyers = Vec::new();
    let all: Vec<usize> = (0..total).collect();
    for chunk in all.chunks(500) {
        let rows: Vec<String> = (0..chunk.len()).map(|r| format!("($1, ${}, 'b', 't', 0)", r + 2)).collect();
        let sql = format!(
            "INSERT INTO buyers (merchant_id, openid, nickname, channel, created_at) VALUES {} RETURNING id",
            rows.join(", ")
        );
        let mut q = sqlx::query_as::<_, (i64,)>(&sql).bind(merchant);
        for i in chunk {
            q = q.bind(format!("o{i}"));
        }
        let mut ids: Vec<i64> = q.fetch_all(&mut *tx).await?.into_iter().map(|r| r.0).collect();
        ids.sort_unstable();
        buyers.extend(ids);
    }
    minimall_store::commit(tx).await?;
    let render = |w: &FlashOrderWrite, id: i64| format!("{{\"order_id\":{id},\"order_no\":\"{}\"}}", w.order_no);
    let started = Instant::now();
    let mut first = 0;
    for b in 0..batches {
        let rows = size_of(b);
        let writes: Vec<FlashOrderWrite> = (0..rows)
            .map(|r| {
                let n = first + r;
                FlashOrderWrite {
                    merchant_id: merchant,
                    sale_id: sale,
                    item_id: item.0,
                    sku_id: sku.0,
                    product_id: product.0,
                    buyer_id: buyers[n],
                    quantity: 1,
                    order_no: format!("N{n:012}"),
                    title: "p".into(),
                    spec: "[]".into(),
                    image: None,
                    sale_price: 200,
                    flash_price: 100,
                    shipping: 0,
                    address: None,
                    pay_deadline: 0,
                    reservation: format!("r{n}"),
                    idem_scope: format!("s{n}"),
                    idem_key: format!("k{n}"),
                    idem_hash: "h".into(),
                }
            })
            .collect();
        let t = Instant::now();
        store.write_flash_batch(&writes, "order.expire", &render).await?;
        eprintln!("batch {b}: {rows} rows in {:.2} ms", t.elapsed().as_secs_f64() * 1000.0);
        first += rows;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("{total} orders in {secs:.3} s: {:.0} orders/s", total as f64 / secs);
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
