//! Setup and verification calls through the public API: one short-lived connection per call, outside the
//! measured load.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use hyper::StatusCode;
use serde_json::{json, Value};

use crate::client::{self, Endpoint};
use crate::scenario::Req;

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

    /// Log in as sandbox buyer `name` (the server must run in sandbox mode, as `serve --demo` does);
    /// returns the bearer token.
    pub async fn buyer_login(&self, name: &str) -> Result<String> {
        let req = Req::post("/api/v1/shop/auth/wechat")?.json(&json!({ "code": format!("sandbox:{name}") }))?;
        let answer = self.api.expect_json(req).await.with_context(|| format!("sandbox login of buyer `{name}`"))?;
        token_of(&answer)
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
