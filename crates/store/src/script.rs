//! Several statements sent as one round trip where the database allows it.
//!
//! A grouped write is a few statements that need nothing from each other's results but their row counts.
//! SQLite runs a string of statements in one call, taking its `?` parameters in order, so the statements go
//! to the connection's thread together; PostgreSQL's extended protocol takes one statement per call, so
//! there they run one after another. The SQL and the parameters are the same either way.

use futures_util::TryStreamExt;
use sqlx::any::AnyArguments;
use sqlx::{Arguments, Either, Encode, Executor, Type};

use crate::db::{Backend, Tx};
use crate::{StoreError, StoreResult};

pub(crate) struct Script<'q> {
    backend: Backend,
    sql: Vec<String>,
    /// SQLite: one buffer for every statement; PostgreSQL: one per statement.
    args: Vec<AnyArguments<'q>>,
    error: Option<String>,
}

impl<'q> Script<'q> {
    pub(crate) fn new(backend: Backend) -> Script<'q> {
        Script { backend, sql: Vec::new(), args: Vec::new(), error: None }
    }

    /// Start the next statement, written with `?` placeholders (numbered `$1…` for PostgreSQL here); the
    /// values added until the next statement are its parameters, in order.
    pub(crate) fn statement(&mut self, sql: String) -> &mut Self {
        match self.backend {
            Backend::Sqlite => {
                if self.args.is_empty() {
                    self.args.push(AnyArguments::default());
                }
                self.sql.push(sql);
            }
            Backend::Postgres => {
                self.args.push(AnyArguments::default());
                self.sql.push(numbered(&sql));
            }
        }
        self
    }

    /// Statements so far.
    pub(crate) fn len(&self) -> usize {
        self.sql.len()
    }

    /// The current statement's next parameter.
    pub(crate) fn add<T: 'q + Encode<'q, sqlx::Any> + Type<sqlx::Any>>(&mut self, value: T) -> &mut Self {
        let args = self.args.last_mut().expect("a statement before its parameters");
        if let Err(e) = args.add(value) {
            self.error.get_or_insert_with(|| e.to_string());
        }
        self
    }

    /// Run every statement in the transaction; the rows each one changed, in order.
    pub(crate) async fn run(self, tx: &mut Tx) -> StoreResult<Vec<u64>> {
        if let Some(e) = self.error {
            return Err(StoreError::Unavailable(format!("a parameter could not be encoded: {e}")));
        }
        let statements = self.sql.len();
        let mut changed = Vec::with_capacity(statements);
        match self.backend {
            Backend::Sqlite => {
                let sql = self.sql.join(";\n");
                let Some(args) = self.args.into_iter().next() else { return Ok(changed) };
                let mut results = (&mut **tx).fetch_many(sqlx::query_with(&sql, args));
                while let Some(r) = results.try_next().await? {
                    if let Either::Left(done) = r {
                        changed.push(done.rows_affected());
                    }
                }
            }
            Backend::Postgres => {
                for (sql, args) in self.sql.iter().zip(self.args) {
                    changed.push(sqlx::query_with(sql, args).execute(&mut **tx).await?.rows_affected());
                }
            }
        }
        if changed.len() != statements {
            return Err(StoreError::Unavailable(format!("{statements} statements sent, {} answered", changed.len())));
        }
        Ok(changed)
    }
}

/// `?` placeholders as `$1`, `$2`, … (the statements here hold no `?` inside literals).
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + sql.len() / 4);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Script;
    use crate::Store;

    /// Row counts come back per statement, in order; a statement that fails fails the script, and the
    /// transaction it ran in keeps nothing of it once dropped.
    async fn counts_and_failure(s: Store, table: &str) {
        let mut tx = s.begin().await.unwrap();
        sqlx::query(&format!("CREATE TABLE {table} (k TEXT PRIMARY KEY, n BIGINT NOT NULL)"))
            .execute(&mut *tx)
            .await
            .unwrap();
        crate::commit(tx).await.unwrap();

        let mut tx = s.begin().await.unwrap();
        let mut script = Script::new(s.backend());
        script
            .statement(format!("INSERT INTO {table} (k, n) VALUES (?, ?), (?, ?)"))
            .add("a")
            .add(1i64)
            .add("b")
            .add(2i64);
        script.statement(format!("UPDATE {table} SET n = n + ? WHERE n >= ?")).add(10i64).add(1i64);
        script.statement(format!("UPDATE {table} SET n = ? WHERE k = ?")).add(0i64).add("none");
        assert_eq!(script.len(), 3);
        assert_eq!(script.run(&mut tx).await.unwrap(), vec![2, 2, 0]);
        crate::commit(tx).await.unwrap();
        let sum: (i64,) =
            sqlx::query_as(&format!("SELECT CAST(SUM(n) AS BIGINT) FROM {table}")).fetch_one(s.reader()).await.unwrap();
        assert_eq!(sum.0, 23);

        let mut tx = s.begin().await.unwrap();
        let mut script = Script::new(s.backend());
        script.statement(format!("INSERT INTO {table} (k, n) VALUES (?, ?)")).add("c").add(3i64);
        script.statement(format!("INSERT INTO {table} (k, n) VALUES (?, ?)")).add("a").add(4i64);
        script.statement(format!("UPDATE {table} SET n = 99"));
        assert!(script.run(&mut tx).await.is_err(), "a duplicate key fails the script");
        drop(tx);
        let rows: Vec<(String, i64)> =
            sqlx::query_as(&format!("SELECT k, n FROM {table} ORDER BY k")).fetch_all(s.reader()).await.unwrap();
        assert_eq!(rows, vec![("a".into(), 11), ("b".into(), 12)], "nothing of the failed script is left");
    }

    #[tokio::test]
    async fn a_script_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&format!("sqlite://{}", dir.path().join("s.db").display())).await.unwrap();
        counts_and_failure(s, "script_rows").await;
    }

    #[tokio::test]
    async fn a_script_on_postgres() {
        let Some(url) = std::env::var("MINIMALL_TEST_PG_URL").ok().filter(|u| !u.is_empty()) else {
            eprintln!("skipped: MINIMALL_TEST_PG_URL is not set");
            return;
        };
        let s = Store::connect(&url).await.unwrap();
        sqlx::query("DROP TABLE IF EXISTS script_rows_pg").execute(s.reader()).await.unwrap();
        counts_and_failure(s.clone(), "script_rows_pg").await;
        sqlx::query("DROP TABLE script_rows_pg").execute(s.reader()).await.unwrap();
    }

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            super::numbered("UPDATE t SET a = a + ? WHERE id = ? AND a + ? <= b"),
            "UPDATE t SET a = a + $1 WHERE id = $2 AND a + $3 <= b"
        );
        assert_eq!(super::numbered("VALUES (?,?),(?,?)"), "VALUES ($1,$2),($3,$4)");
    }
}
