//! The audit log: who did what to which record, before and after, written in the transaction of the change.

use serde::Serialize;

use crate::error::ApiResult;
use crate::state::AppState;
use crate::usecase::Call;

/// What an audit entry records of the request that made the change.
pub trait Asked {
    fn request_id(&self) -> Option<String>;
}

impl Asked for Call {
    fn request_id(&self) -> Option<String> {
        self.request_id.clone()
    }
}

impl<T: Asked> Asked for &T {
    fn request_id(&self) -> Option<String> {
        (**self).request_id()
    }
}

impl Asked for axum::http::HeaderMap {
    fn request_id(&self) -> Option<String> {
        Call::from_headers(self).request_id
    }
}

/// Who an audit entry names: a console user, or one still completing their two-factor enrolment.
pub trait Acting {
    /// (merchant, user id, user name)
    fn actor(&self) -> (i64, i64, &str);
}

impl Acting for crate::accounts::auth::AdminUser {
    fn actor(&self) -> (i64, i64, &str) {
        (self.merchant_id, self.id, &self.username)
    }
}

impl<T: Acting> Acting for &T {
    fn actor(&self) -> (i64, i64, &str) {
        (**self).actor()
    }
}

impl<P: crate::accounts::auth::Perm> Acting for crate::accounts::auth::Admin<P> {
    fn actor(&self) -> (i64, i64, &str) {
        self.user.actor()
    }
}

/// Write an audit entry for a console action inside its transaction.
pub async fn audit(
    st: &AppState,
    tx: &mut minimall_store::Tx,
    who: &impl Acting,
    call: &impl Asked,
    action: &str,
    target: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> ApiResult<()> {
    let (merchant_id, actor_id, actor_name) = who.actor();
    st.store
        .audit(
            tx,
            &minimall_store::audit::AuditEntry {
                merchant_id,
                actor_id,
                actor_name,
                action,
                target: &target,
                before: before.as_ref(),
                after: after.as_ref(),
                request_id: call.request_id().as_deref(),
            },
        )
        .await?;
    Ok(())
}

/// Serialize a DTO for the audit log.
pub fn to_json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}
