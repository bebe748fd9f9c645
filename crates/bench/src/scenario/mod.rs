//! Scenarios: what is loaded, and how it is prepared and checked.
//!
//! A scenario (1) prepares itself through the public HTTP API in [`Scenario::setup`] (logins, data),
//! (2) hands each connection a [`RequestGen`] that yields the requests to send back to back, and
//! (3) may check the server afterwards in [`Scenario::verify`].
//!
//! Adding one: write a module with a type implementing [`Scenario`], add a variant to [`ScenarioName`]
//! (its doc comment is the `--help` text), and a line in [`run`].

mod admin_me;
mod catalog_list;
mod ceiling;
mod checkout;
mod finance_report;
mod flash;
mod group_join;
mod pool;
mod product_detail;
mod segment;

use anyhow::{Context, Result};
use bytes::Bytes;
use clap::ValueEnum;
use hyper::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::http::uri::PathAndQuery;
use hyper::{Method, StatusCode, Uri};
use serde::Serialize;

use crate::api::Ctx;
use crate::report::{Outcome, RunReport};
use crate::runner::{self, RunEnv};

pub use admin_me::AdminMe;
pub use catalog_list::CatalogList;
pub use ceiling::Ceiling;
pub use checkout::Checkout;
pub use finance_report::FinanceReport;
pub use flash::{Flash, FlashOpts};
pub use group_join::GroupJoin;
pub use product_detail::ProductDetail;
pub use segment::Segment;

/// The scenarios, as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScenarioName {
    /// GET /healthz: the server's ceiling, which the other scenarios are divided by.
    Ceiling,
    /// GET /api/v1/admin/me with a console token (logs in as --admin-user first).
    AdminMe,
    /// GET /api/v1/shop/products?page=P&page_size=20[&category_id=C]: the buyers' product list, random
    /// valid pages of the whole shop or of a random category (public, no token).
    CatalogList,
    /// GET /api/v1/shop/products/{id}: the buyers' product detail of random on-shelf products (public).
    ProductDetail,
    /// The buyers' purchase in a loop: POST /api/v1/shop/quote, POST /api/v1/shop/orders, pay (sandbox),
    /// complete the sandbox payment; one buyer per connection, on a product created in setup (logs in as
    /// --admin-user; the server must run in sandbox mode, as `serve --demo` does). With --promoters every
    /// buyer is bound to a promoter of their own who has a team leader, and the shop's distribution rates are
    /// set, so that every paid order earns commission.
    Checkout,
    /// A flash sale under a crowd: setup creates a sale of --stock units (limit --per-buyer each) and logs in
    /// --buyers sandbox buyers; then every connection fires POST /api/v1/shop/flash-sales/{id}/orders at once
    /// and keeps firing after sell-out. Reports orders/s while selling, sold-out refusals/s and `oversold`
    /// read back from the server (must be 0). Use --warmup 0.
    Flash,
    /// The console's finance reports (by day, week and month, per product, per promotion) over the last 30
    /// and 180 days, with a console token (logs in as --admin-user); afterwards each alone, five times, with
    /// its answer times. For a shop generated with `minimall demo --orders N`.
    FinanceReport,
    /// Saved segments over a generated crowd: setup creates seven segments (level, tag, spend band, ordered
    /// within 30 days, region, lifecycle stage, those four together; logs in as --admin-user), the load sends
    /// each one's count and first page of members; afterwards each request from four connections at once, five
    /// times, with its median and slowest answer against 100 ms; the segments are deleted at the end. For a
    /// shop generated with `minimall demo --buyers N --orders M`.
    Segment,
    /// 拼团 group buying's last seats: setup creates a group buy of groups of 20 (logs in as --admin-user),
    /// 100 leaders open a group each and pay (sandbox); then 2,000 buyers, 20 for each group's 19 seats, join
    /// at once (order, pay, complete the sandbox payment), one after another on each connection. Reports
    /// joins/s and p99; afterwards every group must have exactly 20 paid members, and the buyers seated plus
    /// those refunded must equal those who paid. Use --warmup 0 and a --duration long enough for all.
    GroupJoin,
}

/// Options of single scenarios, from the command line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Opts {
    pub flash: FlashOpts,
    /// checkout: every buyer bound to a promoter, and the shop's distribution rates set.
    pub promoters: bool,
}

