//! Console pages of the catalog: products and their SKUs, shelf, import, stock, categories.

use crate::catalog::refusals::CatalogRefusal;
use crate::error::ApiReason;
use crate::web::console::prelude::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/products", get(products))
        .route("/admin/products/shelf", post(shelf))
        .route("/admin/products/new", get(new_product).post(create_product))
        .route("/admin/products/{id}", get(product).post(save_product))
        .route("/admin/products/{id}/skus", post(save_skus))
        .route("/admin/import", get(import_page))
        .route("/admin/stock", get(stock).post(adjust_stock_by_code))
        .route("/admin/stock/{sku_id}", post(adjust_stock))
        .route("/admin/categories", get(categories).post(create_category))
}

#[derive(Deserialize, Default)]
struct ProductsQuery {
    q: Option<String>,
    category_id: Option<String>,
    on_shelf: Option<String>,
    low_stock: Option<String>,
    page: Option<i64>,
}

async fn products(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebQuery(q): WebQuery<ProductsQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let on_shelf = match q.on_shelf.as_deref() {
        Some("1") => Some(true),
        Some("0") => Some(false),
        _ => None,
    };
    let category_id = q.category_id.as_deref().and_then(|s| s.parse().ok());
    let list = crate::catalog::products::list_products(
        &st,
        &a,
        ac::ProductQuery {
            page: Some(page),
            page_size: Some(20),
            q: q.q.clone().filter(|s| !s.trim().is_empty()),
            category_id,
            on_shelf,
            lifecycle: None,
            low_stock: q.low_stock.as_deref().map(|v| v == "1").filter(|v| *v),
        },
    )
    .await?;
    let cats = st.store.list_categories(a.merchant_id).await?;
    let mut p = ListPage::new(c, &a, "menu.products").heads(&[
        "",
        "prod.code",
        "prod.title",
        "prod.price",
        "prod.sales",
        "prod.shelf",
        "",
    ]);
    let t = |k| p.c.t(k).to_string();
    p.filters = Some(Form {
        id: "filters",
        title: String::new(),
        action: "/admin/products".into(),
        method: "get",
        fields: vec![
            Field::text("q", &t("prod.search"), q.q.clone().unwrap_or_default()),
            Field::select(
                "category_id",
                &t("prod.category"),
                q.category_id.clone().unwrap_or_default(),
                category_options(&p.c, &cats),
            ),
            Field::select(
                "on_shelf",
                &t("prod.shelf"),
                q.on_shelf.clone().unwrap_or_default(),
                vec![(String::new(), t("common.all")), ("1".into(), t("prod.on")), ("0".into(), t("prod.off"))],
            ),
            Field::select(
                "low_stock",
                &t("menu.stock"),
                q.low_stock.clone().unwrap_or_default(),
                vec![(String::new(), t("common.all")), ("1".into(), t("prod.low_stock"))],
            ),
        ],
        submit: t("common.filter"),
    });
    if may(&a, Permission::ManageCatalog) {
        p.bulk = Some(Form {
            id: "bulk",
            title: t("prod.bulk"),
            action: "/admin/products/shelf".into(),
            method: "post",
            fields: vec![],
            submit: String::new(),
        });
        p.links.push(("/admin/products/new".into(), t("prod.new")));
        p.links.push(("/admin/import".into(), t("menu.import")));
    }
    p.links.push(("/api/v1/admin/products/export".into(), t("prod.export")));
    for it in &list.items {
        p.rows.push(vec![
            if may(&a, Permission::ManageCatalog) { Cell::check(it.id) } else { Cell::text("") },
            Cell::text(&it.code),
            Cell::link(&it.title, format!("/admin/products/{}", it.id)),
            Cell::num(if it.min_price == it.max_price {
                view::yuan(it.min_price)
            } else {
                format!("{}–{}", view::yuan(it.min_price), view::yuan(it.max_price))
            }),
            Cell::num(it.sales.to_string()),
            if it.on_shelf { Cell::tag(t("prod.on"), "ok") } else { Cell::tag(t("prod.off"), "muted") },
            Cell::link(t("common.edit"), format!("/admin/products/{}", it.id)),
        ]);
    }
    let base = view::with_query(
        "/admin/products",
        &[
            ("q", q.q.unwrap_or_default()),
            ("category_id", q.category_id.unwrap_or_default()),
            ("on_shelf", q.on_shelf.unwrap_or_default()),
            ("low_stock", q.low_stock.unwrap_or_default()),
        ],
    );
    p.pager = Some(Pager::new(&base, page, 20, list.total));
    ok(p)
}

