//! `product-detail`: `GET /api/v1/shop/products/{id}` for random on-shelf products (with SKUs, prices,
//! stock and category path). Public: no token. Setup pages through the buyers' product list to collect
//! every on-shelf product id; afterwards a sample of them must still answer for the same product.

use std::collections::BTreeSet;

use anyhow::{ensure, Context, Result};
use serde_json::Value;

use super::catalog_list::PRODUCTS;
use super::pool::{item_ids, pages, total_of, Pool};
use super::{Req, RequestGen, Scenario};
use crate::api::Ctx;
use crate::report::{group, RunReport};

/// Products per setup page (the most the server gives).
const SETUP_PAGE_SIZE: u64 = 100;
/// Products checked after the load.
const VERIFY_SAMPLE: usize = 16;

#[derive(Default)]
pub struct ProductDetail {
    ids: Vec<i64>,
    pool: Pool,
}

impl Scenario for ProductDetail {
    fn name(&self) -> &'static str {
        "product-detail"
    }

    fn request_line(&self) -> String {
        format!("GET {PRODUCTS}/{{id}}")
    }

    async fn setup(&mut self, ctx: &Ctx) -> Result<()> {
        let api = ctx.api();
        let mut ids = Vec::new();
        let mut page = 1;
        loop {
            let answer =
                api.expect_json(Req::get(&format!("{PRODUCTS}?page_size={SETUP_PAGE_SIZE}&page={page}"))?).await?;
            let total = total_of(&answer)?;
            let found = item_ids(&answer).with_context(|| format!("page {page} of the product list"))?;
            let empty = found.is_empty();
            ids.extend(found);
            if empty || page >= pages(total, SETUP_PAGE_SIZE) {
                break;
            }
            page += 1;
        }
        self.ids = distinct(ids);
        ensure!(!self.ids.is_empty(), "the shop has no on-shelf product (start the server with `serve --demo`)");
        self.pool = Pool::of_paths(&self.ids.iter().map(|id| path(*id)).collect::<Vec<_>>())?;
        Ok(())
    }

    fn generator(&self, conn: usize) -> Box<dyn RequestGen> {
        Box::new(self.pool.generator(conn))
    }

    async fn verify(&mut self, ctx: &Ctx, _report: &RunReport) -> Result<Vec<String>> {
        let step = (self.ids.len() / VERIFY_SAMPLE).max(1);
        let mut checked = 0;
        for &id in self.ids.iter().step_by(step) {
            let p = ctx.api().expect_json(Req::get(&path(id))?).await?;
            ensure!(p.get("id").and_then(Value::as_i64) == Some(id), "GET {} answers another product", path(id));
            ensure!(p.get("on_shelf").and_then(Value::as_bool) == Some(true), "product {id} is no longer on shelf");
            checked += 1;
        }
        Ok(vec![
            format!("pool: {} on-shelf products, one URL each", group(self.ids.len() as u64)),
            format!("after the load {checked} sampled products still answer, on shelf"),
        ])
    }
}

pub fn path(id: i64) -> String {
    format!("{PRODUCTS}/{id}")
}

/// The ids without repeats (a product can move between pages while setup reads them), in order.
fn distinct(ids: Vec<i64>) -> Vec<i64> {
    let mut seen = BTreeSet::new();
    ids.into_iter().filter(|id| seen.insert(*id)).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_from_list_pages() {
        let page = json!({
            "items": [{"id": 12, "code": "P12", "on_shelf": true}, {"id": 7, "code": "P7", "on_shelf": true}],
            "total": 2, "page": 1, "page_size": 100
        });
        assert_eq!(item_ids(&page).unwrap(), [12, 7]);
        assert_eq!(distinct(vec![12, 7, 12, 3, 7]), [12, 7, 3]);
        assert_eq!(path(12), "/api/v1/shop/products/12");
    }

    #[test]
    fn generator_picks_products_of_the_pool() {
        let ids: Vec<i64> = (1..=50).collect();
        let s =
            ProductDetail { pool: Pool::of_paths(&ids.iter().map(|id| path(*id)).collect::<Vec<_>>()).unwrap(), ids };
        let mut g = s.generator(0);
        let mut seen = BTreeSet::new();
        for _ in 0..1000 {
            let r = g.next_request();
            let id: i64 = r.path.as_str().rsplit('/').next().unwrap().parse().unwrap();
            assert!((1..=50).contains(&id));
            seen.insert(id);
        }
        assert_eq!(seen.len(), 50, "every product is asked for");
    }
}
