//! The demo shop's community group: a neighbourhood group-buying group with a dozen members who joined before the
//! demo's orders, and two pushes (the running flash sale and a product), so that its figures and feed show.

use minimall_core::social::community as cm;
use minimall_store::community::GroupFields;

use crate::state::AppState;

pub async fn seed(st: &AppState) -> anyhow::Result<()> {
    let m = st.merchant_id;
    let now = minimall_store::now_ms();
    let mut members = Vec::new();
    for buyer in (1..=34).step_by(3) {
        if st.store.buyer_by_id(m, buyer).await.is_ok() {
            members.push(buyer);
        }
    }
    let flash = st.store.flash_sales(m, Some(now), 1, 0).await?.items.into_iter().next();
    let mut tx = st.store.begin().await?;
    let fields = GroupFields {
        name: "阳光花园小区团购群",
        note: "每周二、周五到货，群内专享价与秒杀提醒",
        owner_promoter_id: None,
    };
    let Some(id) = st.store.create_community_group(&mut tx, m, &cm::code_from(*b"SUNGRD27"), &fields).await? else {
        return Ok(());
    };
    // Every third of the first demo buyers (buyer001, buyer004, buyer007, …) joined 40 days ago, before the
    // demo's orders of the last 30 days.
    for &buyer in &members {
        st.store.join_community(&mut tx, m, id, buyer, now - 40 * 86_400_000).await?;
    }
    if let Some(f) = flash {
        st.store.insert_community_push(&mut tx, m, id, "flash_sale", f.id, "今晚整点秒杀，群友先抢", 0).await?;
        st.store
            .insert_community_push(&mut tx, m, id, "product", f.product_id, "本周团购爆款，群内下单包邮", 0)
            .await?;
    }
    minimall_store::commit(tx).await?;
    Ok(())
}