async fn shelf(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let ids: Vec<i64> = f.all("ids").iter().filter_map(|s| s.parse().ok()).collect();
    if ids.is_empty() {
        return Err(ApiError::invalid_because("ids", &CatalogRefusal::ChooseProducts).into());
    }
    let back_to = referer_or(&headers, "/admin/products");
    let _ = crate::catalog::products::shelf(
        &st,
        &a,
        &Call::from_headers(&headers),
        ac::ShelfRequest { ids, on_shelf: f.get("on_shelf") == "1" },
    )
    .await?;
    back(&back_to)
}

async fn new_product(State(st): State<AppState>, c: Ctx, Console(a): Console<ManageCatalog>) -> WebResult {
    let cats = st.store.list_categories(a.merchant_id).await?;
    let mut p = ListPage::new(c, &a, "prod.new");
    p.intro = p.c.t("prod.new_intro").into();
    let categories = category_options(&p.c, &cats).into_iter().skip(1).collect();
    p.forms.push(Form {
        id: "new-product",
        title: String::new(),
        action: "/admin/products/new".into(),
        method: "post",
        fields: vec![
            Field::kind("idem", "", "hidden", crate::accounts::auth::new_token("web_")),
            Field::text("code", p.c.t("prod.code"), ""),
            Field::select("category_id", p.c.t("prod.category"), "", categories),
            Field::text("title", p.c.t("prod.title"), ""),
            Field::text("sku_code", p.c.t("prod.sku_code"), ""),
            Field::text("original_price", p.c.t("prod.original_price"), ""),
            Field::text("sale_price", p.c.t("prod.sale_price"), ""),
            Field::kind("stock", p.c.t("stock.current"), "number", "0"),
        ],
        submit: p.c.t("common.add").into(),
    });
    ok(p)
}

/// A new product with one SKU, off the shelf; specifications and more SKUs are added on its edit page.
async fn create_product(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    mut headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let key = axum::http::HeaderValue::from_str(f.get("idem"))
        .map_err(|_| ApiError::invalid_because("idem", &ApiReason::BadFormKey))?;
    headers.insert("idempotency-key", key);
    let code = f.get("code").trim().to_string();
    let sku_code = f.opt("sku_code").map(|s| s.trim().to_string()).unwrap_or_else(|| format!("{code}-1"));
    let req = ac::CreateProduct {
        product: crate::catalog::ProductInput {
            code,
            category_id: f.int("category_id").unwrap_or(0),
            title: f.get("title").into(),
            subtitle: String::new(),
            description: String::new(),
            images: vec![],
            tags: vec![],
            sort: 0,
            on_shelf: false,
            lifecycle: "new".into(),
            free_shipping: false,
            earns_points: true,
            coupons_usable: true,
            purchase_limit: 0,
        },
        specs: vec![],
        skus: vec![crate::catalog::SkuInput {
            code: sku_code,
            spec: vec![],
            barcode: None,
            stock: Some(f.int("stock").unwrap_or(0)),
            original_price: view::parse_yuan("original_price", f.get("original_price"))?,
            sale_price: view::parse_yuan("sale_price", f.get("sale_price"))?,
            cost_price: None,
            weight_g: 0,
            safety_stock: 0,
            price_above_original: false,
        }],
    };
    let resp = crate::catalog::products::create_product(&st, &a, &Call::from_headers(&headers), req).await?;
    let v: serde_json::Value = serde_json::from_str(&resp.body).map_err(ApiError::internal)?;
    let id = v["product"]["id"].as_i64().ok_or_else(|| ApiError::internal("created product without id"))?;
    back(&format!("/admin/products/{id}?saved=1"))
}

