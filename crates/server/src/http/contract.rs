//! The OpenAPI document as a contract an integrator can generate a client from.
//!
//! Handlers declare their own success and domain answers (`#[utoipa::path]`). What every operation of a
//! kind can answer is declared here once, from the same facts the server acts on: a secured operation can
//! answer 401 and 403, a JSON body can be malformed (400), of the wrong media type (415), too large (413)
//! or invalid (422), a path id can fail to parse (400) or name nothing (404), a throttled or unavailable
//! answer carries `Retry-After`. Enumerations come from the domain's own lists (and the database's CHECK
//! constraints where the domain has none yet), bounds from the validation that enforces them.

use minimall_core::analytics::recommend::{Placement, Strategy};
use minimall_core::auth::Role;
use minimall_core::catalog::Lifecycle;
use minimall_core::orders::OrderStatus;
use serde_json::{json, Map, Value};

const ERROR_REF: &str = "#/components/schemas/ErrorBody";
const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Finish the generated document: servers, error answers, headers, enums and bounds.
pub fn finish(mut doc: Value) -> Value {
    doc["servers"] = json!([{ "url": "/", "description": "this server" }]);
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            for m in METHODS {
                if let Some(op) = item.get_mut(m).and_then(Value::as_object_mut) {
                    finish_operation(path, m, op);
                }
            }
        }
    }
    wechat_answers(&mut doc);
    unique_operation_ids(&mut doc);
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for (schema, prop, values) in enums() {
            let Some(p) = schemas.get_mut(schema).and_then(|s| s.pointer_mut(&format!("/properties/{prop}"))) else {
                continue;
            };
            set_enum(p, &values);
        }
    }
    doc
}

fn error(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": ERROR_REF } } } })
}

fn retry_after() -> Value {
    json!({ "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": { "type": "integer", "minimum": 0 }
    } })
}

fn finish_operation(path: &str, method: &str, op: &mut Map<String, Value>) {
    let secured = op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
    let json_body = op.get("requestBody").and_then(|b| b.pointer("/content/application~1json")).is_some();
    let other_body = op.get("requestBody").is_some() && !json_body;
    let params: Vec<(String, String)> = op
        .get("parameters")
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter().filter_map(|p| Some((p["in"].as_str()?.to_string(), p["name"].as_str()?.to_string()))).collect()
        })
        .unwrap_or_default();
    let has_path_param = path.contains('{');
    let has_query = params.iter().any(|(at, _)| at == "query");

    // Uploads and imports take the file's bytes as they are, not a JSON array of numbers.
    if let Some(content) = op.get_mut("requestBody").and_then(|b| b.get_mut("content")).and_then(Value::as_object_mut) {
        for (media, c) in content.iter_mut() {
            if media != "application/json" {
                c["schema"] = json!({ "type": "string", "format": "binary", "contentMediaType": media });
            }
        }
    }

    let responses = op.entry("responses").or_insert_with(|| json!({})).as_object_mut().expect("responses object");
    let mut add = |status: &str, description: &str| {
        responses.entry(status.to_string()).or_insert_with(|| error(description));
    };
    if secured {
        add("401", "No valid session: the token is missing, expired or revoked.");
        add("403", "The session may not do this: another audience's token, or a role without the permission.");
    }
    if json_body {
        add("400", "The body is not well-formed JSON, or a path or query value does not parse.");
        add("413", "The body is larger than the server accepts.");
        add("415", "The body is not `application/json`.");
        add("422", "A value is not acceptable; `field` names it.");
    }
    if other_body {
        add("413", "The body is larger than the server accepts.");
        add("415", "The body's media type is not one this operation accepts.");
        add("422", "The content is not acceptable (empty, or rows with errors); `field` names what.");
    }
    add("414", "The query string is longer than the server reads (4 KiB).");
    if has_path_param || has_query {
        add("400", "A path or query value does not parse; `field` names it.");
        add("422", "A value is not acceptable; `field` names it.");
    }
    if path.starts_with("/api/v1/payments/") {
        add("404", "This provider is not configured (or sandbox mode is off) on this server.");
    }
    if has_path_param {
        add("404", "Nothing with this id (or not this merchant's or this buyer's).");
    }
    let needs_key = params.iter().any(|(at, name)| at == "header" && name.eq_ignore_ascii_case("Idempotency-Key"));
    if needs_key && method == "post" {
        add("409", "The same `Idempotency-Key` is in use by a request still running.");
    }

    for (status, r) in responses.iter_mut() {
        let Some(r) = r.as_object_mut() else { continue };
        if r.get("description").and_then(Value::as_str).is_none_or(str::is_empty) {
            r.insert("description".into(), Value::String(describe(status).into()));
        }
        if status == "429" || status == "503" {
            let headers = r.entry("headers").or_insert_with(|| json!({}));
            if let (Some(h), Value::Object(ra)) = (headers.as_object_mut(), retry_after()) {
                for (k, v) in ra {
                    h.entry(k).or_insert(v);
                }
            }
        }
    }

    if let Some(ps) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in ps {
            bound_parameter(p);
        }
    }
}