/// The `Idempotency-Key` header, which order and product creation need.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Run the named scenario: `ceiling` alone, any other after `ceiling` unless `with_ceiling` is false.
pub async fn run(name: ScenarioName, env: &RunEnv, with_ceiling: bool, opts: Opts) -> Result<Outcome> {
    match name {
        ScenarioName::Ceiling => runner::alone(Ceiling, env).await,
        ScenarioName::AdminMe if with_ceiling => runner::against_ceiling(AdminMe::default(), env).await,
        ScenarioName::AdminMe => runner::alone(AdminMe::default(), env).await,
        ScenarioName::CatalogList if with_ceiling => runner::against_ceiling(CatalogList::default(), env).await,
        ScenarioName::CatalogList => runner::alone(CatalogList::default(), env).await,
        ScenarioName::ProductDetail if with_ceiling => runner::against_ceiling(ProductDetail::default(), env).await,
        ScenarioName::ProductDetail => runner::alone(ProductDetail::default(), env).await,
        ScenarioName::Checkout if with_ceiling => runner::against_ceiling(Checkout::new(opts.promoters), env).await,
        ScenarioName::Checkout => runner::alone(Checkout::new(opts.promoters), env).await,
        ScenarioName::Flash if with_ceiling => runner::against_ceiling(Flash::new(opts.flash), env).await,
        ScenarioName::Flash => runner::alone(Flash::new(opts.flash), env).await,
        ScenarioName::FinanceReport if with_ceiling => runner::against_ceiling(FinanceReport::default(), env).await,
        ScenarioName::FinanceReport => runner::alone(FinanceReport::default(), env).await,
        ScenarioName::Segment if with_ceiling => runner::against_ceiling(Segment::default(), env).await,
        ScenarioName::Segment => runner::alone(Segment::default(), env).await,
        ScenarioName::GroupJoin if with_ceiling => runner::against_ceiling(GroupJoin::default(), env).await,
        ScenarioName::GroupJoin => runner::alone(GroupJoin::default(), env).await,
    }
}

/// One kind of load.
pub trait Scenario {
    /// The command-line name, used in reports.
    fn name(&self) -> &'static str;

    /// What one request is, for reports, e.g. `GET /healthz`.
    fn request_line(&self) -> String;

    /// Prepare through the public API before the load starts.
    async fn setup(&mut self, _ctx: &Ctx) -> Result<()> {
        Ok(())
    }

    /// Whether every connection is opened before the first request, so that all fire at one instant.
    fn opens_first(&self) -> bool {
        false
    }

    /// The request source of connection `conn` (0-based); called after [`Scenario::setup`].
    fn generator(&self, conn: usize) -> Box<dyn RequestGen>;

    /// Check the server after the load; the returned lines are printed with the report.
    async fn verify(&mut self, _ctx: &Ctx, _report: &RunReport) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Lines comparing figures of the scenario's own (e.g. from [`Scenario::verify`]) with the ceiling
    /// measured in the same run; added to the report's notes.
    fn against_ceiling(&self, _ceiling: &RunReport) -> Vec<String> {
        Vec::new()
    }
}

/// The requests of one connection, one after another; it also sees every answer, so a scenario can chain
/// requests (use an id from one answer in the next request).
pub trait RequestGen: Send {
    fn next_request(&mut self) -> Req;

    /// Whether this connection has nothing more to send (its load ends before the time or budget does).
    fn finished(&self) -> bool {
        false
    }

    /// Judge an answer: `Ok` counts it as a success, `Err(kind)` as an error of that kind.
    fn check(&mut self, status: StatusCode, _body: &Bytes) -> Result<(), String> {
        if status.is_success() {
            Ok(())
        } else {
            Err(status_kind(status))
        }
    }
}

/// The path of a sandbox completion URL, which may be absolute.
pub fn complete_path(url: &str) -> Option<PathAndQuery> {
    if url.starts_with('/') {
        return PathAndQuery::try_from(url).ok();
    }
    url.parse::<Uri>().ok()?.path_and_query().cloned().filter(|p| p.path().starts_with('/'))
}

/// The error code of a JSON error answer (`{"error": {"code": …}}`).
pub fn error_code(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()?
        .pointer("/error/code")
        .and_then(serde_json::Value::as_str)
        .map(String::from)
}

/// Error kind of an unsuccessful status, e.g. `HTTP 401`.
pub fn status_kind(status: StatusCode) -> String {
    format!("HTTP {}", status.as_u16())
}

/// The same request over and over.
pub struct Repeat(pub Req);

impl RequestGen for Repeat {
    fn next_request(&mut self) -> Req {
        self.0.clone()
    }
}