#[derive(Template)]
#[template(path = "admin/product.html")]
struct ProductPage {
    c: Ctx,
    nav: Nav,
    p: crate::catalog::ProductDto,
    categories: Vec<(String, String)>,
    images: String,
    tags: String,
    can_edit: bool,
    /// The role may see cost prices (the cost column is shown).
    cost: bool,
    saved: bool,
    /// Indexes of the empty rows offered for new SKUs.
    blank_rows: Vec<usize>,
    rows: usize,
}

async fn product(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebPath(id): WebPath<i64>,
    WebQuery(q): WebQuery<SavedQuery>,
) -> WebResult {
    let p = crate::catalog::products::get_product(&st, &a, id).await?;
    let cats = st.store.list_categories(a.merchant_id).await?;
    let categories = category_options(&c, &cats).into_iter().skip(1).collect();
    let nav = nav(&c, &a);
    Ok(ProductPage {
        nav,
        images: p.images.join("\n"),
        tags: p.tags.join(", "),
        categories,
        can_edit: may(&a, Permission::ManageCatalog),
        cost: MoneyView::of(&st, &a).await?.cost,
        saved: q.saved.is_some(),
        blank_rows: (p.skus.len()..p.skus.len() + 2).collect(),
        rows: p.skus.len() + 2,
        p,
        c,
    }
    .render_page())
}

async fn save_product(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let lines = |s: &str| s.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect::<Vec<_>>();
    let input = crate::catalog::ProductInput {
        code: f.get("code").trim().into(),
        category_id: f.int("category_id").unwrap_or(0),
        title: f.get("title").into(),
        subtitle: f.get("subtitle").into(),
        description: f.get("description").into(),
        images: lines(f.get("images")),
        tags: f.get("tags").split([',', '，']).map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect(),
        sort: f.int("sort").unwrap_or(0),
        on_shelf: f.checked("on_shelf"),
        lifecycle: f.opt("lifecycle").unwrap_or("new").into(),
        free_shipping: f.checked("free_shipping"),
        earns_points: f.checked("earns_points"),
        coupons_usable: f.checked("coupons_usable"),
        purchase_limit: f.int("purchase_limit").unwrap_or(0),
    };
    let _ = crate::catalog::products::update_product(&st, &a, &Call::from_headers(&headers), id, input).await?;
    back(&format!("/admin/products/{id}?saved=1"))
}

/// The SKU matrix editor posts one row per SKU (`code_N`, `spec_N`, prices in yuan, stock, safety stock)
/// and the spec dimensions as `name: v1, v2` lines.
async fn save_skus(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(id): WebPath<i64>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let specs: Vec<crate::catalog::SpecDimDto> = f
        .get("specs")
        .lines()
        .filter_map(|l| {
            let (name, values) = l.split_once([':', '：'])?;
            Some(crate::catalog::SpecDimDto {
                name: name.trim().into(),
                values: values.split([',', '，']).map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect(),
            })
        })
        .collect();
    // Without the cost permission the page has no cost column and existing SKUs keep their cost.
    let cost = MoneyView::of(&st, &a).await?.cost;
    let mut skus = Vec::new();
    for i in 0..f.int("rows").unwrap_or(0).clamp(0, 500) {
        let code = f.get(&format!("code_{i}")).trim().to_string();
        if code.is_empty() {
            continue;
        }
        let spec =
            f.get(&format!("spec_{i}")).split('/').map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect();
        let price = |k: &str| view::parse_yuan(&format!("skus[{i}].{k}"), f.get(&format!("{k}_{i}")));
        skus.push(crate::catalog::SkuInput {
            code,
            spec,
            barcode: f.opt(&format!("barcode_{i}")).map(String::from),
            stock: f.int(&format!("stock_{i}")),
            original_price: price("original_price")?,
            sale_price: price("sale_price")?,
            cost_price: if cost {
                Some(f.opt(&format!("cost_price_{i}")).map(|_| price("cost_price")).transpose()?.unwrap_or(0))
            } else {
                None
            },
            weight_g: f.int(&format!("weight_g_{i}")).unwrap_or(0),
            safety_stock: f.int(&format!("safety_stock_{i}")).unwrap_or(0),
            price_above_original: false,
        });
    }
    let _ = crate::catalog::products::replace_skus(
        &st,
        &a,
        &Call::from_headers(&headers),
        id,
        ac::SkuMatrix { specs, skus },
    )
    .await?;
    back(&format!("/admin/products/{id}?saved=1"))
}

