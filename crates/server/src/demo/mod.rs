//! Demo data for `serve --demo`, first-start bootstrap of the owner account, and what a database was
//! created as (demo, sandbox or live), which decides what later starts may do to it.

pub mod catalog;
pub mod community;
pub mod crowd;
pub mod generate;
pub mod orders;
pub mod promotions;
pub mod showcase;

use minimall_core::auth::Role;
use minimall_store::admins::NewAdmin;
use minimall_store::buyers::BuyerIdentity;
use rand::distributions::Alphanumeric;
use rand::{Rng, SeedableRng};

use crate::accounts::auth::hash_password;
use crate::state::AppState;
use crate::usecase::Effects;

pub struct DemoReport {
    /// True when this start seeded an empty database.
    pub seeded: bool,
    /// (username, role) of the console users.
    pub users: Vec<(String, Role)>,
    /// The console password, when this start chose or set it.
    pub password: Option<String>,
    pub buyers: i64,
    pub products: i64,
}

pub const DEMO_BUYERS: usize = 200;

/// What a database was created as, recorded in it at its first start and never changed by a later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Created by `serve --demo` (or `minimall demo`): demo data, sandbox, demo passwords may be reset.
    Demo,
    /// Created with sandbox mode on, without demo data: a shop for testing.
    Sandbox,
    /// A shop: no start-up flag turns demo or sandbox mode on for it.
    Live,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Demo => "demo",
            Kind::Sandbox => "sandbox",
            Kind::Live => "live",
        }
    }

    fn parse(s: &str) -> Kind {
        match s {
            "demo" => Kind::Demo,
            "sandbox" => Kind::Sandbox,
            _ => Kind::Live,
        }
    }
}

/// What a database is: as recorded, or — at its first start — what this start makes it. A database
/// that already has console users but no record (created before the record existed) is a live shop.
pub fn kind_of(recorded: Option<&str>, has_users: bool, demo: bool, sandbox: bool) -> Kind {
    match recorded {
        Some(k) => Kind::parse(k),
        None if has_users => Kind::Live,
        None if demo => Kind::Demo,
        None if sandbox => Kind::Sandbox,
        None => Kind::Live,
    }
}

/// Refuse a start that would change what the database is: demo mode on a database not created as a
/// demo, sandbox mode on a live shop.
pub fn check_start(kind: Kind, demo: bool, sandbox: bool, database: &str) -> Result<(), String> {
    if demo && kind != Kind::Demo {
        return Err(format!(
            "--demo: the database {database} was not created as a demo (it was created as a {} shop). Demo mode \
             resets the console passwords and turns on sandbox logins and free sandbox payments, so it only runs on \
             a database that `serve --demo` created. Start without --demo to run this shop, or point --demo at a \
             new empty database (e.g. --database-url sqlite://demo.db).",
            kind.as_str()
        ));
    }
    if sandbox && kind == Kind::Live {
        return Err(format!(
            "sandbox (MINIMALL_SANDBOX): the database {database} was created as a live shop. Sandbox mode would let \
             anyone log in as a sandbox buyer and pay orders with the free sandbox provider, so it is refused here. \
             Start without sandbox mode, or use a new empty database started with sandbox on for testing."
        ));
    }
    Ok(())
}

/// At start-up: record what the database is (at its first start), refuse a start that would change it,
/// and return the installation's sandbox secret.
pub async fn settle_installation(
    store: &minimall_store::Store,
    demo: bool,
    sandbox: bool,
    database: &str,
) -> anyhow::Result<String> {
    let inst = store.installation().await?;
    let kind = match inst.kind.as_deref() {
        Some(k) => Kind::parse(k),
        None => {
            let k = kind_of(None, store.count_admins().await? > 0, demo, sandbox);
            Kind::parse(&store.record_installation_kind(k.as_str()).await?)
        }
    };
    check_start(kind, demo, sandbox, database).map_err(anyhow::Error::msg)?;
    Ok(inst.sandbox_secret)
}

fn generated_password() -> String {
    let s: String = rand::thread_rng().sample_iter(&Alphanumeric).take(16).map(char::from).collect();
    format!("mm-{s}")
}

/// On a database without console users, create the owner `admin` with the configured password or a
/// generated one (returned so start-up can print it).
pub async fn bootstrap_owner(st: &AppState) -> anyhow::Result<Option<String>> {
    if st.store.count_admins().await? > 0 {
        return Ok(None);
    }
    let pw = st.cfg.admin_password.as_ref().map(|p| p.expose().to_string());
    let password = pw.clone().unwrap_or_else(generated_password);
    create_user(st, "admin", "店主", Role::Owner, &password).await?;
    Ok(Some(password))
}

async fn create_user(st: &AppState, username: &str, display: &str, role: Role, password: &str) -> anyhow::Result<()> {
    let hash = hash_password(password.to_string()).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let mut tx = st.store.begin().await?;
    st.store
        .insert_admin(
            &mut tx,
            &NewAdmin {
                merchant_id: st.merchant_id,
                username,
                display_name: display,
                password_hash: &hash,
                role: role.as_str(),
            },
        )
        .await?;
    minimall_store::commit(tx).await?;
    Ok(())
}

pub const DEMO_USERS: [(&str, &str, Role); 5] = [
    ("admin", "店主", Role::Owner),
    ("operator", "运营小王", Role::Operator),
    ("finance", "财务小李", Role::Finance),
    ("service", "客服小张", Role::Service),
    ("clerk", "店员小陈", Role::Clerk),
];

