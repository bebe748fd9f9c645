//! The load loop: N tasks, each owning one keep-alive connection that it drives itself (no separate
//! connection task), sending its requests back to back and recording latencies in its own histogram.

use std::collections::BTreeMap;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use hdrhistogram::Histogram;
use tokio::task::JoinSet;

use crate::client::{self, Endpoint, Sender};
use crate::scenario::RequestGen;

/// Highest latency the histograms hold, in microseconds (one hour); longer ones are recorded as this.
const MAX_MICROS: u64 = 3_600_000_000;
/// Pause after a failed connection attempt.
const RECONNECT_PAUSE: Duration = Duration::from_millis(50);

/// How to load.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Connection `i` goes to `endpoints[i % len]`.
    pub endpoints: Vec<Endpoint>,
    pub connections: u32,
    pub warmup: Duration,
    /// Measured time; `None` when only `max_requests` bounds the run.
    pub duration: Option<Duration>,
    /// Measured requests over all connections.
    pub max_requests: Option<u64>,
    /// For one request, and for one connection attempt.
    pub timeout: Duration,
}

/// What the measured phase counted, over all connections.
pub struct Totals {
    /// Latencies of successful requests, in microseconds.
    pub hist: Histogram<u64>,
    /// Attempts: answers plus transport errors.
    pub requests: u64,
    pub ok: u64,
    pub errors: BTreeMap<String, u64>,
    /// Connections opened again after the first one of a task, over the whole run.
    pub reconnects: u64,
    /// From the end of the warm-up to the last answer.
    pub elapsed: Duration,
}

pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds")
}

/// Run the load; `make` gives connection `i` its requests. With `open_first`, every connection is opened
/// before any generator is made or request sent, so that all of them fire at one instant (a sale's start)
/// and opening a thousand connections is not counted as part of the load.
pub async fn run(plan: &Plan, open_first: bool, mut make: impl FnMut(usize) -> Box<dyn RequestGen>) -> Result<Totals> {
    anyhow::ensure!(!plan.endpoints.is_empty(), "no URL to load");
    let endpoint = |i: usize| plan.endpoints[i % plan.endpoints.len()].clone();
    let mut opened: Vec<Option<(Sender, client::Conn)>> = (0..plan.connections).map(|_| None).collect();
    if open_first {
        let mut set = JoinSet::new();
        for i in 0..plan.connections as usize {
            let (ep, timeout) = (endpoint(i), plan.timeout);
            set.spawn(async move { (i, client::connect(&ep, timeout).await.ok()) });
        }
        while let Some(done) = set.join_next().await {
            let (i, c) = done.context("opening a connection")?;
            opened[i] = c;
        }
    }
    let start = Instant::now();
    let measure_start = start + plan.warmup;
    let clock = Arc::new(Clock {
        measure_start,
        deadline: plan.duration.map(|d| measure_start + d),
        max_requests: plan.max_requests,
        issued: AtomicU64::new(0),
        timeout: plan.timeout,
    });
    let mut tasks = JoinSet::new();
    for (i, first) in opened.into_iter().enumerate() {
        tasks.spawn(connection(endpoint(i), first, make(i), clock.clone()));
    }
    let mut totals = Totals {
        hist: new_histogram(),
        requests: 0,
        ok: 0,
        errors: BTreeMap::new(),
        reconnects: 0,
        elapsed: Duration::ZERO,
    };
    while let Some(done) = tasks.join_next().await {
        let stats = done.context("a connection task failed")?;
        totals.hist.add(&stats.hist).context("merging latency histograms")?;
        totals.requests += stats.requests;
        totals.ok += stats.ok;
        totals.reconnects += stats.reconnects;
        for (kind, n) in stats.errors {
            *totals.errors.entry(kind).or_default() += n;
        }
    }
    totals.elapsed = Instant::now().saturating_duration_since(measure_start);
    Ok(totals)
}

/// Shared stop conditions.
struct Clock {
    measure_start: Instant,
    deadline: Option<Instant>,
    max_requests: Option<u64>,
    issued: AtomicU64,
    timeout: Duration,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Warmup,
    Measure,
    Stop,
}

impl Clock {
    /// The phase of the attempt about to start; `Measure` takes one from the request budget.
    fn begin(&self) -> Phase {
        let now = Instant::now();
        if now < self.measure_start {
            return Phase::Warmup;
        }
        if self.deadline.is_some_and(|d| now >= d) {
            return Phase::Stop;
        }
        if let Some(max) = self.max_requests {
            if self.issued.fetch_add(1, Ordering::Relaxed) >= max {
                return Phase::Stop;
            }
        }
        Phase::Measure
    }
}

