use thiserror::Error;

/// What callers of the store can tell apart. Driver errors never leave this crate undescribed.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the string names what was duplicated.
    #[error("already exists: {0}")]
    Duplicate(String),
    /// A CHECK or foreign key refused the write.
    #[error("refused by the database: {0}")]
    Constraint(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("database error: {0}")]
    Db(sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(e.to_string())
            }
            sqlx::Error::Database(db) => {
                if db.is_unique_violation() {
                    StoreError::Duplicate(db.message().to_string())
                } else if db.is_check_violation() || db.is_foreign_key_violation() {
                    StoreError::Constraint(db.message().to_string())
                } else {
                    StoreError::Db(e)
                }
            }
            _ => StoreError::Db(e),
        }
    }
}