/// Seed an empty database once; on later starts, only align the demo password with the configuration.
/// Runs only on a database created as a demo (see [`settle_installation`]).
pub async fn seed(st: &AppState) -> anyhow::Result<DemoReport> {
    let users: Vec<(String, Role)> = DEMO_USERS.iter().map(|(u, _, r)| (u.to_string(), *r)).collect();
    if st.store.count_admins().await? > 0 {
        let mut password = None;
        if let Some(p) = &st.cfg.admin_password {
            let hash = hash_password(p.expose().to_string()).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
            for (u, _, _) in DEMO_USERS {
                let _ = st.store.set_admin_password(st.merchant_id, u, &hash).await;
            }
            password = Some(p.expose().to_string());
        }
        let products = st.store.count_products(st.merchant_id).await?;
        return Ok(DemoReport {
            seeded: false,
            users,
            password,
            buyers: st.store.count_buyers(st.merchant_id).await?,
            products,
        });
    }
    let password = st.cfg.admin_password.as_ref().map(|p| p.expose().to_string()).unwrap_or_else(generated_password);
    for (u, d, r) in DEMO_USERS {
        create_user(st, u, d, r, &password).await?;
    }
    seed_buyers(st).await?;
    crate::demo::catalog::seed(st, st.cfg.demo_products).await?;
    if st.cfg.demo_products > 0 {
        crate::demo::promotions::seed(st).await?;
        crate::demo::orders::seed(st, 300).await?;
        seed_flash_sale(st).await?;
        crate::demo::showcase::seed(st).await?;
        crate::demo::community::seed(st).await?;
    }
    Effects::new().promotions_write().committed(st);
    Ok(DemoReport {
        seeded: true,
        users,
        password: Some(password),
        buyers: st.store.count_buyers(st.merchant_id).await?,
        products: st.store.count_products(st.merchant_id).await?,
    })
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗",
];
const GIVEN: &[&str] = &[
    "小明", "芳", "伟", "秀英", "娜", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "超", "霞", "平", "刚",
    "桂英", "丹",
];
const CHANNELS: &[&str] =
    &["direct", "search", "qr_poster", "moments", "group", "official_account", "promoter", "share"];

async fn seed_buyers(st: &AppState) -> anyhow::Result<()> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261125);
    let mut tx = st.store.begin().await?;
    for i in 1..=DEMO_BUYERS {
        let nickname =
            format!("{}{}", SURNAMES[rng.gen_range(0..SURNAMES.len())], GIVEN[rng.gen_range(0..GIVEN.len())]);
        let channel = CHANNELS[rng.gen_range(0..CHANNELS.len())];
        let openid = format!("sandbox:buyer{i:03}");
        st.store.upsert_buyer(&mut tx, st.merchant_id, BuyerIdentity::OpenId(&openid), &nickname, channel).await?;
    }
    minimall_store::commit(tx).await?;
    Ok(())
}

/// A running flash sale (three days from now) on the first on-shelf product that has stock to set aside.
async fn seed_flash_sale(st: &AppState) -> anyhow::Result<()> {
    let (products, skus) = st.store.export_catalog(st.merchant_id).await?;
    let Some((product, sku)) = products.iter().filter(|p| p.on_shelf != 0).find_map(|p| {
        skus.iter().find(|s| s.product_id == p.id && s.stock >= 20 && s.sale_price >= 200).map(|s| (p, s))
    }) else {
        return Ok(());
    };
    let now = minimall_store::now_ms();
    let ends = now + 3 * 86_400_000;
    let mut tx = st.store.begin().await?;
    let id = st
        .store
        .insert_flash_sale(
            &mut tx,
            st.merchant_id,
            &minimall_store::flash::NewFlashSale {
                title: "整点秒杀".into(),
                product_id: product.id.get(),
                starts_at: now,
                ends_at: ends,
                per_buyer_limit: 1,
                allow_coupons: false,
                shipping: 0,
                unpaid_timeout_secs: st.cfg.flash.unpaid_timeout_secs,
            },
            &[(sku.id.get(), sku.sale_price * 6 / 10, (sku.stock / 2).min(50))],
        )
        .await
        .map_err(|e| anyhow::anyhow!("demo flash sale: {e:?}"))?;
    minimall_store::commit(tx).await?;
    crate::flash::schedule_finish(st, st.merchant_id, id, ends).await.map_err(|e| anyhow::anyhow!(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_stays_what_it_was_created_as() {
        assert_eq!(kind_of(None, false, true, true), Kind::Demo);
        assert_eq!(kind_of(None, false, false, true), Kind::Sandbox);
        assert_eq!(kind_of(None, false, false, false), Kind::Live);
        assert_eq!(kind_of(None, true, true, true), Kind::Live, "users but no record: a shop from before");
        assert_eq!(kind_of(Some("demo"), true, false, false), Kind::Demo);
        assert!(check_start(Kind::Demo, true, true, "db").is_ok());
        assert!(check_start(Kind::Sandbox, false, true, "db").is_ok());
        assert!(check_start(Kind::Live, false, false, "db").is_ok());
        let e = check_start(Kind::Live, true, true, "db").unwrap_err();
        assert!(e.contains("--demo") && e.contains("new empty database"), "{e}");
        assert!(check_start(Kind::Sandbox, true, true, "db").is_err());
        let e = check_start(Kind::Live, false, true, "db").unwrap_err();
        assert!(e.contains("MINIMALL_SANDBOX"), "{e}");
    }
}
