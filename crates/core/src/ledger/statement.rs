//! A payment provider's statement (WeChat Pay's daily trade bill, 交易账单, `bill_type=ALL`) and its
//! reconciliation, line by line, with the shop's own payments and refunds.
//!
//! The bill is CSV: a header row naming the columns (交易时间, 公众账号ID, 商户号, 特约商户号, 设备号, 微信订单号,
//! 商户订单号, 用户标识, 交易类型, 交易状态, 付款银行, 货币种类, 应结订单金额, 代金券金额, 微信退款单号, 商户退款单号,
//! 退款金额, 充值券退款金额, 退款类型, 退款状态, 商品名称, 商户数据包, 手续费, 费率, 订单金额, 申请退款金额, 费率备注),
//! then one row per trade, every cell prefixed with a backtick (so spreadsheets keep long numbers as text), then
//! a summary (总交易单数, …) and its values. Amounts are yuan with two decimals. A payment row has 交易状态
//! `SUCCESS`; a refund row `REFUND`, with the refund in 退款金额 and the fee given back as a negative 手续费.
//! Columns are found by name, so a bill with more or fewer columns still reads.

use std::collections::BTreeMap;

use crate::error::{count, Reason};
use crate::Money;

/// One line of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementLine {
    Payment { out_trade_no: String, transaction_id: String, amount: Money, fee: Money },
    Refund { out_refund_no: String, out_trade_no: String, amount: Money, fee_returned: Money },
}

/// Why a statement could not be read: the row (1-based, as a spreadsheet numbers it) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementError {
    pub row: usize,
    pub reason: Reason,
}

impl StatementError {
    /// The refusal with its row, as one coded reason.
    pub fn reason(&self) -> Reason {
        Reason::StatementRow { row: count(self.row), reason: Box::new(self.reason.clone()) }
    }
}

/// The most rows a statement may have.
pub const MAX_ROWS: usize = 200_000;

const COLUMNS: [&str; 8] =
    ["交易状态", "微信订单号", "商户订单号", "应结订单金额", "商户退款单号", "退款金额", "手续费", "订单金额"];

fn cell(s: &str) -> &str {
    s.trim().trim_start_matches('`').trim()
}

fn yuan(row: usize, column: &str, s: &str) -> Result<Money, StatementError> {
    let s = cell(s);
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    if digits.is_empty() {
        return Ok(Money::ZERO);
    }
    let m = Money::parse_yuan(column, digits).map_err(|_| StatementError {
        row,
        reason: Reason::StatementAmount { column: column.to_string(), value: s.to_string() },
    })?;
    Ok(if neg { Money::from_fen(-m.fen()) } else { m })
}

/// Read a bill. Rows whose status is neither `SUCCESS` nor `REFUND` (e.g. `REVOKED`) are skipped; the
/// summary at the end is not a trade and is skipped too.
pub fn parse_wechat_bill(text: &str) -> Result<Vec<StatementLine>, StatementError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut index: Option<BTreeMap<&'static str, usize>> = None;
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let row = i + 1;
        if row > MAX_ROWS {
            return Err(StatementError { row, reason: Reason::StatementTooManyRows { max: count(MAX_ROWS) } });
        }
        let rec = rec.map_err(|_| StatementError { row, reason: Reason::CsvUnreadable })?;
        let Some(cols) = &index else {
            let names: Vec<&str> = rec.iter().map(cell).collect();
            let mut found = BTreeMap::new();
            for c in COLUMNS {
                match names.iter().position(|n| *n == c) {
                    Some(p) => {
                        found.insert(c, p);
                    }
                    None => {
                        return Err(StatementError {
                            row,
                            reason: Reason::StatementNoColumn { column: c.to_string() },
                        });
                    }
                }
            }
            index = Some(found);
            continue;
        };
        let get = |c: &str| cols.get(c).and_then(|p| rec.get(*p)).map(cell).unwrap_or("");
        if rec.len() < cols.values().max().copied().unwrap_or(0) + 1 {
            // The summary rows (总交易单数, …) are shorter than a trade row.
            if rec.get(0).map(cell).is_some_and(|c| c.starts_with('总') || c.parse::<f64>().is_ok()) {
                continue;
            }
            return Err(StatementError { row, reason: Reason::StatementFewCells });
        }
        match get("交易状态") {
            "SUCCESS" => out.push(StatementLine::Payment {
                out_trade_no: get("商户订单号").to_string(),
                transaction_id: get("微信订单号").to_string(),
                amount: yuan(row, "应结订单金额", get("应结订单金额"))?,
                fee: yuan(row, "手续费", get("手续费"))?,
            }),
            "REFUND" => out.push(StatementLine::Refund {
                out_refund_no: get("商户退款单号").to_string(),
                out_trade_no: get("商户订单号").to_string(),
                amount: yuan(row, "退款金额", get("退款金额"))?,
                fee_returned: Money::from_fen(-yuan(row, "手续费", get("手续费"))?.fen()),
            }),
            _ => {}
        }
    }
    if index.is_none() {
        return Err(StatementError { row: 1, reason: Reason::CsvEmpty });
    }
    Ok(out)
}

