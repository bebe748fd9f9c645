//! Targets and connections: one hyper HTTP/1.1 client connection per TCP stream, no pool in between.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper::header::{HeaderValue, HOST};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::scenario::Req;

pub type Body = Full<Bytes>;
pub type Sender = SendRequest<Body>;
pub type Conn = Connection<TokioIo<TcpStream>, Body>;

/// A server as given on the command line: `http://host[:port]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Normalised, for reports: `http://host:port`.
    pub url: String,
    host: String,
    port: u16,
    authority: String,
}

impl Target {
    pub fn parse(s: &str) -> Result<Target, String> {
        let uri: Uri = s.trim().parse().map_err(|e| format!("`{s}` is not a URL: {e}"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => return Err("https is not supported: give the server's plain-HTTP address".into()),
            _ => return Err(format!("`{s}` must start with http://")),
        }
        let auth = uri.authority().ok_or_else(|| format!("`{s}` has no host"))?;
        if auth.as_str().contains('@') {
            return Err("user names in the URL are not supported".into());
        }
        let host = auth.host().trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("`{s}` has no host"));
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(format!("`{s}` must not have a path or query: requests go to the server root"));
        }
        Ok(Target {
            url: format!("http://{}", auth.as_str()),
            host: host.to_string(),
            port: auth.port_u16().unwrap_or(80),
            authority: auth.as_str().to_string(),
        })
    }

    /// Look the host up once; every connection then goes to the first address found.
    pub async fn resolve(&self) -> Result<Endpoint> {
        let addr = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .with_context(|| format!("cannot resolve {}", self.url))?
            .next()
            .with_context(|| format!("{} resolves to no address", self.url))?;
        let host = HeaderValue::from_str(&self.authority).with_context(|| format!("{}: invalid host", self.url))?;
        Ok(Endpoint { url: self.url.clone(), addr, host })
    }
}

/// A resolved target.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub url: String,
    pub addr: SocketAddr,
    /// Value of the `Host` header.
    pub host: HeaderValue,
}

/// Open one keep-alive connection. The returned [`Conn`] must be polled for requests to make progress.
/// Errors are short kinds such as `connect: ConnectionRefused`, for the error table.
pub async fn connect(ep: &Endpoint, timeout: Duration) -> Result<(Sender, Conn), String> {
    let open = async {
        let stream = TcpStream::connect(ep.addr).await.map_err(|e| format!("connect: {:?}", e.kind()))?;
        stream.set_nodelay(true).map_err(|e| format!("connect: {:?}", e.kind()))?;
        http1::handshake(TokioIo::new(stream)).await.map_err(|e| format!("handshake: {}", error_kind(&e)))
    };
    tokio::time::timeout(timeout, open).await.map_err(|_| "connect: timeout".to_string())?
}

/// The hyper request for `req` on `ep`.
pub fn build(req: Req, ep: &Endpoint) -> Request<Body> {
    let mut r = Request::new(Full::new(req.body));
    *r.method_mut() = req.method;
    *r.uri_mut() = Uri::from(req.path);
    let headers = r.headers_mut();
    headers.insert(HOST, ep.host.clone());
    for (name, value) in req.headers {
        headers.append(name, value);
    }
    r
}

/// Send one request and read its whole body, which frees the connection for the next one.
pub async fn exchange(sender: &mut Sender, req: Request<Body>) -> Result<(StatusCode, Bytes), hyper::Error> {
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

/// A short, stable name for a transport error, for the error table.
pub fn error_kind(e: &hyper::Error) -> String {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return format!("io: {:?}", io.kind());
        }
        source = s.source();
    }
    let kind = if e.is_incomplete_message() {
        "incomplete response"
    } else if e.is_closed() {
        "connection closed"
    } else if e.is_canceled() {
        "request canceled"
    } else if e.is_parse() {
        "malformed response"
    } else if e.is_timeout() {
        "timeout"
    } else {
        "http error"
    };
    kind.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let t = Target::parse("http://127.0.0.1:18181").unwrap();
        assert_eq!((t.url.as_str(), t.host.as_str(), t.port), ("http://127.0.0.1:18181", "127.0.0.1", 18181));
        let t = Target::parse(" http://localhost/ ").unwrap();
        assert_eq!((t.url.as_str(), t.host.as_str(), t.port), ("http://localhost", "localhost", 80));
        let t = Target::parse("http://[::1]:8080").unwrap();
        assert_eq!((t.host.as_str(), t.authority.as_str()), ("::1", "[::1]:8080"));
    }

    #[test]
    fn rejects_other_urls() {
        for bad in [
            "https://127.0.0.1",
            "127.0.0.1:8080",
            "http://127.0.0.1/x",
            "http://127.0.0.1/?a=1",
            "http://u@127.0.0.1",
            "ftp://x",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn builds_origin_form_requests_with_host() {
        let ep = Endpoint {
            url: "http://127.0.0.1:9".into(),
            addr: "127.0.0.1:9".parse().unwrap(),
            host: HeaderValue::from_static("127.0.0.1:9"),
        };
        let req = Req::post("/api/v1/admin/auth/login")
            .unwrap()
            .json(&serde_json::json!({"a": 1}))
            .unwrap()
            .bearer("t0k")
            .unwrap();
        let r = build(req, &ep);
        assert_eq!(r.method(), hyper::Method::POST);
        assert_eq!(r.uri().to_string(), "/api/v1/admin/auth/login");
        assert_eq!(r.headers()[HOST], "127.0.0.1:9");
        assert_eq!(r.headers()[hyper::header::AUTHORIZATION], "Bearer t0k");
        assert_eq!(r.headers()[hyper::header::CONTENT_TYPE], "application/json");
    }

    #[tokio::test]
    async fn connect_failure_is_a_short_kind() {
        // Bind and drop a listener to get a local port that nothing listens on.
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let ep = Endpoint { url: format!("http://{addr}"), addr, host: HeaderValue::from_static("x") };
        let err = connect(&ep, Duration::from_secs(5)).await.err().unwrap();
        assert_eq!(err, "connect: ConnectionRefused");
    }
}