#[derive(Template)]
#[template(path = "admin/import.html")]
struct ImportPage {
    c: Ctx,
    nav: Nav,
}

async fn import_page(c: Ctx, Console(a): Console<ManageCatalog>) -> WebResult {
    let nav = nav(&c, &a);
    Ok(ImportPage { c, nav }.render_page())
}

// ---- stock, categories ----------------------------------------------------------------------------

#[derive(Deserialize)]
struct StockQuery {
    all: Option<String>,
    page: Option<i64>,
}

async fn stock(
    State(st): State<AppState>,
    c: Ctx,
    Console(a): Console<ReadCatalog>,
    WebQuery(q): WebQuery<StockQuery>,
) -> WebResult {
    let page = q.page.unwrap_or(1).max(1);
    let open = q.all.is_none();
    let list = crate::catalog::products::list_alerts(
        &st,
        &a,
        ac::AlertQuery { page: Some(page), page_size: Some(50), open: Some(open) },
    )
    .await?;
    let edit = may(&a, Permission::ManageCatalog);
    let mut p = ListPage::new(c, &a, "menu.stock").heads(&[
        "prod.title",
        "prod.sku",
        "stock.current",
        "stock.threshold",
        "stock.opened",
        "stock.adjust",
    ]);
    p.intro = p.c.t("stock.intro").into();
    if edit {
        p.forms.push(Form {
            id: "adjust",
            title: p.c.t("stock.adjust_title").into(),
            action: "/admin/stock".into(),
            method: "post",
            fields: vec![
                Field::kind("idem", "", "hidden", crate::accounts::auth::new_token("web_")),
                Field::text("sku_code", p.c.t("prod.sku_code"), ""),
                Field::kind("delta", p.c.t("stock.delta"), "number", ""),
                Field::text("note", p.c.t("stock.note"), ""),
            ],
            submit: p.c.t("common.save").into(),
        });
    }
    p.links.push((
        if open { "/admin/stock?all=1" } else { "/admin/stock" }.into(),
        p.c.t(if open { "stock.show_all" } else { "stock.show_open" }).into(),
    ));
    for al in &list.items {
        p.rows.push(vec![
            Cell::link(&al.product_title, format!("/admin/products/{}", al.product_id)),
            Cell::text(&al.sku_code),
            Cell::num(al.current_stock.to_string()),
            Cell::num(al.threshold.to_string()),
            Cell::text(view::beijing_time(al.created_at)),
            if edit {
                Cell::button(
                    format!("/admin/stock/{}?delta=50&idem={}", al.sku_id, crate::accounts::auth::new_token("web_")),
                    "+50",
                )
            } else {
                Cell::text("")
            },
        ]);
    }
    p.pager = Some(Pager::new(if open { "/admin/stock" } else { "/admin/stock?all=1" }, page, 50, list.total));
    ok(p)
}

#[derive(Deserialize)]
struct DeltaQuery {
    delta: Option<i64>,
    idem: Option<String>,
}

