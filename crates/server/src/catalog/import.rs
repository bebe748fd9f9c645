//! Product CSV import and export. One code path applies a file: inside one write transaction it resolves
//! categories, upserts products by product code and SKUs by SKU code, and sets stock through `import`
//! movements. A dry run is the same path rolled back; a real import commits only when no row has an
//! error, so a file imports whole or not at all.

use minimall_core::{ProductId, SkuId};
use std::collections::HashMap;
use std::sync::Mutex;

use minimall_core::catalog::csvio::{self, ImportRow, RowError};
use minimall_core::catalog::spec::{dims_from_skus, SpecDim};
use minimall_core::catalog::tree::{Node, Tree};
use minimall_core::error::{Coded, Reason};
use minimall_core::Money;
use minimall_store::catalog::{ProductFields, SkuFields};
use minimall_store::imports::ImportCounts;
use minimall_store::stock::{StockError, StockReason};
use minimall_store::Tx;
use serde::Serialize;
use utoipa::ToSchema;

use crate::catalog::{banned_check, sanitize_html, specs_json, visible_text, BannedHitDto};
use crate::error::{ApiError, ApiReason, Reasoned};
use crate::state::AppState;
use crate::usecase::{self, Effects};
use crate::web::i18n::Lang;

/// Largest file accepted (about 300k rows).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;
pub const IMPORT_JOB: &str = "catalog.import";

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowErrorDto {
    pub row: usize,
    pub column: String,
    /// The stable code of the problem, e.g. `number.not_whole`.
    pub reason: String,
    /// The code's parameters by name (amounts in fen when the name ends in `_fen`).
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    /// The problem in the request's language (Chinese for a queued import).
    pub message: String,
    #[serde(skip)]
    #[schema(ignore)]
    parts: Option<Reasoned>,
}

impl RowErrorDto {
    pub fn of(row: usize, column: &str, reason: &impl Coded) -> Self {
        let parts = Reasoned::of(reason);
        RowErrorDto {
            row,
            column: column.into(),
            reason: parts.code.to_string(),
            params: crate::error::params_json(&parts.params),
            message: parts.message(Lang::Zh),
            parts: Some(parts),
        }
    }

    /// The same problem worded in `lang`.
    pub fn in_lang(mut self, lang: Lang) -> Self {
        if let Some(p) = &self.parts {
            self.message = p.message(lang);
        }
        self
    }
}

impl From<RowError> for RowErrorDto {
    fn from(e: RowError) -> Self {
        RowErrorDto::of(e.row, &e.column, &e.reason)
    }
}

/// Progress of imports running in this process (rows handled so far).
#[derive(Default)]
pub struct Progress(Mutex<HashMap<i64, i64>>);

impl Progress {
    pub fn set(&self, id: i64, n: i64) {
        if let Ok(mut m) = self.0.lock() {
            m.insert(id, n);
        }
    }
    pub fn get(&self, id: i64) -> Option<i64> {
        self.0.lock().ok().and_then(|m| m.get(&id).copied())
    }
    pub fn clear(&self, id: i64) {
        if let Ok(mut m) = self.0.lock() {
            m.remove(&id);
        }
    }
}

pub struct Outcome {
    pub counts: ImportCounts,
    pub errors: Vec<RowErrorDto>,
    pub warnings: Vec<(usize, BannedHitDto)>,
}

fn err(row: usize, column: &str, reason: impl Coded) -> RowErrorDto {
    RowErrorDto::of(row, column, &reason)
}

