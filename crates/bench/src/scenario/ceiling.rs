//! `ceiling`: `GET /healthz`, which touches neither the database nor authentication. Its throughput is the
//! most this server and this load generator reach together on this machine; every other scenario is
//! read as a fraction of it.

use hyper::Method;

use super::{Repeat, Req, RequestGen, Scenario};

pub const PATH: &str = "/healthz";

pub struct Ceiling;

impl Scenario for Ceiling {
    fn name(&self) -> &'static str {
        "ceiling"
    }

    fn request_line(&self) -> String {
        format!("GET {PATH}")
    }

    fn generator(&self, _conn: usize) -> Box<dyn RequestGen> {
        Box::new(Repeat(Req::fixed(Method::GET, PATH)))
    }
}
