//! Prometheus metrics at `GET /metrics`: request counts and latencies by route, job outcomes.
//!
//! [`Track`] wraps every route: it counts the answer and records its latency through handles resolved once
//! per method, route and status (no label strings built per request), and answers a query string longer
//! than [`MAX_QUERY_BYTES`] with 414 before the route runs (counted under the route).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, OnceLock, RwLock};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tower::{Layer, Service};

use crate::http::extract::{query_too_long, MAX_QUERY_BYTES};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide recorder (installed once; several servers in one test process share it).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("duration_seconds".into()),
                &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
            )
            .and_then(|b| b.install_recorder())
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle())
    })
}

pub async fn render() -> String {
    handle().render()
}

/// One method and route's handles: its latency histogram and a request counter per status seen.
struct RouteMetrics {
    method: Method,
    route: &'static str,
    duration: Histogram,
    by_status: RwLock<Vec<(u16, Counter)>>,
}

impl RouteMetrics {
    fn record(&self, status: StatusCode, secs: f64) {
        self.duration.record(secs);
        let code = status.as_u16();
        if let Some((_, c)) = self.by_status.read().ok().and_then(|v| v.iter().find(|(s, _)| *s == code).cloned()) {
            c.increment(1);
            return;
        }
        let c = metrics::counter!(
            "http_requests_total",
            "method" => self.method.to_string(),
            "route" => self.route,
            "status" => code.to_string()
        );
        c.increment(1);
        if let Ok(mut v) = self.by_status.write() {
            if !v.iter().any(|(s, _)| *s == code) {
                v.push((code, c));
            }
        }
    }
}

/// The handles of a method and route, made once per process: a route's name and handles live as long as
/// the process (routes are few and fixed).
fn route_metrics(method: &Method, route: &str) -> &'static RouteMetrics {
    thread_local! {
        static LOCAL: std::cell::RefCell<HashMap<&'static str, Vec<&'static RouteMetrics>>> =
            std::cell::RefCell::new(HashMap::new());
    }
    static ALL: OnceLock<Mutex<HashMap<(Method, String), &'static RouteMetrics>>> = OnceLock::new();
    let found = LOCAL.with_borrow(|m| m.get(route).and_then(|v| v.iter().find(|r| r.method == *method).copied()));
    if let Some(r) = found {
        return r;
    }
    let shared = {
        let mut all = ALL.get_or_init(Mutex::default).lock().unwrap_or_else(|p| p.into_inner());
        *all.entry((method.clone(), route.to_string())).or_insert_with(|| {
            let route: &'static str = Box::leak(route.to_string().into_boxed_str());
            Box::leak(Box::new(RouteMetrics {
                method: method.clone(),
                route,
                duration: metrics::histogram!(
                    "http_request_duration_seconds",
                    "method" => method.to_string(),
                    "route" => route
                ),
                by_status: RwLock::default(),
            }))
        })
    };
    LOCAL.with_borrow_mut(|m| m.entry(shared.route).or_default().push(shared));
    shared
}

/// The layer of [`Track`].
#[derive(Clone, Copy, Default)]
pub struct TrackLayer;

impl<S> Layer<S> for TrackLayer {
    type Service = Track<S>;

    fn layer(&self, inner: S) -> Track<S> {
        Track { inner }
    }
}

/// Metrics and the query-length limit of one route (see the module's doc).
#[derive(Clone)]
pub struct Track<S> {
    inner: S,
}

impl<S> Service<Request> for Track<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Unpin,
{
    type Response = Response;
    type Error = Infallible;
    type Future = TrackFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let route = req.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
        let metrics = route_metrics(req.method(), route);
        let start = Instant::now();
        if req.uri().query().is_some_and(|q| q.len() > MAX_QUERY_BYTES) {
            return TrackFuture { inner: None, refused: Some(refuse_long_query(req)), metrics, start };
        }
        TrackFuture { inner: Some(self.inner.call(req)), refused: None, metrics, start }
    }
}

pub struct TrackFuture<F> {
    inner: Option<F>,
    refused: Option<Response>,
    metrics: &'static RouteMetrics,
    start: Instant,
}

impl<F> Future for TrackFuture<F>
where
    F: Future<Output = Result<Response, Infallible>> + Unpin,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let resp = match (this.refused.take(), this.inner.as_mut()) {
            (Some(resp), _) => resp,
            (None, Some(fut)) => match Pin::new(fut).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(resp)) => resp,
                Poll::Ready(Err(never)) => match never {},
            },
            (None, None) => return Poll::Pending,
        };
        this.inner = None;
        this.metrics.record(resp.status(), this.start.elapsed().as_secs_f64());
        Poll::Ready(Ok(resp))
    }
}

/// 414 for a query string longer than [`MAX_QUERY_BYTES`]: the JSON error, or the error page for a browser
/// asking for a page.
fn refuse_long_query(req: Request) -> Response {
    let wants_page = !req.uri().path().starts_with("/api/")
        && req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    if !wants_page {
        return query_too_long().into_response();
    }
    let (parts, _) = req.into_parts();
    crate::web::error_page_in(
        crate::web::page_lang(&parts),
        StatusCode::URI_TOO_LONG,
        "err.bad_request",
        "err.uri_too_long",
    )
}
