//! `admin-me`: `GET /api/v1/admin/me` with a console bearer token: token lookup, one user row and the
//! role's permissions on every request. Setup logs in once as `--admin-user`; afterwards the token must
//! still answer for that user, and it is revoked.

use anyhow::{ensure, Context, Result};
use serde_json::Value;

use super::{Repeat, Req, RequestGen, Scenario};
use crate::api::Ctx;
use crate::report::RunReport;

pub const PATH: &str = "/api/v1/admin/me";

#[derive(Default)]
pub struct AdminMe {
    token: Option<String>,
    request: Option<Req>,
}

impl Scenario for AdminMe {
    fn name(&self) -> &'static str {
        "admin-me"
    }

    fn request_line(&self) -> String {
        format!("GET {PATH}")
    }

    async fn setup(&mut self, ctx: &Ctx) -> Result<()> {
        let token = ctx.admin_login().await?;
        self.request = Some(Req::get(PATH)?.bearer(&token)?);
        self.token = Some(token);
        Ok(())
    }

    fn generator(&self, _conn: usize) -> Box<dyn RequestGen> {
        Box::new(Repeat(self.request.clone().expect("setup runs before the load")))
    }

    async fn verify(&mut self, ctx: &Ctx, _report: &RunReport) -> Result<Vec<String>> {
        let token = self.token.take().context("no token: setup did not run")?;
        let me = ctx.api().expect_json(Req::get(PATH)?.bearer(&token)?).await?;
        let username = me.pointer("/user/username").and_then(Value::as_str).unwrap_or_default();
        ensure!(username == ctx.admin_user(), "GET {PATH} answers for `{username}`, not `{}`", ctx.admin_user());
        let permissions = me.get("permissions").and_then(Value::as_array).map_or(0, Vec::len);
        ctx.admin_logout(&token).await?;
        Ok(vec![
            format!("after the load the token still answers for `{username}` ({permissions} permissions)"),
            "the token was revoked (POST /api/v1/admin/auth/logout)".to_string(),
        ])
    }
}