/// One task's counts.
struct Stats {
    hist: Histogram<u64>,
    requests: u64,
    ok: u64,
    errors: BTreeMap<String, u64>,
    reconnects: u64,
}

impl Stats {
    fn success(&mut self, micros: u64) {
        self.requests += 1;
        self.ok += 1;
        self.hist.saturating_record(micros.clamp(1, MAX_MICROS));
    }

    fn failure(&mut self, kind: String) {
        self.requests += 1;
        *self.errors.entry(kind).or_default() += 1;
    }
}

/// How a connection's request loop ended.
enum End {
    /// Time or request budget is used up.
    Done,
    /// The connection is unusable; open another.
    Reconnect,
}

async fn connection(
    ep: Endpoint,
    mut first: Option<(Sender, client::Conn)>,
    mut gen: Box<dyn RequestGen>,
    clock: Arc<Clock>,
) -> Stats {
    let mut st = Stats { hist: new_histogram(), requests: 0, ok: 0, errors: BTreeMap::new(), reconnects: 0 };
    let mut opened = false;
    loop {
        let attempt = match first.take() {
            Some(c) => Ok(c),
            None => client::connect(&ep, clock.timeout).await,
        };
        let (mut sender, conn) = match attempt {
            Ok(c) => c,
            Err(kind) => {
                match clock.begin() {
                    Phase::Stop => break,
                    Phase::Measure => st.failure(kind),
                    Phase::Warmup => {}
                }
                tokio::time::sleep(RECONNECT_PAUSE).await;
                continue;
            }
        };
        if opened {
            st.reconnects += 1;
        }
        opened = true;
        // The connection is driven here, alongside the requests, rather than in a task of its own.
        let mut conn = Box::pin(conn);
        let end = {
            let mut work = pin!(requests(&mut sender, gen.as_mut(), &ep, &clock, &mut st));
            let conn_ended = tokio::select! {
                biased;
                end = &mut work => Some(end),
                _ = &mut conn => None,
            };
            match conn_ended {
                Some(end) => end,
                None => {
                    // The server closed the connection, or it broke. Dropping it settles what the request
                    // loop waits for: an answer already read is still delivered, a request under way fails
                    // with the connection's error (and is counted), and an idle loop ends at `ready`.
                    drop(conn);
                    work.await
                }
            }
        };
        if matches!(end, End::Done) {
            break;
        }
    }
    st
}