/// What the shop recorded: a payment that succeeded or a refund that succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    Payment { out_trade_no: String, amount: Money, fee: Money },
    Refund { out_refund_no: String, amount: Money },
}

/// A difference between the statement and the shop's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Recorded by the shop, not on the statement.
    Missing { kind: &'static str, reference: String, amount: Money },
    /// On the statement, not recorded by the shop (or recorded twice on the statement).
    Extra { kind: &'static str, reference: String, amount: Money },
    /// On both, with another amount (or fee).
    AmountMismatch { kind: &'static str, reference: String, recorded: Money, statement: Money, what: &'static str },
}

/// Reconcile a statement with the shop's records of the same day, line by line, keyed by the merchant's
/// trade number (payments) and refund number (refunds). Findings come in the order payments, refunds, and
/// by reference within each.
pub fn reconcile(statement: &[StatementLine], recorded: &[Recorded]) -> (usize, Vec<Finding>) {
    let mut ours_pay: BTreeMap<&str, (Money, Money)> = BTreeMap::new();
    let mut ours_ref: BTreeMap<&str, Money> = BTreeMap::new();
    for r in recorded {
        match r {
            Recorded::Payment { out_trade_no, amount, fee } => {
                ours_pay.insert(out_trade_no, (*amount, *fee));
            }
            Recorded::Refund { out_refund_no, amount } => {
                ours_ref.insert(out_refund_no, *amount);
            }
        }
    }
    let mut theirs_pay: BTreeMap<&str, Vec<(Money, Money)>> = BTreeMap::new();
    let mut theirs_ref: BTreeMap<&str, Vec<Money>> = BTreeMap::new();
    for l in statement {
        match l {
            StatementLine::Payment { out_trade_no, amount, fee, .. } => {
                theirs_pay.entry(out_trade_no).or_default().push((*amount, *fee))
            }
            StatementLine::Refund { out_refund_no, amount, .. } => {
                theirs_ref.entry(out_refund_no).or_default().push(*amount)
            }
        }
    }
    let mut findings = Vec::new();
    let mut matched = 0;
    let keys: std::collections::BTreeSet<&str> = ours_pay.keys().chain(theirs_pay.keys()).copied().collect();
    for k in keys {
        let reference = k.to_string();
        match (ours_pay.get(k), theirs_pay.get(k).map(Vec::as_slice)) {
            (Some((amount, _)), None | Some([])) => {
                findings.push(Finding::Missing { kind: "payment", reference, amount: *amount })
            }
            (None, Some(lines)) => {
                for (amount, _) in lines {
                    findings.push(Finding::Extra { kind: "payment", reference: reference.clone(), amount: *amount });
                }
            }
            (Some((amount, fee)), Some([(s_amount, s_fee), rest @ ..])) => {
                if amount != s_amount {
                    findings.push(Finding::AmountMismatch {
                        kind: "payment",
                        reference: reference.clone(),
                        recorded: *amount,
                        statement: *s_amount,
                        what: "amount",
                    });
                } else if fee != s_fee {
                    findings.push(Finding::AmountMismatch {
                        kind: "payment",
                        reference: reference.clone(),
                        recorded: *fee,
                        statement: *s_fee,
                        what: "fee",
                    });
                } else {
                    matched += 1;
                }
                for (a, _) in rest {
                    findings.push(Finding::Extra { kind: "payment", reference: reference.clone(), amount: *a });
                }
            }
            (None, None) => {}
        }
    }
    let keys: std::collections::BTreeSet<&str> = ours_ref.keys().chain(theirs_ref.keys()).copied().collect();
    for k in keys {
        let reference = k.to_string();
        match (ours_ref.get(k), theirs_ref.get(k).map(Vec::as_slice)) {
            (Some(amount), None | Some([])) => {
                findings.push(Finding::Missing { kind: "refund", reference, amount: *amount })
            }
            (None, Some(lines)) => {
                for a in lines {
                    findings.push(Finding::Extra { kind: "refund", reference: reference.clone(), amount: *a });
                }
            }
            (Some(amount), Some([s, rest @ ..])) => {
                if amount != s {
                    findings.push(Finding::AmountMismatch {
                        kind: "refund",
                        reference: reference.clone(),
                        recorded: *amount,
                        statement: *s,
                        what: "amount",
                    });
                } else {
                    matched += 1;
                }
                for a in rest {
                    findings.push(Finding::Extra { kind: "refund", reference: reference.clone(), amount: *a });
                }
            }
            (None, None) => {}
        }
    }
    (matched, findings)
}

/// The header of a WeChat Pay trade bill.
pub const WECHAT_BILL_HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";

/// A trade for [`write_wechat_bill`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillTrade {
    /// `YYYY-MM-DD HH:MM:SS`, the shop's time.
    pub time: String,
    pub line: StatementLine,
}

