//! Demo catalog: a three-level category tree with Chinese names and products with specs, SKUs,
//! prices, stock and generated placeholder images.

use minimall_store::catalog::{ProductFields, SkuFields};
use minimall_store::stock::StockReason;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::catalog::{specs_json, SpecDimDto};
use crate::state::AppState;

/// A second-level category and its leaves.
type Branch = (&'static str, &'static [&'static str]);

/// (root, [(level 2, [level 3 …])])
const TREE: &[(&str, &[Branch])] = &[
    (
        "食品生鲜",
        &[
            ("新鲜水果", &["橙子", "苹果", "葡萄", "猕猴桃"]),
            ("休闲零食", &["坚果", "饼干", "果干"]),
            ("茶饮冲调", &["绿茶", "红茶", "咖啡"]),
        ],
    ),
    (
        "服饰鞋包",
        &[
            ("女装", &["连衣裙", "T恤", "针织衫"]),
            ("男装", &["衬衫", "休闲裤", "夹克"]),
            ("童装", &["童套装", "童外套"]),
        ],
    ),
    (
        "家居日用",
        &[
            ("厨房用品", &["炒锅", "刀具", "餐具"]),
            ("家纺", &["四件套", "枕头", "毛巾"]),
            ("收纳清洁", &["收纳盒", "拖把"]),
        ],
    ),
    ("美妆个护", &[("护肤", &["面霜", "精华", "面膜"]), ("洗护", &["洗发水", "沐浴露"])]),
    ("数码配件", &[("手机配件", &["数据线", "充电器", "手机壳"]), ("影音", &["蓝牙耳机", "音箱"])]),
];

const ORIGINS: &[&str] = &["赣南", "云南", "新疆", "山东", "浙江", "福建", "四川", "东北", "广西", "陕西"];
const STYLES: &[&str] = &["精选", "家用", "经典", "轻奢", "简约", "新款", "加厚", "便携", "原装", "优选"];
const COLORS: &[&str] = &["白色", "黑色", "灰色", "蓝色", "粉色", "绿色"];
const SIZES: &[&str] = &["S", "M", "L", "XL"];
const WEIGHTS: &[&str] = &["500g", "1kg", "2.5kg", "5kg"];

fn food(root: &str) -> bool {
    root == "食品生鲜"
}

/// Seed `count` products (no-op when the catalog is not empty).
pub async fn seed(st: &AppState, count: usize) -> anyhow::Result<usize> {
    if count == 0 || st.store.count_products(st.merchant_id).await? > 0 {
        return Ok(0);
    }
    let m = st.merchant_id;
    let mut rng = StdRng::seed_from_u64(7_202_611);
    let mut tx = st.store.begin().await?;
    let mut leaves: Vec<(i64, &str, &str)> = Vec::new();
    for (ri, (root, mids)) in TREE.iter().enumerate() {
        let r = st.store.insert_category(&mut tx, m, None, root, (TREE.len() - ri) as i64, 1).await?;
        for (mi, (mid, leafs)) in mids.iter().enumerate() {
            let c = st.store.insert_category(&mut tx, m, Some(r.id), mid, (mids.len() - mi) as i64, 2).await?;
            for (li, leaf) in leafs.iter().enumerate() {
                let l = st.store.insert_category(&mut tx, m, Some(c.id), leaf, (leafs.len() - li) as i64, 3).await?;
                leaves.push((l.id, root, leaf));
            }
        }
    }
    for i in 0..count {
        let (cat_id, root, leaf) = leaves[i % leaves.len()];
        let n = i + 1;
        let (title, dims): (String, Vec<SpecDimDto>) = if food(root) {
            let origin = ORIGINS[rng.gen_range(0..ORIGINS.len())];
            let w: Vec<String> = pick(&mut rng, WEIGHTS, 2);
            (
                format!("{origin}{leaf} {} 产地直发", STYLES[rng.gen_range(0..STYLES.len())]),
                vec![SpecDimDto { name: "规格".into(), values: w }],
            )
        } else if root == "服饰鞋包" {
            let colors = pick(&mut rng, COLORS, 2);
            let sizes = pick(&mut rng, SIZES, 3);
            (
                format!(
                    "{}{leaf} 舒适百搭 {}季新品",
                    STYLES[rng.gen_range(0..STYLES.len())],
                    ["春", "夏", "秋", "冬"][rng.gen_range(0..4)]
                ),
                vec![
                    SpecDimDto { name: "颜色".into(), values: colors },
                    SpecDimDto { name: "尺码".into(), values: sizes },
                ],
            )
        } else {
            let k = rng.gen_range(1..=3);
            let colors = pick(&mut rng, COLORS, k);
            (
                format!("{}{leaf} 品质之选 {}号", STYLES[rng.gen_range(0..STYLES.len())], n),
                vec![SpecDimDto { name: "颜色".into(), values: colors }],
            )
        };
        let base_price: i64 = rng.gen_range(990..59_900);
        let base_price = base_price / 10 * 10;
        let fields = ProductFields {
            code: format!("P{n:05}"),
            category_id: cat_id,
            title: title.chars().take(60).collect(),
            subtitle: format!("{leaf} · 正品保障 · 七天无理由退换"),
            description: format!("<p>{title}</p><p>产地直供，品质保证。下单后 48 小时内发货。</p>"),
            images: serde_json::to_string(&[
                format!("/img/placeholder/{n}.svg"),
                format!("/img/placeholder/{}.svg", n + 5000),
            ])?,
            tags: serde_json::to_string(&[if rng.gen_bool(0.3) { "新品" } else { "热卖" }])?,
            specs: "[]".into(),
            sort: rng.gen_range(0..100),
            on_shelf: rng.gen_bool(0.95),
            lifecycle: ["new", "growing", "mature", "declining"][rng.gen_range(0..4)].into(),
            free_shipping: rng.gen_bool(0.4),
            earns_points: rng.gen_bool(0.9),
            coupons_usable: rng.gen_bool(0.9),
            purchase_limit: if rng.gen_bool(0.1) { 5 } else { 0 },
        };
        let dims_core = crate::catalog::to_dims(&dims);
        let fields = ProductFields { specs: specs_json(&dims_core), ..fields };
        let pid = st.store.insert_product(&mut tx, m, &fields).await?;
        for (k, combo) in minimall_core::catalog::spec::combinations(&dims_core).into_iter().enumerate() {
            let sale = base_price + (k as i64) * 500;
            let original = sale * rng.gen_range(110..160) / 100 / 10 * 10;
            let sku = SkuFields {
                code: format!("P{n:05}-{}", k + 1),
                barcode: None,
                spec_values: serde_json::to_string(&combo)?,
                original_price: original.max(sale),
                sale_price: sale,
                cost_price: sale * rng.gen_range(35..70) / 100,
                weight_g: rng.gen_range(100..3000),
                safety_stock: 10,
                price_above_original: false,
            };
            let sid = st.store.insert_sku(&mut tx, m, pid, &sku).await?;
            let stock = if rng.gen_bool(0.05) { rng.gen_range(0..8) } else { rng.gen_range(20..800) };
            if stock > 0 {
                st.store
                    .move_stock(&mut tx, m, sid.get(), stock, StockReason::Initial, &format!("product:{pid}"), "demo")
                    .await
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            } else {
                st.store.check_threshold(&mut tx, m, sid.get(), 0, 10).await?;
            }
        }
        st.store.refresh_price_range(&mut tx, pid).await?;
        // Some sales history for sorting by sales.
        st.store.add_product_sales(&mut tx, pid, rng.gen_range(0..2000)).await?;
    }
    st.store.bump_catalog_version(&mut tx, m).await?;
    minimall_store::commit(tx).await?;
    Ok(count)
}

fn pick(rng: &mut StdRng, from: &[&str], n: usize) -> Vec<String> {
    let start = rng.gen_range(0..from.len());
    (0..n.min(from.len())).map(|i| from[(start + i) % from.len()].to_string()).collect()
}