/// Send requests on one connection until the budget is used up or the connection breaks.
async fn requests(sender: &mut Sender, gen: &mut dyn RequestGen, ep: &Endpoint, clock: &Clock, st: &mut Stats) -> End {
    loop {
        if gen.finished() {
            return End::Done;
        }
        if sender.ready().await.is_err() {
            return End::Reconnect;
        }
        let measured = match clock.begin() {
            Phase::Stop => return End::Done,
            Phase::Measure => true,
            Phase::Warmup => false,
        };
        let req = client::build(gen.next_request(), ep);
        let started = Instant::now();
        let answer = tokio::time::timeout(clock.timeout, client::exchange(sender, req)).await;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        match answer {
            Ok(Ok((status, body))) => {
                let verdict = gen.check(status, &body);
                if measured {
                    match verdict {
                        Ok(()) => st.success(micros),
                        Err(kind) => st.failure(kind),
                    }
                }
            }
            Ok(Err(e)) => {
                if measured {
                    st.failure(client::error_kind(&e));
                }
                return End::Reconnect;
            }
            Err(_elapsed) => {
                if measured {
                    st.failure("timeout".to_string());
                }
                return End::Reconnect;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use hyper::Method;

    use super::*;
    use crate::scenario::{Repeat, Req, RequestGen};

    fn clock(warmup_ms: u64, duration_ms: Option<u64>, max: Option<u64>) -> Clock {
        let measure_start = Instant::now() + Duration::from_millis(warmup_ms);
        Clock {
            measure_start,
            deadline: duration_ms.map(|d| measure_start + Duration::from_millis(d)),
            max_requests: max,
            issued: AtomicU64::new(0),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn phases() {
        assert_eq!(clock(60_000, Some(1000), None).begin(), Phase::Warmup);
        assert_eq!(clock(0, Some(60_000), None).begin(), Phase::Measure);
        assert_eq!(clock(0, Some(0), None).begin(), Phase::Stop);
        let c = clock(0, None, Some(3));
        let phases: Vec<_> = (0..5).map(|_| c.begin()).collect();
        assert_eq!(phases, [Phase::Measure, Phase::Measure, Phase::Measure, Phase::Stop, Phase::Stop]);
        // Warm-up requests take nothing from the budget.
        let c = clock(60_000, None, Some(1));
        assert_eq!(c.begin(), Phase::Warmup);
        assert_eq!(c.issued.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn stats_count_attempts() {
        let mut st = Stats { hist: new_histogram(), requests: 0, ok: 0, errors: BTreeMap::new(), reconnects: 0 };
        st.success(0);
        st.success(u64::MAX);
        st.failure("HTTP 500".into());
        st.failure("HTTP 500".into());
        st.failure("timeout".into());
        assert_eq!((st.requests, st.ok, st.hist.len()), (5, 2, 2));
        assert_eq!(st.hist.min(), 1);
        assert!(st.hist.max() >= MAX_MICROS);
        assert_eq!(st.errors, BTreeMap::from([("HTTP 500".to_string(), 2), ("timeout".to_string(), 1)]));
    }

    /// A minimal HTTP/1.1 server on a local port: `GET /healthz` with a `Host` header answers 200, every
    /// 7th request of a connection 500, and the 10th closes the connection (`connection: close`).
    async fn canned_server() -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut served = 0;
                    let mut chunk = [0u8; 1024];
                    loop {
                        let Ok(n) = stream.read(&mut chunk).await else { return };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        buf.drain(..end + 4);
                        served += 1;
                        let status = if !head.starts_with("get /healthz http/1.1") || !head.contains("\r\nhost: ") {
                            "400 Bad Request"
                        } else if served % 7 == 0 {
                            "500 Internal Server Error"
                        } else {
                            "200 OK"
                        };
                        let close = if served == 10 { "connection: close\r\n" } else { "" };
                        let resp = format!("HTTP/1.1 {status}\r\ncontent-length: 2\r\n{close}\r\nok");
                        if stream.write_all(resp.as_bytes()).await.is_err() || served == 10 {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    fn local_plan(addr: std::net::SocketAddr, duration: Option<Duration>, max_requests: Option<u64>) -> Plan {
        Plan {
            endpoints: vec![Endpoint {
                url: format!("http://{addr}"),
                addr,
                host: hyper::header::HeaderValue::from_str(&addr.to_string()).unwrap(),
            }],
            connections: 4,
            warmup: Duration::ZERO,
            duration,
            max_requests,
            timeout: Duration::from_secs(5),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn request_budget_with_reconnects_and_errors() {
        let addr = canned_server().await;
        let plan = local_plan(addr, None, Some(200));
        for open_first in [false, true] {
            let totals =
                run(&plan, open_first, |_| Box::new(Repeat(Req::fixed(Method::GET, "/healthz")))).await.unwrap();
            assert_eq!(totals.requests, 200);
            let server_errors = totals.errors.get("HTTP 500").copied().unwrap_or(0);
            assert!(server_errors > 0, "{:?}", totals.errors);
            assert_eq!(totals.errors.len(), 1, "{:?}", totals.errors);
            assert_eq!(totals.ok + server_errors, 200);
            assert_eq!(totals.hist.len(), totals.ok);
            assert!(totals.reconnects >= 200 / 10 - 4, "{} reconnects", totals.reconnects);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stops_after_the_duration() {
        let addr = canned_server().await;
        let mut plan = local_plan(addr, Some(Duration::from_millis(300)), None);
        plan.warmup = Duration::from_millis(100);
        let started = Instant::now();
        let totals = run(&plan, false, |_| Box::new(Repeat(Req::fixed(Method::GET, "/healthz")))).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(400));
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(totals.elapsed >= Duration::from_millis(300), "{:?}", totals.elapsed);
        assert!(totals.ok > 0);
    }

    /// Three requests, then finished.
    struct Three(u32);

    impl RequestGen for Three {
        fn next_request(&mut self) -> Req {
            self.0 += 1;
            Req::fixed(Method::GET, "/healthz")
        }

        fn finished(&self) -> bool {
            self.0 >= 3
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn finished_connections_stop_before_the_time_is_up() {
        let addr = canned_server().await;
        let plan = local_plan(addr, Some(Duration::from_secs(60)), None);
        let started = Instant::now();
        let totals = run(&plan, true, |_| Box::new(Three(0))).await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(30));
        assert_eq!(totals.requests, 4 * 3);
    }

    #[tokio::test]
    async fn unreachable_server_counts_connect_errors_and_stops() {
        let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let plan = local_plan(addr, None, Some(8));
        // Connections that cannot be opened beforehand are tried again by their tasks, and counted there.
        for open_first in [false, true] {
            let totals =
                run(&plan, open_first, |_| Box::new(Repeat(Req::fixed(Method::GET, "/healthz")))).await.unwrap();
            assert_eq!(totals.requests, 8);
            assert_eq!(totals.ok, 0);
            assert_eq!(totals.errors, BTreeMap::from([("connect: ConnectionRefused".to_string(), 8)]));
        }
    }
}
