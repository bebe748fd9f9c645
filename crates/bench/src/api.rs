//! Setup and verification calls through the public API: one short-lived connection per call, outside the
//! measured load.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, ensure, Context, Result};
use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::StatusCode;
use serde_json::{json, Value};

use crate::client::{self, Endpoint};
use crate::scenario::{Req, IDEMPOTENCY_KEY};

/// Setup calls made at once by [`in_parallel`].
pub const PARALLEL: usize = 32;

/// A product created for a scenario: its id and its one SKU's.
#[derive(Clone, Copy, Debug)]
pub struct Product {
    pub id: i64,
    pub sku_id: i64,
}

/// A logged-in sandbox buyer with one address.
#[derive(Clone, Debug)]
pub struct Buyer {
    pub token: String,
    pub address_id: i64,
}

/// A plain client for one server.
#[derive(Clone)]
pub struct Api {
    ep: Endpoint,
    timeout: Duration,
}

impl Api {
    pub fn new(ep: Endpoint, timeout: Duration) -> Api {
        Api { ep, timeout }
    }

    /// Send one request; any status is returned as is.
    pub async fn send(&self, req: Req) -> Result<(StatusCode, Bytes)> {
        let line = req.line();
        let call = async {
            let (mut sender, conn) = client::connect(&self.ep, self.timeout).await.map_err(|kind| anyhow!(kind))?;
            tokio::spawn(async move {
                // Ends when `sender` is dropped and the connection is idle.
                let _ = conn.await;
            });
            client::exchange(&mut sender, client::build(req, &self.ep))
                .await
                .map_err(|e| anyhow!(client::error_kind(&e)))
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| anyhow!("no answer within {:?}", self.timeout))
            .and_then(|r| r)
            .with_context(|| format!("{line} on {}", self.ep.url))
    }

    /// Send one request that must succeed (2xx) with a JSON answer (or no body).
    pub async fn expect_json(&self, req: Req) -> Result<Value> {
        let line = req.line();
        let (status, body) = self.send(req).await?;
        if !status.is_success() {
            bail!("{line} on {}: HTTP {}: {}", self.ep.url, status.as_u16(), excerpt(&body));
        }
        if body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&body).with_context(|| format!("{line} on {}: the answer is not JSON", self.ep.url))
    }
}

impl Api {
    /// The id of the root category named `name`, created when the shop has none, so that a scenario can run
    /// again against the same server.
    pub async fn root_category(&self, admin_token: &str, name: &str) -> Result<i64> {
        let tree = self
            .expect_json(Req::get("/api/v1/admin/categories")?.bearer(admin_token)?)
            .await
            .context("reading the categories")?;
        let found = tree["items"].as_array().into_iter().flatten().find(|c| c["name"] == name);
        if let Some(id) = found.and_then(|c| c["id"].as_i64()) {
            return Ok(id);
        }
        let created = self
            .expect_json(Req::post("/api/v1/admin/categories")?.bearer(admin_token)?.json(&json!({ "name": name }))?)
            .await
            .context("creating the category")?;
        created["id"].as_i64().context("the category answer has no `id`")
    }

    /// Create an on-shelf product `code` with one SKU (`{code}-1`) of `stock` units at `sale_price` fen (the
    /// original price 10 % above), under an idempotency key of its code.
    pub async fn create_product(
        &self,
        admin_token: &str,
        category_id: i64,
        code: &str,
        title: &str,
        stock: i64,
        sale_price: i64,
    ) -> Result<Product> {
        let mut req = Req::post("/api/v1/admin/products")?.bearer(admin_token)?.json(&json!({
            "product": {"code": code, "category_id": category_id, "title": title, "on_shelf": true},
            "skus": [{"code": format!("{code}-1"), "stock": stock, "original_price": sale_price + sale_price / 10,
                "sale_price": sale_price}],
        }))?;
        req.headers.push((IDEMPOTENCY_KEY, HeaderValue::from_str(&format!("bench-product-{code}"))?));
        let product = self.expect_json(req).await.with_context(|| format!("creating product {code}"))?;
        Ok(Product {
            id: product.pointer("/product/id").and_then(Value::as_i64).context("the product answer has no id")?,
            sku_id: product
                .pointer("/product/skus/0/id")
                .and_then(Value::as_i64)
                .context("the product answer has no SKU id")?,
        })
    }

    /// Log in as sandbox buyer `name` (the server must run in sandbox mode, as `serve --demo` does);
    /// returns the bearer token.
    pub async fn buyer_login(&self, name: &str) -> Result<String> {
        let req = Req::post("/api/v1/shop/auth/wechat")?.json(&json!({ "code": format!("sandbox:{name}") }))?;
        let answer = self.expect_json(req).await.with_context(|| format!("sandbox login of buyer `{name}`"))?;
        token_of(&answer)
    }

    /// Log in as sandbox buyer `name` and give them an address.
    pub async fn buyer_with_address(&self, name: &str) -> Result<Buyer> {
        let token = self.buyer_login(name).await?;
        let address = self
            .expect_json(Req::post("/api/v1/shop/addresses")?.bearer(&token)?.json(&json!({
                "name": "压测", "phone": "13800138000", "province": "浙江省", "city": "杭州市",
                "district": "西湖区", "detail": "1号",
            }))?)
            .await
            .with_context(|| format!("the address of buyer `{name}`"))?;
        let address_id = address.get("id").and_then(Value::as_i64).context("the address answer has no `id`")?;
        Ok(Buyer { token, address_id })
    }

    /// [`Api::buyer_login`] of every name, [`PARALLEL`] at a time; tokens in the order of the names.
    pub async fn buyer_tokens(&self, names: Vec<String>) -> Result<Vec<String>> {
        let api = self.clone();
        in_parallel(names, move |n| {
            let api = api.clone();
            async move { api.buyer_login(&n).await }
        })
        .await
    }