/// Apply parsed rows inside `tx`. Returns the counts and every error found; the caller commits only when
/// there are none.
pub async fn apply(
    st: &AppState,
    tx: &mut Tx,
    merchant_id: i64,
    rows: &[ImportRow],
    actor: &str,
    reference: &str,
    keep_cost: bool,
    on_progress: &(dyn Fn(i64) + Send + Sync),
) -> Result<Outcome, ApiError> {
    let mut out = Outcome { counts: ImportCounts::default(), errors: Vec::new(), warnings: Vec::new() };
    let check = banned_check(st, merchant_id).await?;

    // Group rows by product code, keeping file order.
    let mut order: Vec<&str> = Vec::new();
    let mut groups: HashMap<&str, Vec<&ImportRow>> = HashMap::new();
    for r in rows {
        groups
            .entry(r.product_code.as_str())
            .or_insert_with(|| {
                order.push(r.product_code.as_str());
                Vec::new()
            })
            .push(r);
    }

    let mut cats = st.store.categories_tx(tx, merchant_id).await?;
    let products: HashMap<String, i64> = st.store.product_codes_tx(tx, merchant_id).await?.into_iter().collect();
    let mut skus: HashMap<String, (i64, i64, i64, String)> =
        st.store.sku_index_tx(tx, merchant_id).await?.into_iter().map(|(c, id, p, s, v)| (c, (id, p, s, v))).collect();
    let mut done = 0i64;

    for code in order {
        let group = &groups[code];
        let first = group[0];
        // Category by path, created when missing.
        let mut parent: Option<i64> = None;
        for (depth, name) in first.category_path.iter().enumerate() {
            let nodes: Vec<Node> = crate::catalog::categories::nodes(&cats);
            let found = Tree::new(&nodes).child_named(parent, name);
            parent = Some(match found {
                Some(id) => id,
                None => {
                    let row = st.store.insert_category(tx, merchant_id, parent, name, 0, depth as i32 + 1).await?;
                    let id = row.id;
                    cats.push(row);
                    id
                }
            });
        }
        let Some(category_id) = parent else {
            out.errors.push(err(first.row, "category", Reason::Required));
            continue;
        };
        let description = sanitize_html(&first.description);
        let visible = visible_text(&description);
        let hits: Vec<BannedHitDto> =
            [("title", first.title.as_str()), ("subtitle", first.subtitle.as_str()), ("description", visible.as_str())]
                .iter()
                .flat_map(|(f, t)| check.words.scan(f, t))
                .map(Into::into)
                .collect();
        if !hits.is_empty() {
            if check.mode == minimall_core::catalog::banned::BannedMode::Block {
                for h in &hits {
                    out.errors.push(err(
                        first.row,
                        &h.field,
                        ApiReason::ImportBannedWord {
                            word: h.word.clone(),
                            position: minimall_core::error::count(h.position),
                        },
                    ));
                }
                continue;
            }
            out.warnings.extend(hits.into_iter().map(|h| (first.row, h)));
        }

        let existing_id = products.get(code).copied();
        // SKU codes must not belong to another product.
        let mut bad = false;
        for r in group {
            if let Some((_, pid, _, _)) = skus.get(&r.sku_code) {
                if Some(*pid) != existing_id {
                    out.errors.push(err(
                        r.row,
                        "sku_code",
                        ApiReason::ImportSkuOfAnotherProduct { code: r.sku_code.clone() },
                    ));
                    bad = true;
                }
            }
        }
        if bad {
            continue;
        }
        // Spec dimensions: the file's rows plus the product's SKUs that the file leaves alone.
        let names: Vec<String> = first.spec.iter().map(|(n, _)| n.clone()).collect();
        let mut combos: Vec<Vec<String>> =
            group.iter().map(|r| r.spec.iter().map(|(_, v)| v.clone()).collect()).collect();
        if let Some(pid) = existing_id {
            let in_file: Vec<&str> = group.iter().map(|r| r.sku_code.as_str()).collect();
            for (c, (_, p, _, values)) in &skus {
                if *p == pid && !in_file.contains(&c.as_str()) {
                    let v: Vec<String> = serde_json::from_str(values).unwrap_or_default();
                    if v.len() != names.len() {
                        out.errors.push(err(
                            first.row,
                            "spec",
                            ApiReason::ImportSkuOtherSpecs { product: code.to_string(), sku: c.clone() },
                        ));
                        bad = true;
                    }
                    combos.push(v);
                }
            }
        }
        if bad {
            continue;
        }
        let dims: Vec<SpecDim> = dims_from_skus(&names, &combos);
        if let Err(e) = minimall_core::catalog::spec::validate_dims(&dims) {
            out.errors.push(err(first.row, "spec", e.reason));
            continue;
        }
        let fields = ProductFields {
            code: code.to_string(),
            category_id,
            title: first.title.clone(),
            subtitle: first.subtitle.clone(),
            description,
            images: serde_json::to_string(&first.images).unwrap_or_else(|_| "[]".into()),
            tags: serde_json::to_string(&first.tags).unwrap_or_else(|_| "[]".into()),
            specs: specs_json(&dims),
            sort: 0,
            on_shelf: first.on_shelf,
            lifecycle: first.lifecycle.as_str().into(),
            free_shipping: first.free_shipping,
            earns_points: first.earns_points,
            coupons_usable: first.coupons_usable,
            purchase_limit: first.purchase_limit,
        };
        let pid = match existing_id {
            Some(pid) => {
                let current = st.store.product(&mut **tx, merchant_id, ProductId::new(pid)).await?;
                let fields = ProductFields { sort: current.sort, ..fields };
                st.store.update_product(tx, merchant_id, ProductId::new(pid), &fields).await?;
                out.counts.updated_products += 1;
                pid
            }
            None => {
                out.counts.created_products += 1;
                st.store.insert_product(tx, merchant_id, &fields).await?.get()
            }
        };
        for r in group {
            let sku = SkuFields {
                code: r.sku_code.clone(),
                barcode: r.barcode.clone(),
                spec_values: serde_json::to_string(&r.spec.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>())
                    .unwrap_or_else(|_| "[]".into()),
                original_price: r.original_price.fen(),
                sale_price: r.sale_price.fen(),
                cost_price: r.cost_price.fen(),
                weight_g: r.weight_g,
                safety_stock: r.safety_stock,
                price_above_original: false,
            };
            let (sku_id, old_stock) = match skus.get(&r.sku_code) {
                Some((id, _, stock, _)) => {
                    let sku = if keep_cost {
                        SkuFields {
                            cost_price: st.store.sku(&mut **tx, merchant_id, SkuId::new(*id)).await?.cost_price,
                            ..sku
                        }
                    } else {
                        sku
                    };
                    st.store.update_sku(tx, merchant_id, SkuId::new(*id), &sku).await?;
                    out.counts.updated_skus += 1;
                    (*id, *stock)
                }
                None => {
                    let id = st.store.insert_sku(tx, merchant_id, ProductId::new(pid), &sku).await?;
                    out.counts.created_skus += 1;
                    skus.insert(r.sku_code.clone(), (id.get(), pid, 0, sku.spec_values.clone()));
                    (id.get(), 0)
                }
            };
            if r.stock != old_stock {
                match st
                    .store
                    .move_stock(tx, merchant_id, sku_id, r.stock - old_stock, StockReason::Import, reference, actor)
                    .await
                {
                    Ok(_) => {}
                    Err(StockError::Insufficient(_)) => {
                        out.errors.push(err(r.row, "stock", ApiReason::ImportStockChanged))
                    }
                    Err(StockError::Store(e)) => return Err(e.into()),
                }
            } else {
                st.store.check_threshold(tx, merchant_id, sku_id, old_stock, r.safety_stock).await?;
            }
            done += 1;
            if done % 500 == 0 {
                on_progress(done);
            }
        }
        st.store.refresh_price_range(tx, ProductId::new(pid)).await?;
    }
    on_progress(done);
    out.errors.sort_by_key(|e| e.row);
    Ok(out)
}

