use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Longest wait for the database's readiness write.
const DATABASE_CHECK: Duration = Duration::from_secs(2);

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// One dependency's check.
#[derive(Serialize, ToSchema)]
pub struct Check {
    /// `database` (reachable and writable) or `redis` (when configured).
    pub name: String,
    pub ok: bool,
    /// What failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long the check took, ms.
    pub ms: u64,
}

/// Every check passed.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok`.
    pub status: String,
    pub checks: Vec<Check>,
}

/// Liveness: the process answers. Depends on nothing else.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

async fn database(st: &AppState) -> Check {
    let started = Instant::now();
    let result = match tokio::time::timeout(DATABASE_CHECK, st.store.heartbeat()).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("not writable: {e}")),
        Err(_) => Err(format!("no write committed within {} ms", DATABASE_CHECK.as_millis())),
    };
    check("database", started, result)
}

async fn redis(st: &AppState) -> Option<Check> {
    let started = Instant::now();
    let result = st.flash.redis_ready().await?;
    Some(check("redis", started, result))
}

fn check(name: &str, started: Instant, result: Result<(), String>) -> Check {
    Check { name: name.into(), ok: result.is_ok(), error: result.err(), ms: started.elapsed().as_millis() as u64 }
}

/// Readiness: every dependency this instance needs answers — the database takes a write (a heartbeat on one
/// row, committed), and Redis, when configured, answers a PING and its circuit breaker is closed. 503
/// (`not_ready`) names the failing dependencies; `details.checks` lists every check.
#[utoipa::path(get, path = "/readyz", tag = "ops",
    responses((status = 200, body = Readiness), (status = 503, body = crate::error::ErrorBody, description = "not_ready: the message names the failing dependencies, details.checks lists every check")))]
pub async fn readyz(State(st): State<AppState>) -> ApiResult<Json<Readiness>> {
    let (db, redis) = tokio::join!(database(&st), redis(&st));
    let checks: Vec<Check> = std::iter::once(db).chain(redis).collect();
    let failing: Vec<&str> = checks.iter().filter(|c| !c.ok).map(|c| c.name.as_str()).collect();
    if failing.is_empty() {
        return Ok(Json(Readiness { status: "ok".into(), checks }));
    }
    let reason = crate::ops::refusals::OpsRefusal::NotReady { failing: failing.join(", ") };
    Err(ApiError::refused(StatusCode::SERVICE_UNAVAILABLE, "not_ready", &reason)
        .with_details(serde_json::json!({ "checks": checks })))
}
