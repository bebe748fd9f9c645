//! What every request passes around the router, in one service without boxed futures: its request id,
//! the request span (when the log level wants it), the panic catcher, the error body in the request's
//! language, `x-content-type-options`, `x-request-id` on the answer, `Secure` cookies and the log line of a
//! failed answer. The per-route metrics and the query-length limit run inside the router ([`super::metrics`]),
//! where the matched route is known.

use std::convert::Infallible;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderName, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use tower::Service;

use crate::error::{request_lang, ApiError};
use crate::web::Lang;

pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The target of the request span and of the failed-answer line (`RUST_LOG=minimall_server::http=debug`
/// turns the span and a line per answer on).
const TARGET: &str = "minimall_server::http";

/// A request id nobody else gives: a random 64-bit prefix per process and a counter, written as the
/// 8-4-4-4-12 hex groups of a UUID so that tools which expect one still read it.
pub fn next_request_id() -> HeaderValue {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(rand::random::<u64>);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 32];
    for (i, byte) in prefix.to_be_bytes().into_iter().chain(n.to_be_bytes()).enumerate() {
        digits[2 * i] = HEX[usize::from(byte >> 4)];
        digits[2 * i + 1] = HEX[usize::from(byte & 0xf)];
    }
    let mut buf = [b'-'; 36];
    for (range, at) in [(0..8, 0), (8..12, 9), (12..16, 14), (16..20, 19), (20..32, 24)] {
        buf[at..at + range.len()].copy_from_slice(&digits[range]);
    }
    HeaderValue::from_bytes(&buf).unwrap_or_else(|_| HeaderValue::from_static("-"))
}

/// Wraps the router (see the module's doc).
#[derive(Clone)]
pub struct Edge<S> {
    inner: S,
    secure_cookies: bool,
}

impl<S> Edge<S> {
    pub fn new(inner: S, secure_cookies: bool) -> Self {
        Edge { inner, secure_cookies }
    }
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Unpin,
{
    type Response = Response;
    type Error = Infallible;
    type Future = EdgeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let start = Instant::now();
        let rid = match req.headers().get(X_REQUEST_ID) {
            Some(v) => v.clone(),
            None => {
                let v = next_request_id();
                req.headers_mut().insert(X_REQUEST_ID, v.clone());
                v
            }
        };
        // Every body extractor enforces its own limit (JSON: max_body_bytes; uploads and imports: larger).
        DefaultBodyLimit::disable().apply(&mut req);
        let lang = request_lang(req.headers());
        let method = req.method().clone();
        let uri = req.uri().clone();
        let span = tracing::debug_span!(
            target: TARGET,
            "http",
            method = %method,
            uri = %uri.path(),
            request_id = %String::from_utf8_lossy(rid.as_bytes())
        );
        let inner = {
            let _entered = span.enter();
            catch_unwind(AssertUnwindSafe(|| self.inner.call(req))).ok()
        };
        EdgeFuture { inner, span, rid, lang, method, uri, start, secure_cookies: self.secure_cookies }
    }
}

pub struct EdgeFuture<F> {
    /// `None` once the handler panicked.
    inner: Option<F>,
    span: tracing::Span,
    rid: HeaderValue,
    lang: Lang,
    method: Method,
    uri: Uri,
    start: Instant,
    secure_cookies: bool,
}

impl<F> Future for EdgeFuture<F>
where
    F: Future<Output = Result<Response, Infallible>> + Unpin,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let resp = {
            let _entered = this.span.enter();
            match this.inner.as_mut() {
                Some(fut) => match catch_unwind(AssertUnwindSafe(|| Pin::new(fut).poll(cx))) {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(Ok(resp))) => Some(resp),
                    Ok(Poll::Ready(Err(never))) => match never {},
                    Err(_) => None,
                },
                None => None,
            }
        };
        this.inner = None;
        let resp = resp.unwrap_or_else(|| ApiError::internal("handler panicked").into_response());
        Poll::Ready(Ok(this.finish(resp)))
    }
}

impl<F> EdgeFuture<F> {
    fn finish(&mut self, mut resp: Response) -> Response {
        if self.lang != Lang::Zh {
            if let Some(e) = resp.extensions_mut().remove::<ApiError>() {
                let (mut parts, _) = resp.into_parts();
                parts.headers.remove(header::CONTENT_LENGTH);
                let body = serde_json::to_vec(&e.body(self.lang)).unwrap_or_default();
                resp = Response::from_parts(parts, axum::body::Body::from(body));
            }
        }
        let headers = resp.headers_mut();
        if !headers.contains_key(header::X_CONTENT_TYPE_OPTIONS) {
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        }
        if !headers.contains_key(X_REQUEST_ID) {
            headers.insert(X_REQUEST_ID, self.rid.clone());
        }
        if self.secure_cookies {
            secure(headers);
        }
        let status = resp.status();
        let latency_ms = self.start.elapsed().as_secs_f64() * 1000.0;
        if status.is_server_error() {
            tracing::error!(
                target: TARGET,
                method = %self.method,
                uri = %self.uri.path(),
                request_id = %String::from_utf8_lossy(self.rid.as_bytes()),
                status = status.as_u16(),
                latency_ms,
                "response failed"
            );
        } else {
            let _entered = self.span.enter();
            tracing::debug!(target: TARGET, status = status.as_u16(), latency_ms, "finished processing request");
        }
        resp
    }
}

/// Marks every cookie the answer sets `Secure` (behind HTTPS: `secure_cookies`).
fn secure(headers: &mut axum::http::HeaderMap) {
    let cookies: Vec<HeaderValue> = headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    if cookies.is_empty() {
        return;
    }
    headers.remove(header::SET_COOKIE);
    for c in cookies {
        let s = c.to_str().unwrap_or("");
        let v = if s.contains("; Secure") {
            c.clone()
        } else {
            HeaderValue::from_str(&format!("{s}; Secure")).unwrap_or(c.clone())
        };
        headers.append(header::SET_COOKIE, v);
    }
}