async fn adjust_stock(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    WebPath(sku_id): WebPath<i64>,
    WebQuery(q): WebQuery<DeltaQuery>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let delta = f
        .int("delta")
        .or(q.delta)
        .ok_or_else(|| ApiError::invalid_because("delta", &CatalogRefusal::StockChangeUnits))?;
    let back_to = referer_or(&headers, "/admin/stock");
    let note = f.get("note").to_string();
    let headers = with_idem(headers, f.opt("idem").or(q.idem.as_deref()).unwrap_or(""))?;
    let _ = crate::catalog::products::adjust_stock(
        &st,
        &a,
        &Call::from_headers(&headers),
        sku_id,
        ac::StockAdjustment { delta, reason: "manual".into(), note },
    )
    .await?;
    back(&back_to)
}

/// Adjust a SKU found by its code (what is printed on the shelf label).
async fn adjust_stock_by_code(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let code = f.get("sku_code").trim();
    let sku = st.store.sku_by_code(st.store.reader(), a.merchant_id, code).await?;
    let sku = sku.ok_or_else(|| ApiError::invalid_because("sku_code", &ApiReason::NoSkuWithCode))?;
    let delta = f.int("delta").ok_or_else(|| ApiError::invalid_because("delta", &CatalogRefusal::StockChangeUnits))?;
    let note = f.get("note").to_string();
    let headers = with_idem(headers, f.get("idem"))?;
    let _ = crate::catalog::products::adjust_stock(
        &st,
        &a,
        &Call::from_headers(&headers),
        sku.id.get(),
        ac::StockAdjustment { delta, reason: "manual".into(), note },
    )
    .await?;
    back("/admin/stock")
}

async fn categories(State(st): State<AppState>, c: Ctx, Console(a): Console<ReadCatalog>) -> WebResult {
    let rows = st.store.list_categories(a.merchant_id).await?;
    let mut p = ListPage::new(c, &a, "menu.categories").heads(&["cat.name", "cat.level", "cat.sort", "common.id"]);
    if may(&a, Permission::ManageCatalog) {
        let mut parents = vec![(String::new(), p.c.t("cat.top").to_string())];
        parents.extend(rows.iter().filter(|r| r.depth < 3).map(|r| (r.id.to_string(), r.name.clone())));
        p.forms.push(Form {
            id: "new-category",
            title: p.c.t("cat.new").into(),
            action: "/admin/categories".into(),
            method: "post",
            fields: vec![
                Field::text("name", p.c.t("cat.name"), ""),
                Field::select("parent_id", p.c.t("cat.parent"), "", parents),
                Field::kind("sort", p.c.t("cat.sort"), "number", "0"),
            ],
            submit: p.c.t("common.add").into(),
        });
    }
    // Tree order: each node followed by its children.
    fn walk(nodes: &[acat::CategoryNode], out: &mut Vec<Vec<Cell>>) {
        for n in nodes {
            out.push(vec![
                Cell::text(format!("{}{}", "　".repeat((n.depth - 1).max(0) as usize), n.name)),
                Cell::num(n.depth.to_string()),
                Cell::num(n.sort.to_string()),
                Cell::link(n.id.to_string(), format!("/admin/products?category_id={}", n.id)),
            ]);
            walk(&n.children, out);
        }
    }
    walk(&crate::catalog::categories::build_tree(&rows), &mut p.rows);
    ok(p)
}

async fn create_category(
    State(st): State<AppState>,
    Console(a): Console<ManageCatalog>,
    headers: HeaderMap,
    f: Fields,
) -> WebResult {
    let req = acat::CreateCategory {
        name: f.get("name").into(),
        parent_id: f.int("parent_id"),
        sort: f.int("sort").unwrap_or(0),
    };
    let _ = crate::catalog::categories::create_category(&st, &a, &Call::from_headers(&headers), req).await?;
    back("/admin/categories")
}

// ---- activities, coupons, flash sales ---------------------------------------------------------------
