//! Use cases of provider statement reconciliation: the sandbox's own daily bill (WeChat Pay's format), a bill
//! reconciled line by line with the payments and refunds that succeeded that day, each result recorded
//! (`reconciliations`), and the durable daily job `finance.reconcile` that reconciles the sandbox's bill of the
//! day before and schedules the next day's run.

use axum::http::StatusCode;
use minimall_core::ledger::expense::Refusal;
use minimall_core::ledger::statement::{self, write_wechat_bill, BillTrade, Finding, Recorded, StatementLine};
use minimall_core::ledger::{Account, PostingKind};
use minimall_core::page::Page;
use minimall_core::Money;
use minimall_store::finance::ReconciliationRow;

use super::api::{FindingDto, ReconcileReport, ReconciliationDto};
use super::{fee_terms, PROVIDERS};
use crate::accounts::auth::{Admin, ManageFinance};
use crate::error::{ApiError, ApiResult};
use crate::http::Paginated;
use crate::ops::audit::audit;
use crate::state::AppState;
use crate::usecase::{self, Call, Effects};
use crate::web::view;

/// The job kind of the daily reconciliation.
pub const DAILY_JOB: &str = "finance.reconcile";

/// `YYYY-MM-DD HH:MM:SS` in the shop's zone, as a bill writes its times.
fn bill_time(ms: i64) -> String {
    minimall_core::time::rfc3339_seconds(ms)
        .map(|s| s.chars().take(19).collect::<String>().replace('T', " "))
        .unwrap_or_default()
}

/// The sandbox provider's trade bill of a day: its payments and refunds that succeeded that day, with fees.
pub async fn sandbox_bill_csv(st: &AppState, merchant_id: i64, day: i64) -> ApiResult<String> {
    if !st.cfg.sandbox {
        return Err(ApiError::refused(StatusCode::CONFLICT, "conflict", &Refusal::SandboxOff));
    }
    let trades =
        st.store.provider_trades(merchant_id, "sandbox", view::day_start_ms(day), view::day_start_ms(day + 1)).await?;
    let terms = fee_terms(st, merchant_id, "sandbox").await?;
    let mut lines = Vec::with_capacity(trades.len());
    for t in trades {
        let m = Money::from_fen;
        let line = if t.kind == "payment" {
            StatementLine::Payment {
                out_trade_no: t.out_trade_no,
                transaction_id: t.transaction_id.unwrap_or_default(),
                amount: m(t.amount),
                fee: m(t.fee),
            }
        } else {
            let posted = st
                .store
                .journal_posting_by_reference(
                    merchant_id,
                    PostingKind::RefundSucceeded,
                    &format!("refund:{}", t.refund_id),
                )
                .await?;
            let fee_returned = posted
                .map(|p| {
                    -p.entries
                        .iter()
                        .filter(|e| e.account == Account::PaymentFees.code())
                        .map(|e| e.amount)
                        .sum::<i64>()
                })
                .unwrap_or(0);
            StatementLine::Refund {
                out_refund_no: t.reference,
                out_trade_no: t.out_trade_no,
                amount: m(t.amount),
                fee_returned: m(fee_returned),
            }
        };
        lines.push(BillTrade { time: bill_time(t.at), line });
    }
    Ok(write_wechat_bill(&format!("sandbox{merchant_id}"), terms.rate.basis_points(), &lines))
}

fn finding_dto(f: Finding) -> FindingDto {
    match f {
        Finding::Missing { kind, reference, amount } => FindingDto {
            finding: "missing".into(),
            kind: kind.into(),
            reference,
            what: None,
            recorded: Some(amount.fen()),
            statement: None,
        },
        Finding::Extra { kind, reference, amount } => FindingDto {
            finding: "extra".into(),
            kind: kind.into(),
            reference,
            what: None,
            recorded: None,
            statement: Some(amount.fen()),
        },
        Finding::AmountMismatch { kind, reference, recorded, statement, what } => FindingDto {
            finding: "amount_mismatch".into(),
            kind: kind.into(),
            reference,
            what: Some(what.into()),
            recorded: Some(recorded.fen()),
            statement: Some(statement.fen()),
        },
    }
}