/// A request as a scenario describes it; the load loop adds `Host`. Cloning is cheap apart from the header list.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: Method,
    /// Path and query, from the server root.
    pub path: PathAndQuery,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Req {
    pub fn new(method: Method, path: &str) -> Result<Req> {
        anyhow::ensure!(path.starts_with('/'), "request path `{path}` must start with /");
        let path = PathAndQuery::try_from(path).with_context(|| format!("invalid request path `{path}`"))?;
        Ok(Req { method, path, headers: Vec::new(), body: Bytes::new() })
    }

    /// A request to a path known at compile time; panics if the path is invalid.
    pub fn fixed(method: Method, path: &'static str) -> Req {
        Req { method, path: PathAndQuery::from_static(path), headers: Vec::new(), body: Bytes::new() }
    }

    pub fn get(path: &str) -> Result<Req> {
        Req::new(Method::GET, path)
    }

    pub fn post(path: &str) -> Result<Req> {
        Req::new(Method::POST, path)
    }

    /// JSON body, with its content type.
    pub fn json(mut self, body: &impl Serialize) -> Result<Req> {
        self.body = Bytes::from(serde_json::to_vec(body)?);
        self.headers.push((CONTENT_TYPE, HeaderValue::from_static("application/json")));
        Ok(self)
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(mut self, token: &str) -> Result<Req> {
        let mut value =
            HeaderValue::from_str(&format!("Bearer {token}")).context("token is not a valid header value")?;
        value.set_sensitive(true);
        self.headers.push((AUTHORIZATION, value));
        Ok(self)
    }

    /// `METHOD /path`, for messages.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        let r = Req::get("/api/v1/admin/me?x=1").unwrap().bearer("abc").unwrap();
        assert_eq!(r.line(), "GET /api/v1/admin/me?x=1");
        assert_eq!(r.headers, vec![(AUTHORIZATION, HeaderValue::from_static("Bearer abc"))]);
        assert!(r.body.is_empty());
        let r = Req::post("/p").unwrap().json(&serde_json::json!({"code": "sandbox:buyer001"})).unwrap();
        assert_eq!(&r.body[..], br#"{"code":"sandbox:buyer001"}"#);
        assert!(Req::get("healthz").is_err());
        assert!(Req::get("/a b").is_err());
        assert!(Req::get("/").unwrap().bearer("bad\ntoken").is_err());
    }

    #[test]
    fn default_check_counts_non_2xx_as_errors() {
        let mut g = Repeat(Req::get("/healthz").unwrap());
        assert_eq!(g.next_request().line(), "GET /healthz");
        assert_eq!(g.check(StatusCode::OK, &Bytes::new()), Ok(()));
        assert_eq!(g.check(StatusCode::NO_CONTENT, &Bytes::new()), Ok(()));
        assert_eq!(g.check(StatusCode::UNAUTHORIZED, &Bytes::new()), Err("HTTP 401".to_string()));
        assert_eq!(g.check(StatusCode::SERVICE_UNAVAILABLE, &Bytes::new()), Err("HTTP 503".to_string()));
    }

    #[test]
    fn names_on_the_command_line() {
        let names: Vec<_> = ScenarioName::value_variants()
            .iter()
            .map(|v| v.to_possible_value().unwrap().get_name().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "ceiling",
                "admin-me",
                "catalog-list",
                "product-detail",
                "checkout",
                "flash",
                "finance-report",
                "segment",
                "group-join"
            ]
        );
        assert_eq!(Ceiling.name(), "ceiling");
        assert_eq!(AdminMe::default().name(), "admin-me");
        assert_eq!(CatalogList::default().name(), "catalog-list");
        assert_eq!(ProductDetail::default().name(), "product-detail");
        assert_eq!(Checkout::default().name(), "checkout");
        assert_eq!(GroupJoin::default().name(), "group-join");
    }

    #[test]
    fn completion_urls_and_error_codes() {
        assert_eq!(
            complete_path("/api/v1/shop/sandbox/payments/X1/complete").unwrap(),
            "/api/v1/shop/sandbox/payments/X1/complete"
        );
        assert_eq!(complete_path("http://127.0.0.1:8080/a/b?c=1").unwrap(), "/a/b?c=1");
        assert!(complete_path("").is_none());
        assert!(complete_path("/a b").is_none());
        assert_eq!(error_code(br#"{"error":{"code":"group_buy.full"}}"#).as_deref(), Some("group_buy.full"));
        assert_eq!(error_code(b"{}"), None);
        assert_eq!(error_code(b"not json"), None);
    }
}