/// The bounds `core::page::Page` enforces, and the key's length.
fn bound_parameter(p: &mut Value) {
    let (Some(at), Some(name)) = (p["in"].as_str().map(str::to_string), p["name"].as_str().map(str::to_string)) else {
        return;
    };
    let Some(schema) = p.get_mut("schema").and_then(Value::as_object_mut) else { return };
    match (at.as_str(), name.as_str()) {
        ("query", "page") => {
            schema.insert("minimum".into(), json!(1));
            schema.insert("maximum".into(), json!(minimall_core::page::MAX_PAGE));
        }
        ("query", "page_size") => {
            schema.insert("minimum".into(), json!(1));
            schema.insert("maximum".into(), json!(minimall_core::page::MAX_PAGE_SIZE));
        }
        ("header", n) if n.eq_ignore_ascii_case("Idempotency-Key") => {
            schema.insert("minLength".into(), json!(1));
            schema.insert("maxLength".into(), json!(crate::http::idempotency::MAX_KEY_LEN));
        }
        ("path", _) if schema.get("type") == Some(&json!("integer")) => {
            schema.insert("minimum".into(), json!(1));
        }
        _ => {}
    }
}

fn describe(status: &str) -> &'static str {
    match status {
        "200" => "OK.",
        "201" => "Created.",
        "202" => "Accepted: the work continues in the background.",
        "204" => "Done; no body.",
        "400" => "The request does not parse.",
        "401" => "No valid session.",
        "403" => "Not allowed.",
        "404" => "Not found.",
        "409" => "Conflicts with the current state.",
        "413" => "Too large.",
        "414" => "The address is too long.",
        "415" => "Unsupported media type.",
        "422" => "A value is not acceptable; `field` names it.",
        "500" => "The server could not complete the request.",
        "429" => "Too many attempts; wait `Retry-After` seconds.",
        "503" => "Temporarily unavailable; try again after `Retry-After` seconds.",
        _ => "See the error body.",
    }
}

/// WeChat Pay's callback answers in WeChat Pay's own form, `{"code":"SUCCESS"|"FAIL","message"}`, whatever
/// the status: that is what its servers read to decide whether to notify again.
fn wechat_answers(doc: &mut Value) {
    let Some(responses) =
        doc.pointer_mut("/paths/~1api~1v1~1payments~1wechat~1notify/post/responses").and_then(Value::as_object_mut)
    else {
        return;
    };
    let ack = json!({ "application/json": { "schema": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": { "type": "string", "enum": ["SUCCESS", "FAIL"] },
            "message": { "type": "string" }
        }
    } } });
    for status in ["200", "400", "401", "404", "413", "500"] {
        let r = responses.entry(status.to_string()).or_insert_with(|| json!({ "description": describe(status) }));
        r["content"] = ack.clone();
    }
    for status in ["415", "422"] {
        responses.remove(status);
    }
}

/// operationIds are the handlers' names; where two modules share a name, both get their tag as prefix.
fn unique_operation_ids(doc: &mut Value) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values() {
        for m in METHODS {
            if let Some(id) = item.pointer(&format!("/{m}/operationId")).and_then(Value::as_str) {
                *seen.entry(id.to_string()).or_default() += 1;
            }
        }
    }
    for item in paths.values_mut() {
        for m in METHODS {
            let Some(op) = item.get_mut(m) else { continue };
            let Some(id) = op["operationId"].as_str().map(str::to_string) else { continue };
            if seen.get(&id).copied().unwrap_or(0) > 1 {
                let tag = op.pointer("/tags/0").and_then(Value::as_str).unwrap_or("api").replace('-', "_");
                op["operationId"] = Value::String(format!("{tag}_{id}"));
            }
        }
    }
}

