//! `catalog-list`: the buyers' product list, `GET /api/v1/shop/products?page=P&page_size=20[&category_id=C]`,
//! over random valid pages of the whole shop and of random categories (leaf and inner ones). Public: no
//! token. Setup reads the category tree and the number of on-shelf products of the shop and of each
//! category, then builds a pool of request paths that the connections pick from at random. Afterwards a
//! sample of the pool must still answer with non-empty pages, and the shop's total must be unchanged.

use std::collections::BTreeSet;

use anyhow::{ensure, Context, Result};
use serde_json::Value;

use super::pool::{pages, total_of, Pool, SplitMix};
use super::{Req, RequestGen, Scenario};
use crate::api::Ctx;
use crate::report::{group, RunReport};

pub const PRODUCTS: &str = "/api/v1/shop/products";
pub const CATEGORIES: &str = "/api/v1/shop/categories";
/// Products per page, as a mini-program asks for them.
pub const PAGE_SIZE: u64 = 20;
/// Requests in the pool.
pub const POOL_SIZE: usize = 4096;
/// One request in this many lists the whole shop; the others one category.
pub const WHOLE_SHOP_ONE_IN: usize = 4;
/// The server refuses deeper pages.
const MAX_PAGE: u64 = 10_000;
/// Pool entries checked after the load.
const VERIFY_SAMPLE: usize = 16;
const SEED: u64 = 0xCA7A_1065;

/// One list request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub category: Option<i64>,
    pub page: u64,
}

impl Entry {
    pub fn path(&self) -> String {
        match self.category {
            Some(c) => format!("{PRODUCTS}?page={}&page_size={PAGE_SIZE}&category_id={c}", self.page),
            None => format!("{PRODUCTS}?page={}&page_size={PAGE_SIZE}", self.page),
        }
    }
}

#[derive(Default)]
pub struct CatalogList {
    /// On-shelf products of the whole shop, at setup.
    total: u64,
    /// Categories with on-shelf products (own or in descendants), with their count.
    categories: Vec<(i64, u64)>,
    /// Categories in the tree, with or without products.
    categories_in_tree: usize,
    entries: Vec<Entry>,
    pool: Pool,
}

impl Scenario for CatalogList {
    fn name(&self) -> &'static str {
        "catalog-list"
    }

    fn request_line(&self) -> String {
        format!("GET {PRODUCTS}?page=P&page_size={PAGE_SIZE}[&category_id=C]")
    }

    async fn setup(&mut self, ctx: &Ctx) -> Result<()> {
        let api = ctx.api();
        let tree = api.expect_json(Req::get(CATEGORIES)?).await?;
        let ids = category_ids(&tree).context("reading the category tree")?;
        let first = api.expect_json(Req::get(&format!("{PRODUCTS}?page_size=100"))?).await?;
        self.total = total_of(&first)?;
        ensure!(self.total > 0, "the shop has no on-shelf product (start the server with `serve --demo`)");
        self.categories_in_tree = ids.len();
        self.categories.clear();
        for id in ids {
            let answer = api.expect_json(Req::get(&format!("{PRODUCTS}?page_size=1&category_id={id}"))?).await?;
            let n = total_of(&answer).with_context(|| format!("category {id}"))?;
            if n > 0 {
                self.categories.push((id, n));
            }
        }
        self.entries = build_pool(self.total, &self.categories, POOL_SIZE, SEED);
        let paths: Vec<String> = self.entries.iter().map(Entry::path).collect();
        self.pool = Pool::of_paths(&paths)?;
        Ok(())
    }

    fn generator(&self, conn: usize) -> Box<dyn RequestGen> {
        Box::new(self.pool.generator(conn))
    }

    async fn verify(&mut self, ctx: &Ctx, _report: &RunReport) -> Result<Vec<String>> {
        let api = ctx.api();
        let step = (self.entries.len() / VERIFY_SAMPLE).max(1);
        let mut checked = 0;
        for e in self.entries.iter().step_by(step) {
            let answer = api.expect_json(Req::get(&e.path())?).await?;
            let items = answer.get("items").and_then(Value::as_array).map_or(0, Vec::len);
            ensure!(items > 0, "GET {} answers an empty page", e.path());
            checked += 1;
        }
        let total = total_of(&api.expect_json(Req::get(&format!("{PRODUCTS}?page_size=1"))?).await?)?;
        ensure!(total == self.total, "the shop had {} on-shelf products at setup, now {total}", self.total);
        let distinct: BTreeSet<&Entry> = self.entries.iter().collect();
        let whole_shop = self.entries.iter().filter(|e| e.category.is_none()).count();
        Ok(vec![
            format!(
                "pool: {} requests over {} distinct URLs; {} on-shelf products ({} pages), {} of {} categories with products; {} requests list the whole shop",
                group(self.entries.len() as u64),
                group(distinct.len() as u64),
                group(self.total),
                pages(self.total, PAGE_SIZE),
                self.categories.len(),
                self.categories_in_tree,
                group(whole_shop as u64),
            ),
            format!("after the load {checked} sampled requests answer non-empty pages and the shop still has {total} on-shelf products"),
        ])
    }
}