/// The cost column's index in the product CSV.
pub fn cost_column() -> usize {
    csvio::column_index("cost_price").expect("the product CSV has a cost column")
}

/// Whether a product file has the cost column (成本价). A file without it leaves existing SKUs' cost as it is.
pub fn has_cost_column(text: &str) -> bool {
    csvio::has_column(text, cost_column())
}

/// The whole catalog as export rows (one per SKU).
pub async fn export_rows(st: &AppState, merchant_id: i64) -> Result<Vec<ImportRow>, ApiError> {
    let (products, skus) = st.store.export_catalog(merchant_id).await?;
    let cats = st.store.list_categories(merchant_id).await?;
    let nodes: Vec<Node> = crate::catalog::categories::nodes(&cats);
    let tree = Tree::new(&nodes);
    let mut by_product: HashMap<i64, Vec<&minimall_store::catalog::SkuRow>> = HashMap::new();
    for s in &skus {
        by_product.entry(s.product_id.get()).or_default().push(s);
    }
    let mut out = Vec::with_capacity(skus.len());
    for p in &products {
        let dims: Vec<crate::catalog::SpecDimDto> = serde_json::from_str(&p.specs).unwrap_or_default();
        let names: Vec<String> = dims.iter().map(|d| d.name.clone()).collect();
        for s in by_product.get(&p.id.get()).map(Vec::as_slice).unwrap_or(&[]) {
            let values: Vec<String> = serde_json::from_str(&s.spec_values).unwrap_or_default();
            out.push(ImportRow {
                row: 0,
                product_code: p.code.clone(),
                title: p.title.clone(),
                subtitle: p.subtitle.clone(),
                category_path: tree.path(p.category_id),
                tags: serde_json::from_str(&p.tags).unwrap_or_default(),
                on_shelf: p.on_shelf != 0,
                lifecycle: minimall_core::catalog::Lifecycle::parse("lifecycle", &p.lifecycle)
                    .unwrap_or(minimall_core::catalog::Lifecycle::New),
                free_shipping: p.free_shipping != 0,
                earns_points: p.earns_points != 0,
                coupons_usable: p.coupons_usable != 0,
                purchase_limit: p.purchase_limit,
                description: p.description.clone(),
                images: serde_json::from_str(&p.images).unwrap_or_default(),
                sku_code: s.code.clone(),
                spec: names.iter().cloned().zip(values).collect(),
                barcode: s.barcode.clone(),
                stock: s.stock,
                original_price: Money::from_fen(s.original_price),
                sale_price: Money::from_fen(s.sale_price),
                cost_price: Money::from_fen(s.cost_price),
                weight_g: s.weight_g,
                safety_stock: s.safety_stock,
            });
        }
    }
    Ok(out)
}