fn set_enum(p: &mut Value, values: &[String]) {
    let nullable = p.get("type").and_then(Value::as_array).is_some_and(|t| t.iter().any(|x| x == "null"));
    let mut vals: Vec<Value> = values.iter().map(|v| Value::String(v.clone())).collect();
    if nullable {
        vals.push(Value::Null);
    }
    p["enum"] = Value::Array(vals);
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// (schema, property, values). Domain enums where the domain has them; otherwise the values the
/// database's CHECK constraints allow.
fn enums() -> Vec<(&'static str, &'static str, Vec<String>)> {
    let order_status: Vec<String> = OrderStatus::ALL.iter().map(|s| s.as_str().to_string()).collect();
    let roles: Vec<String> = Role::ALL.iter().map(|r| r.as_str().to_string()).collect();
    let lifecycle: Vec<String> = Lifecycle::ALL.iter().map(|l| l.as_str().to_string()).collect();
    let activity_kinds = strs(&["limited_discount", "first_order", "newcomer", "full_reduction", "full_discount"]);
    let coupon_kinds = strs(&["amount_off", "percent_off", "free_shipping"]);
    let aftersale_kinds = strs(&["refund_only", "return_refund", "exchange"]);
    let freight_modes = strs(&["piece", "weight"]);
    let placements: Vec<String> = Placement::ALL.iter().map(|p| p.as_str().to_string()).collect();
    let strategies: Vec<String> = Strategy::ALL.iter().map(|s| s.as_str().to_string()).collect();
    let metrics = strs(&["click", "purchase"]);
    vec![
        ("Recommendations", "placement", placements.clone()),
        ("Recommendations", "strategy", strategies.clone()),
        ("RecoClick", "placement", placements.clone()),
        ("NewExperimentRequest", "placement", placements.clone()),
        ("ExperimentDto", "placement", placements),
        ("NewExperimentRequest", "metric", metrics.clone()),
        ("ExperimentDto", "metric", metrics),
        ("ExperimentDto", "status", strs(&["draft", "running", "stopped"])),
        ("VariantSpec", "strategy", strategies),
        ("OrderDto", "status", order_status.clone()),
        ("TimelineEntry", "from_status", order_status.clone()),
        ("TimelineEntry", "to_status", order_status),
        ("AdminUserDto", "role", roles.clone()),
        ("CreateUserRequest", "role", roles.clone()),
        ("UpdateUserRequest", "role", roles),
        ("ProductDto", "lifecycle", lifecycle.clone()),
        ("ProductCard", "lifecycle", lifecycle.clone()),
        ("ProductInput", "lifecycle", lifecycle),
        ("ActivityDto", "kind", activity_kinds.clone()),
        ("ActivityInput", "kind", activity_kinds),
        ("ActivityDto", "state", strs(&["upcoming", "running", "ended"])),
        ("CouponDto", "kind", coupon_kinds.clone()),
        ("CouponTemplateDto", "kind", coupon_kinds.clone()),
        ("CouponTemplateInput", "kind", coupon_kinds),
        ("CouponTemplateDto", "status", strs(&["active", "stopped"])),
        ("CouponDto", "state", strs(&["unused", "locked", "used", "expired", "returned"])),
        ("AftersaleDto", "kind", aftersale_kinds.clone()),
        ("AftersaleRequest", "kind", aftersale_kinds),
        (
            "AftersaleDto",
            "status",
            strs(&["pending", "approved", "returning", "refunded", "exchanged", "rejected", "cancelled"]),
        ),
        ("PromoterDto", "status", strs(&crate::distribution::cases::PROMOTER_STATUSES)),
        ("CommissionDto", "status", strs(&crate::distribution::cases::COMMISSION_STATUSES)),
        ("CommissionDto", "tier", strs(&["direct", "leader"])),
        ("WithdrawalDto", "status", strs(&crate::distribution::cases::WITHDRAWAL_STATUSES)),
        ("TeamMemberDto", "source", strs(&["link", "poster", "code"])),
        ("FreightDto", "mode", freight_modes.clone()),
        ("FreightInput", "mode", freight_modes),
        ("FlashSaleDto", "state", strs(&["upcoming", "running", "sold_out", "ended", "stopped"])),
        ("ImportStatus", "status", strs(&["queued", "validating", "applying", "done", "failed"])),
        ("JobDto", "status", strs(&["pending", "done", "dead"])),
        ("MessageDto", "status", strs(&["pending", "sent", "failed"])),
        ("MessageDto", "channel", strs(&["sms", "email", "wechat"])),
        ("PaymentDto", "status", strs(&["pending", "succeeded", "closed"])),
        ("RefundDto", "status", strs(&["pending", "succeeded", "failed"])),
        ("PaymentDto", "provider", strs(&["sandbox", "wechat"])),
        ("PayRequest", "provider", strs(&["sandbox", "wechat"])),
        ("PayStart", "provider", strs(&["sandbox", "wechat"])),
        ("SkuDto", "stock_status", strs(&["in_stock", "low", "sold_out"])),
        ("BannedWordSettings", "mode", strs(&["block", "warn"])),
        ("StockAdjustment", "reason", strs(&["manual", "return"])),
        (
            "MovementDto",
            "reason",
            strs(&[
                "initial",
                "sale",
                "cancel",
                "refund",
                "return",
                "manual",
                "import",
                "flash_reserve",
                "flash_return",
            ]),
        ),
        ("Health", "status", strs(&["ok"])),
    ]
}
