//! Console pages of flash sales: the list with the new-sale form, a sale's page.

use crate::error::ApiReason;
use crate::flash::refusals::FlashRefusal;
use crate::web::console::prelude::*;
use minimall_core::ProductId;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/flash", get(flash).post(create_flash))
        .route("/admin/flash/{id}", get(flash_sale).post(save_flash))
        .route("/admin/flash/{id}/stop", post(stop_flash))
}

async fn flash(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebQuery(q): WebQuery<PageQuery>,
) -> WebResult {
    ok(flash_page(&st, c, &a, q.page.unwrap_or(1).max(1), None).await?)
}

/// Rows of SKUs the new-sale form offers.
const FLASH_ROWS: [(&str, &str, &str); 3] = [
    ("sku_code_0", "flash_price_0", "quantity_0"),
    ("sku_code_1", "flash_price_1", "quantity_1"),
    ("sku_code_2", "flash_price_2", "quantity_2"),
];

/// The flash-sale list, with the new-sale form for roles that manage the catalog.
async fn flash_page(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadCatalog>,
    page: i64,
    refused: Option<FormRefusal<'_>>,
) -> Result<ListPage, WebError> {
    let list =
        crate::flash::sales::list_flash_sales(st, a, PageQuery { page: Some(page), page_size: Some(20) }).await?;
    let edit = may(a, Permission::ManageCatalog);
    let mut p = ListPage::new(c, a, "menu.flash").heads(&[
        "act.name",
        "prod.title",
        "act.window",
        "flash.items",
        "act.limit",
        "act.state",
        "",
    ]);
    if list.items.is_empty() {
        p.intro = p.c.t("flash.none").into();
    }
    if edit {
        let products = crate::catalog::products::list_products(
            st,
            a,
            ac::ProductQuery {
                page: Some(1),
                page_size: Some(100),
                q: None,
                category_id: None,
                on_shelf: Some(true),
                lifecycle: None,
                low_stock: None,
            },
        )
        .await?;
        let mut options = vec![(String::new(), p.c.t("flash.choose_product").to_string())];
        options.extend(products.items.iter().map(|x| (x.id.to_string(), format!("{} · {}", x.code, x.title))));
        // Whole minutes from the next one on, as the datetime-local inputs take them.
        let now = minimall_store::now_ms();
        let start = (now / 60_000 + 1) * 60_000;
        let typed = |name: &str, default: String| FormRefusal::value(&refused, name, default);
        let t = |k: &str| p.c.t(k).to_string();
        let mut fields = vec![
            Field::kind("idem", "", "hidden", crate::accounts::auth::new_token("web_")),
            Field::text("title", &t("act.name"), typed("title", String::new())),
            Field::select("product_id", &t("prod.title"), typed("product_id", String::new()), options),
        ];
        for (i, (code, price, qty)) in FLASH_ROWS.iter().enumerate() {
            let n = i + 1;
            fields.push(Field::text(code, &format!("{} {n}", t("prod.sku_code")), typed(code, String::new())));
            fields.push(Field::text(price, &format!("{} {n}", t("flash.price")), typed(price, String::new())));
            fields.push(Field::kind(qty, &format!("{} {n}", t("flash.quantity")), "number", typed(qty, String::new())));
        }
        fields.extend([
            Field::kind(
                "starts_at",
                &t("flash.starts_at"),
                "datetime-local",
                typed("starts_at", view::beijing_datetime_value(start)),
            ),
            Field::kind(
                "ends_at",
                &t("flash.ends_at"),
                "datetime-local",
                typed("ends_at", view::beijing_datetime_value(start + 3_600_000)),
            ),
            Field::kind("per_buyer_limit", &t("act.limit"), "number", typed("per_buyer_limit", "1".into())),
            Field::text("shipping", &t("flash.shipping"), typed("shipping", "0".into())),
        ]);
        if let Some(r) = refused {
            r.place(&mut fields, &mut p.error);
        }
        p.forms.push(Form {
            id: "new-flash-sale",
            title: t("flash.new"),
            action: "/admin/flash".into(),
            method: "post",
            fields,
            submit: t("common.add"),
        });
    }
    for x in &list.items {
        let items: Vec<String> = x
            .items
            .iter()
            .map(|i| format!("{} {} · {}/{}", i.spec.join("/"), view::yuan(i.flash_price), i.sold, i.quantity))
            .collect();
        p.rows.push(vec![
            Cell::link(&x.title, format!("/admin/flash/{}", x.id)),
            Cell::link(&x.product_title, format!("/admin/products/{}", x.product_id)),
            Cell::text(format!("{} – {}", view::beijing_time(x.starts_at), view::beijing_time(x.ends_at))),
            Cell::text(items.join("；")),
            Cell::num(x.per_buyer_limit.to_string()),
            Cell::tag(p.c.label("flash-state", &x.state), if x.state == "running" { "ok" } else { "" }),
            if edit && matches!(x.state.as_str(), "upcoming" | "running") {
                Cell::button(format!("/admin/flash/{}/stop", x.id), p.c.t("flash.stop"))
            } else {
                Cell::text("")
            },
        ]);
    }
    p.pager = Some(Pager::new("/admin/flash", page, 20, list.total));
    Ok(p)
}

