//! Credentials: argon2 password hashes (computed off the async threads), opaque bearer tokens stored only
//! as SHA-256, and the extractors that turn a request into a console user or a buyer.
//!
//! A handler's signature says who may call it: `Admin<ManageUsers>` admits a console user whose role grants
//! `Permission::ManageUsers`; `Buyer` admits a logged-in buyer.

use std::marker::PhantomData;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use minimall_core::auth::{Permission, Role};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::accounts::refusals::AccountRefusal;
use crate::error::ApiError;
use crate::state::AppState;

pub const ADMIN_COOKIE: &str = "mm_admin";
pub const BUYER_COOKIE: &str = "mm_buyer";

/// Hash a password with argon2id on the blocking pool.
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ApiError::internal(format!("hashing failed: {e}")))
    })
    .await
    .map_err(ApiError::internal)?
}

/// Verify on the blocking pool. With no stored hash, a dummy verification keeps the timing the same.
pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.to_string());
        let parsed = PasswordHash::new(&stored).map_err(|e| ApiError::internal(format!("bad stored hash: {e}")))?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(ApiError::internal)?
}

const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zq9x7WXbxvH0dE6gQm0m3xOEbW3qNfDiYQ8yD0I6c9Q";

/// A new random token with a prefix telling what it is for (`mma_` console, `mmb_` buyer).
pub fn new_token(prefix: &str) -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    format!("{prefix}{}", hex::encode(b))
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Where the token came from; cookie sessions need CSRF care on unsafe methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    Header,
    Cookie,
}

fn bearer(parts: &Parts, cookie_name: &str) -> Option<(String, TokenSource)> {
    if let Some(v) = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        if let Some(t) = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")) {
            return Some((t.trim().to_string(), TokenSource::Header));
        }
    }
    cookie(parts, cookie_name).map(|t| (t, TokenSource::Cookie))
}

pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A logged-in console user, before any permission check.
#[derive(Debug, Clone)]
pub struct AdminUser {
    pub id: i64,
    pub merchant_id: i64,
    pub username: String,
    pub role: Role,
    pub token_hash: String,
    pub source: TokenSource,
}

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (token, source) =
            bearer(parts, ADMIN_COOKIE).ok_or_else(|| ApiError::unauthorized_because(&AccountRefusal::LoginFirst))?;
        let hash = token_hash(&token);
        let session = state
            .store
            .live_session(&hash)
            .await?
            .ok_or_else(|| ApiError::unauthorized_because(&AccountRefusal::TokenInvalid))?;
        if session.kind != "admin" {
            return Err(ApiError::forbidden_because(&AccountRefusal::BuyerTokenOnAdmin));
        }
        let user = state.store.admin_by_id(session.merchant_id, session.subject_id).await?;
        if user.disabled != 0 {
            return Err(ApiError::unauthorized_because(&AccountRefusal::Disabled));
        }
        let role: Role = user.role.parse().map_err(|_| ApiError::internal(format!("unknown role {}", user.role)))?;
        if source == TokenSource::Cookie && !parts.method.is_safe() {
            check_same_origin(parts)?;
        }
        Ok(AdminUser {
            id: user.id,
            merchant_id: user.merchant_id,
            username: user.username,
            role,
            token_hash: hash,
            source,
        })
    }
}

/// Cookie-authenticated writes must come from our own pages: the Origin (or Referer) must match the Host.
pub fn check_same_origin(parts: &Parts) -> Result<(), ApiError> {
    let host = parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin =
        parts.headers.get(header::ORIGIN).or_else(|| parts.headers.get(header::REFERER)).and_then(|v| v.to_str().ok());
    match origin {
        Some(o) => {
            let rest = o.split("://").nth(1).unwrap_or("");
            let o_host = rest.split('/').next().unwrap_or("");
            if !host.is_empty() && o_host == host {
                Ok(())
            } else {
                Err(ApiError::forbidden_because(&AccountRefusal::CrossSite))
            }
        }
        None => Err(ApiError::forbidden_because(&AccountRefusal::OriginRequired)),
    }
}

/// Names a permission at the type level, so a route's signature states what it requires.
pub trait Perm {
    const PERMISSION: Permission;
}