    /// [`Api::buyer_with_address`] of every name, [`PARALLEL`] at a time; in the order of the names.
    pub async fn buyers_with_addresses(&self, names: Vec<String>) -> Result<Vec<Buyer>> {
        let api = self.clone();
        in_parallel(names, move |n| {
            let api = api.clone();
            async move { api.buyer_with_address(&n).await }
        })
        .await
    }

    /// Pay order `order_id` in the sandbox as its buyer: start paying, then complete the payment (202; the
    /// server is notified of it a little later).
    pub async fn pay_in_sandbox(&self, token: &str, order_id: i64) -> Result<()> {
        let pay = self
            .expect_json(
                Req::post(&format!("/api/v1/shop/orders/{order_id}/pay"))?
                    .bearer(token)?
                    .json(&json!({"provider": "sandbox"}))?,
            )
            .await
            .with_context(|| format!("paying order {order_id}"))?;
        let url = pay.get("sandbox_complete_url").and_then(Value::as_str).unwrap_or_default();
        let path = crate::scenario::complete_path(url).context("the pay answer has no sandbox_complete_url")?;
        let (status, body) = self.send(Req::post(path.as_str())?.bearer(token)?.json(&json!({}))?).await?;
        ensure!(
            status == StatusCode::ACCEPTED,
            "completing the sandbox payment of order {order_id}: HTTP {}: {}",
            status.as_u16(),
            excerpt(&body)
        );
        Ok(())
    }
}

/// Run `f` on every item, [`PARALLEL`] calls at a time (each task takes a run of the items in turn); the
/// answers in the order of the items. The first error ends it.
pub async fn in_parallel<T, R, F, Fut>(items: Vec<T>, f: F) -> Result<Vec<R>>
where
    T: Send + 'static,
    R: Send + 'static,
    F: Fn(T) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R>> + Send + 'static,
{
    let f = Arc::new(f);
    let per = items.len().div_ceil(PARALLEL).max(1);
    let mut items = items.into_iter();
    let mut set = tokio::task::JoinSet::new();
    for chunk_no in 0.. {
        let chunk: Vec<T> = items.by_ref().take(per).collect();
        if chunk.is_empty() {
            break;
        }
        let f = f.clone();
        set.spawn(async move {
            let mut out = Vec::with_capacity(chunk.len());
            for item in chunk {
                out.push(f(item).await?);
            }
            Ok::<_, anyhow::Error>((chunk_no, out))
        });
    }
    let mut chunks = Vec::new();
    while let Some(done) = set.join_next().await {
        chunks.push(done.context("a setup task failed")??);
    }
    chunks.sort_by_key(|c| c.0);
    Ok(chunks.into_iter().flat_map(|c| c.1).collect())
}

/// What scenarios get for setup and verification: the API of the first server and the console login.
pub struct Ctx {
    api: Api,
    admin_user: String,
    admin_password: Option<String>,
    connections: usize,
}

impl Ctx {
    pub fn new(api: Api, admin_user: String, admin_password: Option<String>) -> Ctx {
        Ctx { api, admin_user, admin_password, connections: 1 }
    }

    /// The number of connections the load opens (scenarios that prepare one buyer per connection need it).
    pub fn with_connections(mut self, connections: usize) -> Ctx {
        self.connections = connections;
        self
    }

    pub fn connections(&self) -> usize {
        self.connections
    }

    pub fn api(&self) -> &Api {
        &self.api
    }

    pub fn admin_user(&self) -> &str {
        &self.admin_user
    }

    /// Log in to the console API as `--admin-user`; returns the bearer token.
    pub async fn admin_login(&self) -> Result<String> {
        let Some(password) = &self.admin_password else {
            bail!(
                "this scenario logs in to the console as `{}`: pass --admin-password or set MINIMALL_ADMIN_PASSWORD",
                self.admin_user
            );
        };
        let req = Req::post("/api/v1/admin/auth/login")?
            .json(&json!({ "username": self.admin_user, "password": password }))?;
        let answer =
            self.api.expect_json(req).await.with_context(|| format!("console login as `{}`", self.admin_user))?;
        token_of(&answer)
    }

    /// Revoke a console token.
    pub async fn admin_logout(&self, token: &str) -> Result<()> {
        self.api.expect_json(Req::post("/api/v1/admin/auth/logout")?.bearer(token)?).await.map(drop)
    }
}

fn token_of(answer: &Value) -> Result<String> {
    answer
        .get("token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .context("the login answer has no token")
}

/// The start of a body, for error messages.
fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 300;
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_parallel_keeps_the_order_and_stops_at_an_error() {
        let out = in_parallel((0..100).collect(), |i: u32| async move { anyhow::Ok(i * 2) }).await.unwrap();
        assert_eq!(out, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        assert!(in_parallel(Vec::<u32>::new(), |i| async move { anyhow::Ok(i) }).await.unwrap().is_empty());
        let err = in_parallel((0..10).collect(), |i: u32| async move {
            ensure!(i != 7, "no 7");
            Ok(i)
        })
        .await;
        assert!(err.is_err());
    }

    #[test]
    fn tokens_and_excerpts() {
        assert_eq!(token_of(&json!({"token": "mma_x", "expires_at": 1})).unwrap(), "mma_x");
        assert!(token_of(&json!({"token": ""})).is_err());
        assert!(token_of(&json!({"error": {"code": "unauthorized"}})).is_err());
        assert_eq!(excerpt(b"{\"error\":1}"), "{\"error\":1}");
        let long = "é".repeat(400);
        assert_eq!(excerpt(long.as_bytes()).chars().count(), 301);
    }
}