/// The new-sale form as the API's input; `rows[k]` is the form row of `items[k]`.
async fn flash_input(
    st: &AppState,
    merchant_id: i64,
    f: &Fields,
) -> Result<(crate::flash::api::FlashSaleInput, Vec<usize>), ApiError> {
    use crate::flash::api::{FlashItemInput, FlashSaleInput};
    let product_id =
        f.int("product_id").ok_or_else(|| ApiError::invalid_because("product_id", &ApiReason::ChooseProduct))?;
    let mut items = Vec::new();
    let mut rows = Vec::new();
    for (i, (code, price, qty)) in FLASH_ROWS.iter().enumerate() {
        if f.opt(code).is_none() && f.opt(price).is_none() && f.opt(qty).is_none() {
            continue;
        }
        let at = |k: &str| format!("items[{}].{k}", items.len());
        let sku_id = match f.opt(code) {
            Some(code) => {
                st.store
                    .sku_by_code(st.store.reader(), merchant_id, code.trim())
                    .await?
                    .ok_or_else(|| ApiError::invalid_because(at("sku_id"), &ApiReason::NoSkuWithCode))?
                    .id
            }
            // A product of one SKU needs no code.
            None => match st.store.skus_of(st.store.reader(), &[ProductId::new(product_id)]).await?.as_slice() {
                [only] if only.merchant_id == merchant_id => only.id,
                _ => return Err(ApiError::invalid_because(at("sku_id"), &FlashRefusal::NeedSku)),
            },
        };
        let flash_price = view::parse_yuan(&at("flash_price"), f.get(price))?;
        let quantity = f.int(qty).ok_or_else(|| ApiError::invalid_because(at("quantity"), &ApiReason::WholeNumber))?;
        items.push(FlashItemInput { sku_id: sku_id.get(), flash_price, quantity });
        rows.push(i);
    }
    let when = |k: &str| beijing_datetime(f, k);
    let per_buyer_limit = match f.opt("per_buyer_limit") {
        Some(_) => whole_number(f, "per_buyer_limit")?,
        None => 1,
    };
    let shipping = match f.opt("shipping") {
        Some(v) => view::parse_yuan("shipping", v)?,
        None => 0,
    };
    let input = FlashSaleInput {
        title: f.get("title").trim().into(),
        product_id,
        starts_at: when("starts_at")?,
        ends_at: when("ends_at")?,
        per_buyer_limit,
        shipping,
        unpaid_timeout_secs: None,
        items,
    };
    Ok((input, rows))
}

/// The form field an API error names: `items[k].quantity` is the quantity of the form row of item `k`.
fn flash_form_field(e: &ApiError, rows: &[usize]) -> Option<String> {
    let field = e.field.as_deref()?;
    let row = |k: usize| rows.get(k).copied().unwrap_or(k);
    if field == "items" {
        // Not enough stock to set aside (which SKU the database does not say) or no SKU at all.
        let (code, _, qty) = FLASH_ROWS[row(0).min(FLASH_ROWS.len() - 1)];
        return Some(if e.status == StatusCode::CONFLICT { qty } else { code }.into());
    }
    if let Some(rest) = field.strip_prefix("items[") {
        let (k, what) = rest.split_once("].")?;
        let (code, price, qty) = *FLASH_ROWS.get(row(k.parse().ok()?))?;
        return Some(
            match what {
                "sku_id" => code,
                "flash_price" => price,
                _ => qty,
            }
            .into(),
        );
    }
    Some(field.into())
}