/// Every category id in a `GET /api/v1/shop/categories` answer (`{"items":[{"id","children":[…]}]}`),
/// parents before their children.
pub fn category_ids(tree: &Value) -> Result<Vec<i64>> {
    fn walk(nodes: &[Value], out: &mut Vec<i64>) -> Result<()> {
        for node in nodes {
            out.push(node.get("id").and_then(Value::as_i64).context("a category has no `id`")?);
            if let Some(children) = node.get("children") {
                walk(children.as_array().context("`children` is not a list")?, out)?;
            }
        }
        Ok(())
    }
    let roots = tree.get("items").and_then(Value::as_array).context("the answer has no `items` list")?;
    let mut out = Vec::new();
    walk(roots, &mut out)?;
    Ok(out)
}

/// `size` list requests: one in [`WHOLE_SHOP_ONE_IN`] over the whole shop (`total` products), the others
/// over a uniformly chosen category of `categories` (id, products); pages uniform among the valid ones.
pub fn build_pool(total: u64, categories: &[(i64, u64)], size: usize, seed: u64) -> Vec<Entry> {
    let mut rng = SplitMix::new(seed);
    let page_in = |rng: &mut SplitMix, n: u64| 1 + rng.below(pages(n, PAGE_SIZE).min(MAX_PAGE) as usize) as u64;
    (0..size)
        .map(|_| {
            if categories.is_empty() || rng.below(WHOLE_SHOP_ONE_IN) == 0 {
                Entry { category: None, page: page_in(&mut rng, total) }
            } else {
                let (id, n) = categories[rng.below(categories.len())];
                Entry { category: Some(id), page: page_in(&mut rng, n) }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    /// The shape of the demo shop's answer, trimmed.
    fn sample_tree() -> Value {
        json!({
            "items": [
                {"id": 1, "parent_id": null, "name": "数码", "sort": 0, "depth": 0, "children": [
                    {"id": 4, "parent_id": 1, "name": "手机", "sort": 0, "depth": 1, "children": []},
                    {"id": 5, "parent_id": 1, "name": "电脑", "sort": 0, "depth": 1, "children": [
                        {"id": 9, "parent_id": 5, "name": "笔记本", "sort": 0, "depth": 2, "children": []}
                    ]}
                ]},
                {"id": 2, "parent_id": null, "name": "食品", "sort": 0, "depth": 0, "children": []}
            ],
            "total": 5
        })
    }

    #[test]
    fn flattens_the_category_tree() {
        assert_eq!(category_ids(&sample_tree()).unwrap(), [1, 4, 5, 9, 2]);
        assert_eq!(category_ids(&json!({"items": [], "total": 0})).unwrap(), Vec::<i64>::new());
        assert!(category_ids(&json!({"total": 0})).is_err());
        assert!(category_ids(&json!({"items": [{"name": "no id"}]})).is_err());
        assert!(category_ids(&json!({"items": [{"id": 1, "children": {}}]})).is_err());
    }

    #[test]
    fn paths() {
        assert_eq!(Entry { category: None, page: 3 }.path(), "/api/v1/shop/products?page=3&page_size=20");
        assert_eq!(
            Entry { category: Some(17), page: 1 }.path(),
            "/api/v1/shop/products?page=1&page_size=20&category_id=17"
        );
        assert!(Req::get(&Entry { category: Some(17), page: 1 }.path()).is_ok());
    }

    #[test]
    fn pool_has_valid_pages_only_and_covers_them() {
        let cats = [(1, 95), (4, 20), (5, 75), (9, 41), (2, 1)];
        let pool = build_pool(1200, &cats, POOL_SIZE, SEED);
        assert_eq!(pool.len(), POOL_SIZE);
        assert_eq!(pool, build_pool(1200, &cats, POOL_SIZE, SEED), "the same seed gives the same pool");
        let totals: BTreeMap<Option<i64>, u64> =
            cats.iter().map(|&(c, n)| (Some(c), n)).chain([(None, 1200)]).collect();
        for e in &pool {
            let last = pages(totals[&e.category], PAGE_SIZE);
            assert!((1..=last).contains(&e.page), "{e:?} beyond page {last}");
        }
        // Every valid page shows up: 60 + 5 + 1 + 4 + 3 + 1.
        let distinct: BTreeSet<&Entry> = pool.iter().collect();
        assert_eq!(distinct.len(), 74);
        let whole_shop = pool.iter().filter(|e| e.category.is_none()).count();
        assert!((900..1150).contains(&whole_shop), "{whole_shop} of {POOL_SIZE} list the whole shop");
        for (c, _) in cats {
            let n = pool.iter().filter(|e| e.category == Some(c)).count();
            assert!((500..750).contains(&n), "category {c}: {n} requests");
        }
    }

    #[test]
    fn pool_without_categories_lists_the_whole_shop() {
        let pool = build_pool(45, &[], 100, 1);
        assert!(pool.iter().all(|e| e.category.is_none() && (1..=3).contains(&e.page)));
        // Deep pages are capped where the server refuses them.
        let pool = build_pool(10_000_000, &[], 1000, 1);
        assert!(pool.iter().all(|e| e.page <= MAX_PAGE));
    }

    #[test]
    fn generator_walks_the_pool() {
        let mut s = CatalogList::default();
        s.entries = build_pool(1200, &[(4, 30)], 64, 2);
        s.pool = Pool::of_paths(&s.entries.iter().map(Entry::path).collect::<Vec<_>>()).unwrap();
        let mut g = s.generator(3);
        for _ in 0..100 {
            let r = g.next_request();
            assert_eq!(r.method, hyper::Method::GET);
            assert!(r.path.as_str().starts_with("/api/v1/shop/products?page="), "{}", r.line());
            assert!(r.headers.is_empty(), "public: no token");
        }
    }
}