/// Decode and parse an uploaded file.
pub fn parse(
    bytes: &[u8],
    cdn_hosts: &[String],
    lang: Lang,
) -> Result<(Vec<ImportRow>, Vec<RowErrorDto>, csvio::TextEncoding, String), ApiError> {
    let (text, enc) = csvio::decode(bytes)?;
    let (rows, errors) = csvio::parse_products(&text, cdn_hosts);
    Ok((rows, errors.into_iter().map(|e| RowErrorDto::from(e).in_lang(lang)).collect(), enc, text))
}

pub fn encoding_name(e: csvio::TextEncoding) -> &'static str {
    match e {
        csvio::TextEncoding::Utf8 => "utf-8",
        csvio::TextEncoding::Utf8Bom => "utf-8-bom",
        csvio::TextEncoding::Gbk => "gbk",
    }
}

/// The `catalog.import` job: apply a queued file, all or nothing.
pub async fn run_job(st: AppState, job: minimall_store::jobs::JobRow) -> Result<(), String> {
    #[derive(serde::Deserialize)]
    struct P {
        import_id: i64,
    }
    let p: P = serde_json::from_str(&job.payload).map_err(|e| e.to_string())?;
    let rec = st.store.import_record(job.merchant_id, p.import_id).await.map_err(|e| e.to_string())?;
    if rec.status == "done" || rec.status == "failed" {
        return Ok(());
    }
    let text = st.store.import_content(rec.id).await.map_err(|e| e.to_string())?;
    st.store.set_import_progress(rec.id, "applying", 0).await.map_err(|e| e.to_string())?;
    let (rows, parse_errors) = csvio::parse_products(&text, &st.cfg.cdn_hosts);
    let progress = st.imports.clone();
    let id = rec.id;
    let mut tx = st.store.begin().await.map_err(|e| e.to_string())?;
    let outcome = if parse_errors.is_empty() {
        let keep_cost = !has_cost_column(&text);
        apply(&st, &mut tx, rec.merchant_id, &rows, &rec.actor, &format!("import:{id}"), keep_cost, &move |n| {
            progress.set(id, n)
        })
        .await
        .map_err(|e| e.to_string())?
    } else {
        Outcome {
            counts: ImportCounts::default(),
            errors: parse_errors.into_iter().map(Into::into).collect(),
            warnings: vec![],
        }
    };
    let total = rows.len() as i64;
    let result = if outcome.errors.is_empty() {
        let errors = serde_json::to_string(&Vec::<RowErrorDto>::new()).unwrap_or_default();
        st.store.finish_import(&mut tx, id, "done", outcome.counts, &errors, total).await.map_err(|e| e.to_string())?;
        let fx = Effects::new().catalog_write(&st.store, &mut tx, rec.merchant_id).await.map_err(|e| e.to_string())?;
        usecase::commit(&st, tx, fx).await.map_err(|e| e.to_string())
    } else {
        drop(tx);
        let errors = serde_json::to_string(&outcome.errors).unwrap_or_default();
        let mut tx = st.store.begin().await.map_err(|e| e.to_string())?;
        st.store
            .finish_import(&mut tx, id, "failed", ImportCounts::default(), &errors, total)
            .await
            .map_err(|e| e.to_string())?;
        minimall_store::commit(tx).await.map_err(|e| e.to_string())
    };
    st.imports.clear(id);
    result
}