/// Reconcile a provider's bill of `day` with the shop's records and record the result; `by` is the person who
/// imported it (audited), or none for the daily job.
pub async fn reconcile_bill(
    st: &AppState,
    merchant_id: i64,
    by: Option<(&Admin<ManageFinance>, &Call)>,
    provider: &str,
    day: i64,
    bill: &str,
) -> ApiResult<(i64, ReconcileReport)> {
    if !PROVIDERS.contains(&provider) {
        return Err(minimall_core::FieldError::new(
            "provider",
            minimall_core::error::Reason::OneOf { allowed: PROVIDERS.join(", ") },
        )
        .into());
    }
    let lines = statement::parse_wechat_bill(bill).map_err(|e| ApiError::invalid_because("bill", &e.reason()))?;
    let trades =
        st.store.provider_trades(merchant_id, provider, view::day_start_ms(day), view::day_start_ms(day + 1)).await?;
    let m = Money::from_fen;
    let recorded: Vec<Recorded> = trades
        .iter()
        .map(|t| {
            if t.kind == "payment" {
                Recorded::Payment { out_trade_no: t.reference.clone(), amount: m(t.amount), fee: m(t.fee) }
            } else {
                Recorded::Refund { out_refund_no: t.reference.clone(), amount: m(t.amount) }
            }
        })
        .collect();
    let (matched, findings) = statement::reconcile(&lines, &recorded);
    let findings: Vec<FindingDto> = findings.into_iter().map(finding_dto).collect();
    let count = |k: &str| findings.iter().filter(|f| f.finding == k).count() as i64;
    let row = ReconciliationRow {
        id: 0,
        provider: provider.to_string(),
        day,
        source: if by.is_some() { "import" } else { "job" }.to_string(),
        statement_lines: lines.len() as i64,
        recorded_lines: recorded.len() as i64,
        matched: matched as i64,
        missing: count("missing"),
        extra: count("extra"),
        mismatched: count("amount_mismatch"),
        findings: serde_json::to_string(&findings).map_err(ApiError::internal)?,
        actor_id: by.map(|(a, _)| a.id),
        created_at: 0,
    };
    let mut tx = st.store.begin().await?;
    let id = st.store.insert_reconciliation(&mut tx, merchant_id, &row).await?;
    if let Some((who, call)) = by {
        let after = serde_json::json!({"provider": provider, "date": view::date_label(day), "matched": row.matched,
            "missing": row.missing, "extra": row.extra, "amount_mismatch": row.mismatched});
        audit(st, &mut tx, who, call, "finance.reconcile", format!("reconciliation:{id}"), None, Some(after)).await?;
    }
    usecase::commit(st, tx, Effects::new()).await?;
    Ok((
        id,
        ReconcileReport {
            provider: provider.to_string(),
            date: view::date_label(day),
            statement_lines: row.statement_lines,
            recorded_lines: row.recorded_lines,
            matched: row.matched,
            findings,
        },
    ))
}

pub fn dto(r: ReconciliationRow) -> ReconciliationDto {
    ReconciliationDto {
        id: r.id,
        provider: r.provider,
        date: view::date_label(r.day),
        source: r.source,
        statement_lines: r.statement_lines,
        recorded_lines: r.recorded_lines,
        matched: r.matched,
        missing: r.missing,
        extra: r.extra,
        amount_mismatch: r.mismatched,
        created_at: r.created_at,
        findings: serde_json::from_str(&r.findings).unwrap_or_default(),
    }
}

/// Reconciliations, newest first.
pub async fn list(st: &AppState, merchant_id: i64, page: Page) -> ApiResult<Paginated<ReconciliationDto>> {
    let rows = st.store.reconciliations(merchant_id, page.size(), page.offset()).await?;
    Ok(Paginated::new(rows.items.into_iter().map(dto).collect(), rows.total, page))
}

/// `finance.reconcile`: reconcile the sandbox's own bill of the day before the job's day (once per day), then
/// schedule the next day's run. The payload is the day to reconcile.
pub async fn daily_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    let merchant_id = job.merchant_id;
    let day: i64 = serde_json::from_str::<serde_json::Value>(&job.payload)
        .ok()
        .and_then(|v| v["day"].as_i64())
        .unwrap_or_else(|| view::beijing_day(minimall_store::now_ms()) - 1);
    if st.cfg.sandbox && !st.store.reconciled_by_job(merchant_id, "sandbox", day).await.map_err(|e| e.to_string())? {
        let bill = sandbox_bill_csv(&st, merchant_id, day).await.map_err(|e| e.to_string())?;
        reconcile_bill(&st, merchant_id, None, "sandbox", day, &bill).await.map_err(|e| e.to_string())?;
    }
    schedule_daily(&st, merchant_id, day + 1).await.map_err(|e| e.to_string())
}

/// Make sure the reconciliation of shop day `day` is scheduled, for 01:00 Beijing time the day after.
pub async fn schedule_daily(st: &AppState, merchant_id: i64, day: i64) -> ApiResult<()> {
    let run_at = minimall_core::time::day_start_ms(day + 1).unwrap_or(0) + 3_600_000;
    let payload = serde_json::json!({ "day": day }).to_string();
    let mut tx = st.store.begin().await?;
    st.store
        .enqueue_job(
            &mut tx,
            &minimall_store::jobs::NewJob {
                merchant_id,
                kind: DAILY_JOB,
                payload: &payload,
                run_at,
                dedup_key: Some(&format!("{DAILY_JOB}:{merchant_id}:{day}")),
                max_attempts: 5,
            },
        )
        .await?;
    usecase::commit(st, tx, Effects::new().wake_jobs()).await
}