macro_rules! perms {
    ($($name:ident),* $(,)?) => {
        $(
            #[derive(Debug)]
            pub struct $name;
            impl Perm for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*
    };
}

perms!(
    Session,
    ManageUsers,
    ReadAudit,
    ReadBuyers,
    ReadMessages,
    ManageJobs,
    ManageCatalog,
    ReadCatalog,
    ReadOrders,
    ReadRevenue,
    ManageOrders,
    ReadFinance,
    ManageFinance,
    ManageSettings,
    VerifyPickup,
    ManageMembers
);

/// A console user whose role grants `P`. Otherwise 401 (no valid token) or 403 (role lacks `P`).
#[derive(Debug)]
pub struct Admin<P: Perm> {
    pub user: AdminUser,
    _p: PhantomData<P>,
}

impl<P: Perm> Admin<P> {
    /// The same user with permission `P`, if their role grants it.
    pub fn for_user(user: AdminUser) -> Option<Self> {
        user.role.allows(P::PERMISSION).then_some(Admin { user, _p: PhantomData })
    }
}

impl<P: Perm> Clone for Admin<P> {
    fn clone(&self) -> Self {
        Admin { user: self.user.clone(), _p: PhantomData }
    }
}

impl<P: Perm> std::ops::Deref for Admin<P> {
    type Target = AdminUser;
    fn deref(&self) -> &AdminUser {
        &self.user
    }
}

impl<P: Perm + Send + Sync> FromRequestParts<AppState> for Admin<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = AdminUser::from_request_parts(parts, state).await?;
        if !user.role.allows(P::PERMISSION) {
            return Err(crate::error::role_may_not(user.role, &format!("{:?}", P::PERMISSION)));
        }
        Ok(Admin { user, _p: PhantomData })
    }
}

/// Which money figures a console user may see: revenue (GMV, paid and refunded amounts, payments, refunds)
/// and cost prices. Both follow `Role::allows_in` with what the shop decided about its roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MoneyView {
    pub revenue: bool,
    pub cost: bool,
}

impl MoneyView {
    pub async fn of(st: &AppState, user: &AdminUser) -> Result<MoneyView, ApiError> {
        let shop = shop_roles(st, user).await?;
        Ok(MoneyView {
            revenue: user.role.allows_in(Permission::ReadRevenue, shop),
            cost: user.role.allows_in(Permission::ReadCost, shop),
        })
    }
}

/// What the user's shop decided about its roles (read only for the roles it can change).
pub async fn shop_roles(st: &AppState, user: &AdminUser) -> Result<minimall_core::auth::ShopRoles, ApiError> {
    let operator_reads_cost = match user.role {
        Role::Operator => st.store.operator_reads_cost(user.merchant_id).await?,
        _ => false,
    };
    Ok(minimall_core::auth::ShopRoles { operator_reads_cost })
}

/// Buyer sessions created or verified in the last [`SessionCache::TTL`], so that a burst of requests (a flash
/// sale) does not read the session table for each. A logout on this instance drops its entry at once; a
/// logout on another instance takes effect here within the TTL. Expiry is still checked on every use.
#[derive(Default)]
pub struct SessionCache {
    map:
        std::sync::Mutex<std::collections::HashMap<String, (std::time::Instant, minimall_store::sessions::SessionRow)>>,
}

impl SessionCache {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(30);
    const MAX: usize = 100_000;

    pub fn get(&self, hash: &str) -> Option<minimall_store::sessions::SessionRow> {
        let map = self.map.lock().expect("session cache");
        let (at, row) = map.get(hash)?;
        (at.elapsed() < Self::TTL && row.expires_at > minimall_store::now_ms()).then(|| row.clone())
    }

    pub fn put(&self, hash: &str, row: &minimall_store::sessions::SessionRow) {
        let mut map = self.map.lock().expect("session cache");
        if map.len() >= Self::MAX {
            map.retain(|_, (at, _)| at.elapsed() < Self::TTL);
            if map.len() >= Self::MAX {
                map.clear();
            }
        }
        map.insert(hash.to_string(), (std::time::Instant::now(), row.clone()));
    }

    pub fn drop_token(&self, hash: &str) {
        self.map.lock().expect("session cache").remove(hash);
    }
}

/// A logged-in buyer.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub id: i64,
    pub merchant_id: i64,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for Buyer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let (token, source) =
            bearer(parts, BUYER_COOKIE).ok_or_else(|| ApiError::unauthorized_because(&AccountRefusal::LoginFirst))?;
        let hash = token_hash(&token);
        let session = match state.sessions.get(&hash) {
            Some(s) => s,
            None => {
                let s = state
                    .store
                    .live_session(&hash)
                    .await?
                    .ok_or_else(|| ApiError::unauthorized_because(&AccountRefusal::TokenInvalid))?;
                state.sessions.put(&hash, &s);
                s
            }
        };
        if session.kind != "buyer" {
            return Err(ApiError::forbidden_because(&AccountRefusal::AdminTokenOnShop));
        }
        if source == TokenSource::Cookie && !parts.method.is_safe() {
            check_same_origin(parts)?;
        }
        Ok(Buyer { id: session.subject_id, merchant_id: session.merchant_id, token_hash: hash })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_and_hashed() {
        let a = new_token("mma_");
        let b = new_token("mma_");
        assert_ne!(a, b);
        assert!(a.starts_with("mma_") && a.len() == 4 + 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[tokio::test]
    async fn passwords_verify() {
        let h = hash_password("correct horse".into()).await.unwrap();
        assert!(verify_password("correct horse".into(), Some(h.clone())).await.unwrap());
        assert!(!verify_password("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!verify_password("anything".into(), None).await.unwrap());
    }
}