fn rate_text(basis_points: u32) -> String {
    format!("{}.{:02}%", basis_points / 100, basis_points % 100)
}

/// Write a bill in WeChat Pay's format (as the sandbox provider does for its own trades): header, trades,
/// summary. `merchant_no` fills 商户号; `rate_basis_points` the 费率 column.
pub fn write_wechat_bill(merchant_no: &str, rate_basis_points: u32, trades: &[BillTrade]) -> String {
    let y = |m: Money| m.to_yuan_string();
    let mut out = String::from(WECHAT_BILL_HEADER);
    out.push_str("\r\n");
    let (mut paid, mut refunded, mut fees, mut n) = (0i64, 0i64, 0i64, 0usize);
    for t in trades {
        let cells: Vec<String> = match &t.line {
            StatementLine::Payment { out_trade_no, transaction_id, amount, fee } => {
                paid += amount.fen();
                fees += fee.fen();
                vec![
                    t.time.clone(),
                    "wxsandbox".into(),
                    merchant_no.into(),
                    "0".into(),
                    String::new(),
                    transaction_id.clone(),
                    out_trade_no.clone(),
                    String::new(),
                    "JSAPI".into(),
                    "SUCCESS".into(),
                    "OTHERS".into(),
                    "CNY".into(),
                    y(*amount),
                    "0.00".into(),
                    "0".into(),
                    "0".into(),
                    "0.00".into(),
                    "0.00".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    y(*fee),
                    rate_text(rate_basis_points),
                    y(*amount),
                    "0.00".into(),
                    String::new(),
                ]
            }
            StatementLine::Refund { out_refund_no, out_trade_no, amount, fee_returned } => {
                refunded += amount.fen();
                fees -= fee_returned.fen();
                vec![
                    t.time.clone(),
                    "wxsandbox".into(),
                    merchant_no.into(),
                    "0".into(),
                    String::new(),
                    String::new(),
                    out_trade_no.clone(),
                    String::new(),
                    "JSAPI".into(),
                    "REFUND".into(),
                    "OTHERS".into(),
                    "CNY".into(),
                    "0.00".into(),
                    "0.00".into(),
                    format!("R{out_refund_no}"),
                    out_refund_no.clone(),
                    y(*amount),
                    "0.00".into(),
                    "ORIGINAL".into(),
                    "SUCCESS".into(),
                    String::new(),
                    String::new(),
                    y(Money::from_fen(-fee_returned.fen())),
                    rate_text(rate_basis_points),
                    "0.00".into(),
                    y(*amount),
                    String::new(),
                ]
            }
        };
        n += 1;
        let row: Vec<String> = cells.into_iter().map(|c| format!("`{}", c.replace([',', '\r', '\n'], " "))).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out.push_str("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n");
    let m = Money::from_fen;
    out.push_str(&format!(
        "`{n},`{},`{},`0.00,`{},`{},`{}\r\n",
        y(m(paid)),
        y(m(refunded)),
        y(m(fees)),
        y(m(paid)),
        y(m(refunded))
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(fen: i64) -> Money {
        Money::from_fen(fen)
    }

    fn pay(no: &str, amount: i64, fee: i64) -> StatementLine {
        StatementLine::Payment {
            out_trade_no: no.into(),
            transaction_id: format!("42{no}"),
            amount: m(amount),
            fee: m(fee),
        }
    }

    fn refund(no: &str, trade: &str, amount: i64, fee_returned: i64) -> StatementLine {
        StatementLine::Refund {
            out_refund_no: no.into(),
            out_trade_no: trade.into(),
            amount: m(amount),
            fee_returned: m(fee_returned),
        }
    }

    #[test]
    fn a_written_bill_reads_back() {
        let lines = vec![pay("T1", 90_220, 541), pay("T2", 100, 1), refund("T1-A1", "T1", 30_000, 180)];
        let trades: Vec<BillTrade> =
            lines.iter().map(|l| BillTrade { time: "2026-05-01 10:00:00".into(), line: l.clone() }).collect();
        let text = write_wechat_bill("1900000109", 60, &trades);
        assert!(text.contains("`0.60%"), "{text}");
        assert!(text.contains("`902.20"), "{text}");
        assert_eq!(parse_wechat_bill(&text).unwrap(), lines);
        assert_eq!(parse_wechat_bill(&format!("\u{feff}{text}")).unwrap(), lines, "with a BOM");
    }

    #[test]
    fn a_bill_without_its_columns_or_with_bad_amounts_is_refused_by_row() {
        assert_eq!(parse_wechat_bill("").unwrap_err().row, 1);
        assert!(
            parse_wechat_bill("a,b,c\r\n").unwrap_err().reason
                == Reason::StatementNoColumn { column: "交易状态".into() }
        );
        let text = write_wechat_bill("1", 60, &[BillTrade { time: "t".into(), line: pay("T1", 100, 1) }]);
        let bad = text.replace("`1.00", "`1.0x");
        let e = parse_wechat_bill(&bad).unwrap_err();
        assert_eq!(e.row, 2, "{e:?}");
        let short = format!("{WECHAT_BILL_HEADER}\r\n`a,`b\r\n");
        assert_eq!(parse_wechat_bill(&short).unwrap_err().row, 2);
        let revoked = text.replace("`SUCCESS", "`REVOKED");
        assert_eq!(parse_wechat_bill(&revoked).unwrap(), vec![]);
    }

    #[test]
    fn reconciliation_finds_a_missing_refund_an_extra_payment_and_a_mismatch() {
        let recorded = vec![
            Recorded::Payment { out_trade_no: "T1".into(), amount: m(90_220), fee: m(541) },
            Recorded::Payment { out_trade_no: "T2".into(), amount: m(5_000), fee: m(30) },
            Recorded::Payment { out_trade_no: "T3".into(), amount: m(1_000), fee: m(6) },
            Recorded::Refund { out_refund_no: "T1-A1".into(), amount: m(30_000) },
            Recorded::Refund { out_refund_no: "T3-A1".into(), amount: m(1_000) },
        ];
        let statement = vec![
            pay("T1", 90_220, 541),
            pay("T2", 5_001, 30),
            pay("T3", 1_000, 6),
            pay("T9", 777, 5),
            refund("T1-A1", "T1", 30_000, 180),
        ];
        let (matched, findings) = reconcile(&statement, &recorded);
        assert_eq!(matched, 3);
        assert_eq!(
            findings,
            vec![
                Finding::AmountMismatch {
                    kind: "payment",
                    reference: "T2".into(),
                    recorded: m(5_000),
                    statement: m(5_001),
                    what: "amount"
                },
                Finding::Extra { kind: "payment", reference: "T9".into(), amount: m(777) },
                Finding::Missing { kind: "refund", reference: "T3-A1".into(), amount: m(1_000) },
            ]
        );
        // A fee that differs is a mismatch too; a line twice on the statement is an extra.
        let (_, f) = reconcile(&[pay("T3", 1_000, 7), pay("T3", 1_000, 7)], &recorded[2..3]);
        assert_eq!(f.len(), 2);
        assert!(matches!(&f[0], Finding::AmountMismatch { what: "fee", .. }));
        assert!(matches!(&f[1], Finding::Extra { .. }));
        assert_eq!(reconcile(&statement, &[]).1.len(), statement.len());
    }
}
