//! The demo shop's home page layout: three banners and an icon grid of its top categories and the coupon
//! centre, drawn from the built-in placeholder pictures.

use minimall_store::showcase::ShowcaseFields;

use crate::state::AppState;

pub async fn seed(st: &AppState) -> anyhow::Result<()> {
    let m = st.merchant_id;
    let flash = st.store.flash_sales(m, Some(minimall_store::now_ms()), 1, 0).await?.items.into_iter().next();
    let flash_target = flash.map(|f| f.id.to_string());
    let mut banners: Vec<(&str, &str, &str, Option<String>)> = vec![
        ("新人专享 领券立减", "/img/placeholder/w3.svg", "coupons", None),
        ("当季热销榜", "/img/placeholder/w7.svg", "page", Some("/products?sort=sales".into())),
    ];
    if flash_target.is_some() {
        banners.insert(0, ("整点秒杀 低至6折", "/img/placeholder/w1.svg", "flash_sale", flash_target));
    }
    let categories = st.store.list_categories(m).await?;
    let mut icons: Vec<(String, String, &str, Option<String>)> = categories
        .iter()
        .filter(|c| c.parent_id.is_none())
        .take(9)
        .enumerate()
        .map(|(i, c)| {
            (
                c.name.chars().take(5).collect(),
                format!("/img/placeholder/i{}.svg", i + 1),
                "category",
                Some(c.id.to_string()),
            )
        })
        .collect();
    icons.push(("领券中心".into(), "/img/placeholder/i12.svg".into(), "coupons", None));
    let mut tx = st.store.begin().await?;
    for (title, image, kind, target) in &banners {
        let f = fields(title, image, kind, target.as_deref());
        st.store.create_showcase_item(&mut tx, m, "carousel", &f).await?;
    }
    for (title, image, kind, target) in &icons {
        let f = fields(title, image, kind, target.as_deref());
        st.store.create_showcase_item(&mut tx, m, "icons", &f).await?;
    }
    minimall_store::commit(tx).await?;
    Ok(())
}

fn fields<'a>(title: &'a str, image: &'a str, kind: &'a str, target: Option<&'a str>) -> ShowcaseFields<'a> {
    ShowcaseFields { title, image, link_kind: kind, link_target: target, enabled: true, starts_at: None, ends_at: None }
}