/// Set up a flash sale from the console form through the API's own path; a refusal shows next to its field.
async fn create_flash(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let mut rows = Vec::new();
    let result = match flash_input(&st, a.merchant_id, &f).await {
        Ok((input, r)) => {
            rows = r;
            let headers = with_idem(headers, f.get("idem"))?;
            crate::flash::sales::create_sale(&st, &a, &Call::from_headers(&headers), &input).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    let e = match result {
        Ok(()) => return back("/admin/flash"),
        Err(e) if e.status.is_client_error() && (e.field.is_some() || e.status == StatusCode::CONFLICT) => e,
        Err(e) => return Err(e.into()),
    };
    let reader = catalog_reader(&a)?;
    let refused = FormRefusal { typed: &f, field: flash_form_field(&e, &rows), message: flash_refusal_message(&c, &e) };
    refused_page(flash_page(&st, c, &reader, 1, Some(refused)).await?, e.status)
}

async fn flash_sale(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<SavedQuery>,
) -> WebResult {
    ok(flash_sale_page(&st, c, &a, id, q.saved.is_some(), None).await?)
}

/// One sale: its SKUs with the database's and the gate's counts, and the form that changes its terms while it
/// has not ended (units are set when the sale is created).
async fn flash_sale_page(
    st: &AppState,
    c: Ctx,
    a: &Admin<ReadCatalog>,
    id: i64,
    saved: bool,
    refused: Option<FormRefusal<'_>>,
) -> Result<ListPage, WebError> {
    let x = crate::flash::sales::get_flash_sale(st, a, id).await?;
    let mut p = ListPage::new(c, a, "menu.flash").heads(&[
        "prod.sku",
        "flash.price",
        "prod.sale_price",
        "flash.quantity",
        "flash.sold",
        "flash.gate_remaining",
    ]);
    item_head(&mut p, &x.sale.title, "/admin/flash", "flash.back");
    p.intro = format!(
        "{} · {} – {} · {} {} · {} {}",
        p.c.label("flash-state", &x.sale.state),
        view::beijing_time(x.sale.starts_at),
        view::beijing_time(x.sale.ends_at),
        p.c.t("flash.live_orders"),
        x.live_orders,
        p.c.t("flash.live_units"),
        x.live_units,
    );
    mark_saved(&mut p, saved);
    for i in &x.sale.items {
        let gate = x.gate_remaining.iter().find(|g| g.sku_id == i.sku_id).map(|g| g.remaining);
        p.rows.push(vec![
            Cell::text(i.spec.join("/")),
            Cell::num(view::yuan(i.flash_price)),
            Cell::num(view::yuan(i.sale_price)),
            Cell::num(i.quantity.to_string()),
            Cell::num(i.sold.to_string()),
            Cell::num(gate.map(|g| g.to_string()).unwrap_or_default()),
        ]);
    }
    if may(a, Permission::ManageCatalog) && matches!(x.sale.state.as_str(), "upcoming" | "running" | "sold_out") {
        let typed = |name: &str, current: String| FormRefusal::value(&refused, name, current);
        let t = |k: &str| p.c.t(k).to_string();
        let fields = vec![
            Field::text("title", &t("act.name"), typed("title", x.sale.title.clone())),
            Field::kind(
                "starts_at",
                &t("flash.starts_at"),
                "datetime-local",
                typed("starts_at", view::beijing_datetime_value(x.sale.starts_at)),
            ),
            Field::kind(
                "ends_at",
                &t("flash.ends_at"),
                "datetime-local",
                typed("ends_at", view::beijing_datetime_value(x.sale.ends_at)),
            ),
            Field::kind(
                "per_buyer_limit",
                &t("act.limit"),
                "number",
                typed("per_buyer_limit", x.sale.per_buyer_limit.to_string()),
            ),
            Field::text("shipping", &t("flash.shipping"), typed("shipping", view::yuan(x.sale.shipping))),
            Field::kind(
                "unpaid_minutes",
                &t("flash.unpaid_minutes"),
                "number",
                typed("unpaid_minutes", (x.sale.unpaid_timeout_secs / 60).to_string()),
            ),
        ];
        edit_form(&mut p, "edit-flash-sale", "flash.edit", format!("/admin/flash/{id}"), fields, refused);
    }
    Ok(p)
}

/// The edit form as the API's input.
fn flash_update(f: &Fields) -> Result<crate::flash::api::FlashSaleUpdate, ApiError> {
    let when = |k: &str| beijing_datetime(f, k);
    let minutes = whole_number(f, "unpaid_minutes")?;
    Ok(crate::flash::api::FlashSaleUpdate {
        title: f.get("title").trim().into(),
        starts_at: when("starts_at")?,
        ends_at: when("ends_at")?,
        per_buyer_limit: whole_number(f, "per_buyer_limit")?,
        shipping: view::parse_yuan("shipping", f.get("shipping"))?,
        unpaid_timeout_secs: Some(minutes.saturating_mul(60)),
    })
}

/// Change a sale's terms through the API's own path; a refusal shows next to its field.
async fn save_flash(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let result = match flash_update(&f) {
        Ok(input) => {
            crate::flash::sales::update_flash_sale(&st, &a, &Call::from_headers(&headers), id, input).await.map(|_| ())
        }
        Err(e) => Err(e),
    };
    let Some(e) = refusal(result)? else { return back(&format!("/admin/flash/{id}?saved=1")) };
    let reader = catalog_reader(&a)?;
    let field = e.field.as_deref().map(|f| if f == "unpaid_timeout_secs" { "unpaid_minutes" } else { f }.to_string());
    let refused = FormRefusal { typed: &f, field, message: flash_refusal_message(&c, &e) };
    refused_page(flash_sale_page(&st, c, &reader, id, false, Some(refused)).await?, e.status)
}

/// A refusal as the flash-sale form words it: the payment time in minutes, as the form asks for it.
fn flash_refusal_message(c: &Ctx, e: &ApiError) -> String {
    let seconds_out_of_range =
        e.field.as_deref() == Some("unpaid_timeout_secs") && e.reason_code() == Some("number.out_of_range");
    if seconds_out_of_range {
        return crate::messages::of(c.lang, &FlashRefusal::UnpaidMinutes { min: 1, max: 1440 });
    }
    refusal_message(c, e)
}

async fn stop_flash(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
) -> WebResult {
    let _ = crate::flash::sales::stop_flash_sale(&st, &a, &Call::from_headers(&headers), id).await?;
    back("/admin/flash")
}

// ---- orders and after-sales -------------------------------------------------------------------------
