//! Several statements sent as one round trip where the database allows it.
//!
//! A grouped write is a few statements that need nothing from each other's results but their row counts.
//! SQLite runs a string of statements in one call, taking its `?` parameters in order, so the statements go
//! to the connection's thread together. PostgreSQL's extended protocol takes one statement per call, so
//! there they run one after another — unless the script was made with [`Script::independent`]: then the
//! statements between two [`Script::then`] go as one statement, each a data-modifying `WITH` part, whose
//! row counts the statement returns. Such statements all see
//! the database as it was before any of them (one snapshot), so none may read rows another writes, nor
//! change a row another changes. The SQL and the parameters are the same either way.

use futures_util::TryStreamExt;
use sqlx::any::AnyArguments;
use sqlx::{Arguments, Either, Encode, Executor, Row, Type};

use crate::db::{Backend, Tx};
use crate::{StoreError, StoreResult};

/// The most parameters PostgreSQL takes in one statement.
const PG_MAX_PARAMS: usize = 65_535;

pub(crate) struct Script<'q> {
    backend: Backend,
    sql: Vec<String>,
    /// SQLite: one buffer for every statement; PostgreSQL: one per statement.
    args: Vec<AnyArguments<'q>>,
    /// PostgreSQL: statements may share one round trip with those before them up to the next `then`;
    /// otherwise each statement is a round trip of its own.
    independent: bool,
    /// The statements (by index) each `then` put a sequence point before.
    starts: Vec<usize>,
    error: Option<String>,
}

impl<'q> Script<'q> {
    pub(crate) fn new(backend: Backend) -> Script<'q> {
        Script { backend, sql: Vec::new(), args: Vec::new(), independent: false, starts: Vec::new(), error: None }
    }

    /// A script of statements that neither read what another writes nor change a row another changes, up to
    /// each [`Script::then`]: on PostgreSQL each such run of statements is one round trip.
    pub(crate) fn independent(backend: Backend) -> Script<'q> {
        Script { independent: true, ..Script::new(backend) }
    }

    /// The statements after this run once those before it have finished (and may see their rows).
    pub(crate) fn then(&mut self) -> &mut Self {
        self.starts.push(self.sql.len());
        self
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
                self.sql.push(sql);
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
                let mut statements_args = self.sql.into_iter().zip(self.args).enumerate().peekable();
                while statements_args.peek().is_some() {
                    // One round trip: statements up to the next start, within PostgreSQL's parameter limit.
                    let mut part: Vec<(String, AnyArguments<'q>)> = Vec::new();
                    let mut params = 0;
                    while let Some((i, (_, args))) = statements_args.peek() {
                        let first = part.is_empty();
                        let starts = !self.independent || self.starts.contains(i);
                        if !first && (starts || params + args.len() > PG_MAX_PARAMS) {
                            break;
                        }
                        params += args.len();
                        let (_, statement) = statements_args.next().expect("peeked");
                        part.push(statement);
                    }
                    changed.extend(run_together(tx, part).await?);
                }
            }
        }
        if changed.len() != statements {
            return Err(StoreError::Unavailable(format!("{statements} statements sent, {} answered", changed.len())));
        }
        Ok(changed)
    }
}

/// PostgreSQL: one statement as it is; several as the parts of one `WITH`, the main query returning each
/// part's row count.
async fn run_together<'q>(tx: &mut Tx, mut part: Vec<(String, AnyArguments<'q>)>) -> StoreResult<Vec<u64>> {
    if part.len() == 1 {
        let (sql, args) = part.pop().expect("one statement");
        return Ok(vec![sqlx::query_with(&numbered(&sql), args).execute(&mut **tx).await?.rows_affected()]);
    }
    let mut with = Vec::with_capacity(part.len());
    let mut counts = Vec::with_capacity(part.len());
    let mut all = AnyArguments::default();
    for (n, (sql, args)) in part.into_iter().enumerate() {
        with.push(format!("s{n} AS ({sql} RETURNING 1)"));
        counts.push(format!("(SELECT COUNT(*) FROM s{n})"));
        all.values.0.extend(args.values.0);
    }
    let sql = numbered(&format!("WITH {} SELECT {}", with.join(",\n"), counts.join(", ")));
    let row = sqlx::query_with(&sql, all).fetch_one(&mut **tx).await?;
    (0..counts.len()).map(|i| Ok(row.try_get::<i64, _>(i)? as u64)).collect()
}

/// A column's type in a [`Rows`] insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Int,
    Text,
}

#[derive(Debug, Clone)]
enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
}

/// Rows for one multi-row `INSERT`, added row by row, cell by cell in column order. On SQLite the statement is
/// `INSERT … VALUES (?, …), (?, …)` with its values in row order; on PostgreSQL it is `INSERT … SELECT * FROM
/// unnest(?::bigint[], ?::text[], …)` with one array per column, so that its text is the same whatever the
/// number of rows and PostgreSQL parses and plans it once per connection (parsing, planning and starting a
/// `VALUES` list of thousands of parameters cost it more than inserting the rows).
pub(crate) struct Rows {
    table: &'static str,
    columns: &'static [(&'static str, Kind)],
    cells: Vec<Cell>,
}

impl Rows {
    pub(crate) fn new(table: &'static str, columns: &'static [(&'static str, Kind)], rows: usize) -> Rows {
        Rows { table, columns, cells: Vec::with_capacity(rows * columns.len()) }
    }

    fn next_kind(&self) -> Kind {
        self.columns[self.cells.len() % self.columns.len()].1
    }

    /// The next cell, an integer column's value.
    pub(crate) fn int(&mut self, v: impl Into<Option<i64>>) -> &mut Self {
        debug_assert_eq!(self.next_kind(), Kind::Int, "{}: column {}", self.table, self.cells.len());
        self.cells.push(Cell::Int(v.into()));
        self
    }

    /// The next cell, a text column's value.
    pub(crate) fn text(&mut self, v: impl Into<String>) -> &mut Self {
        self.opt_text(Some(v.into()))
    }

    /// The next cell, a text column's value or NULL.
    pub(crate) fn opt_text(&mut self, v: Option<String>) -> &mut Self {
        debug_assert_eq!(self.next_kind(), Kind::Text, "{}: column {}", self.table, self.cells.len());
        self.cells.push(Cell::Text(v));
        self
    }

    fn rows(&self) -> usize {
        self.cells.len() / self.columns.len()
    }
}

/// A PostgreSQL array literal of one column's cells: every text quoted (`"` and `\` escaped), NULL bare.
fn array_literal<'a>(cells: impl Iterator<Item = &'a Cell>) -> String {
    let mut out = String::from("{");
    for (n, c) in cells.enumerate() {
        if n > 0 {
            out.push(',');
        }
        match c {
            Cell::Int(Some(v)) => out.push_str(&v.to_string()),
            Cell::Text(Some(t)) => {
                out.push('"');
                for ch in t.chars() {
                    if ch == '"' || ch == '\\' {
                        out.push('\\');
                    }
                    out.push(ch);
                }
                out.push('"');
            }
            Cell::Int(None) | Cell::Text(None) => out.push_str("NULL"),
        }
    }
    out.push('}');
    out
}

impl<'q> Script<'q> {
    /// `rows` as the next statement (see [`Rows`]).
    pub(crate) fn insert(&mut self, rows: Rows) -> &mut Self {
        assert_eq!(rows.cells.len() % rows.columns.len(), 0, "{}: whole rows", rows.table);
        let names = rows.columns.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        match self.backend {
            Backend::Sqlite => {
                self.statement(format!(
                    "INSERT INTO {} ({names}) VALUES {}",
                    rows.table,
                    value_rows(rows.rows(), rows.columns.len())
                ));
                for c in rows.cells {
                    match c {
                        Cell::Int(v) => self.add(v),
                        Cell::Text(v) => self.add(v),
                    };
                }
            }
            Backend::Postgres => {
                let arrays = rows
                    .columns
                    .iter()
                    .map(|(_, k)| if *k == Kind::Int { "?::bigint[]" } else { "?::text[]" })
                    .collect::<Vec<_>>()
                    .join(", ");
                self.statement(format!("INSERT INTO {} ({names}) SELECT * FROM unnest({arrays})", rows.table));
                let width = rows.columns.len();
                for col in 0..width {
                    self.add(array_literal(rows.cells.iter().skip(col).step_by(width)));
                }
            }
        }
        self
    }
}

/// `(?,?,…),(…)`: `rows` rows of `cols` placeholders, in bind order (as a [`Script`] statement takes them).
pub(crate) fn value_rows(rows: usize, cols: usize) -> String {
    let one = format!("({})", vec!["?"; cols].join(","));
    vec![one; rows].join(",")
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

    /// `table (k TEXT PRIMARY KEY, n BIGINT NOT NULL)`, created in `tx`.
    async fn key_table(tx: &mut crate::Tx, table: &str) {
        sqlx::query(&format!("CREATE TABLE {table} (k TEXT PRIMARY KEY, n BIGINT NOT NULL)"))
            .execute(&mut **tx)
            .await
            .unwrap();
    }

    /// The next statement: rows ("a", 1) and ("b", 2) into a [`key_table`].
    fn insert_a1_b2(script: &mut Script<'_>, table: &str) {
        script
            .statement(format!("INSERT INTO {table} (k, n) VALUES (?, ?), (?, ?)"))
            .add("a")
            .add(1i64)
            .add("b")
            .add(2i64);
    }

    /// Row counts come back per statement, in order; a statement that fails fails the script, and the
    /// transaction it ran in keeps nothing of it once dropped.
    async fn counts_and_failure(s: Store, table: &str) {
        let mut tx = s.begin().await.unwrap();
        key_table(&mut tx, table).await;
        crate::commit(tx).await.unwrap();

        let mut tx = s.begin().await.unwrap();
        let mut script = Script::new(s.backend());
        insert_a1_b2(&mut script, table);
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

    /// Independent statements: row counts per statement in order, `then` lets later statements see earlier
    /// rows, a script past PostgreSQL's parameter limit still runs whole, and a failing part fails it all.
    async fn independent_statements(s: Store, table: &str) {
        let mut tx = s.begin().await.unwrap();
        key_table(&mut tx, table).await;
        let mut script = Script::independent(s.backend());
        insert_a1_b2(&mut script, table);
        script.statement(format!("INSERT INTO {table} (k, n) VALUES (?, ?)")).add("c").add(3i64);
        script.then();
        script.statement(format!("UPDATE {table} SET n = n + ? WHERE n >= ?")).add(10i64).add(1i64);
        script.statement(format!("UPDATE {table} SET n = ? WHERE k = ?")).add(0i64).add("none");
        assert_eq!(script.run(&mut tx).await.unwrap(), vec![2, 1, 3, 0]);
        // 4 × 10,000 rows of 2 parameters: more than one PostgreSQL statement may take.
        let mut script = Script::independent(s.backend());
        for part in 0..4 {
            let rows = vec!["(?, ?)"; 10_000].join(", ");
            script.statement(format!("INSERT INTO {table} (k, n) VALUES {rows}"));
            for r in 0..10_000i64 {
                script.add(format!("p{part}-{r}")).add(r);
            }
        }
        assert_eq!(script.run(&mut tx).await.unwrap(), vec![10_000; 4]);
        crate::commit(tx).await.unwrap();
        let (rows, sum): (i64, i64) = sqlx::query_as(&format!("SELECT COUNT(*), CAST(SUM(n) AS BIGINT) FROM {table}"))
            .fetch_one(s.reader())
            .await
            .unwrap();
        assert_eq!((rows, sum), (40_003, 4 * 49_995_000 + 36));

        let mut tx = s.begin().await.unwrap();
        let mut script = Script::independent(s.backend());
        script.statement(format!("INSERT INTO {table} (k, n) VALUES (?, ?)")).add("d").add(4i64);
        script.statement(format!("INSERT INTO {table} (k, n) VALUES (?, ?)")).add("a").add(5i64);
        assert!(script.run(&mut tx).await.is_err(), "a duplicate key fails the script");
        drop(tx);
        let (rows,): (i64,) =
            sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(s.reader()).await.unwrap();
        assert_eq!(rows, 40_003, "nothing of the failed script is left");
    }

    /// Rows come back exactly as written, whatever their text holds (quotes, backslashes, commas, braces,
    /// the word NULL, an empty string) and with NULLs where none was given.
    async fn rows_round_trip(s: Store, table: &'static str) {
        use super::{Kind, Rows};
        const COLUMNS: &[(&str, Kind)] = &[("k", Kind::Text), ("n", Kind::Int), ("t", Kind::Text)];
        let data: Vec<(String, Option<i64>, Option<String>)> = vec![
            ("a".into(), Some(1), Some("plain".into())),
            ("b".into(), None, Some(r#"quote " backslash \ comma , brace {} (x) NULL 中文 'single' \""#.into())),
            ("c".into(), Some(-5), None),
            ("d".into(), Some(i64::MAX), Some("NULL".into())),
            ("e".into(), Some(i64::MIN), Some(String::new())),
            ("f\"{".into(), Some(0), Some(" lead and trail ".into())),
        ];
        let mut tx = s.begin().await.unwrap();
        sqlx::query(&format!("CREATE TABLE {table} (k TEXT PRIMARY KEY, n BIGINT, t TEXT)"))
            .execute(&mut *tx)
            .await
            .unwrap();
        let mut rows = Rows::new(table, COLUMNS, data.len());
        for (k, n, t) in &data {
            rows.text(k.as_str()).int(*n).opt_text(t.clone());
        }
        let mut script = Script::independent(s.backend());
        script.insert(rows);
        assert_eq!(script.run(&mut tx).await.unwrap(), vec![data.len() as u64]);
        crate::commit(tx).await.unwrap();
        let mut back: Vec<(String, Option<i64>, Option<String>)> =
            sqlx::query_as(&format!("SELECT k, n, t FROM {table}")).fetch_all(s.reader()).await.unwrap();
        back.sort();
        let mut want = data.clone();
        want.sort();
        assert_eq!(back, want);
    }

    /// A store on a fresh SQLite file (kept while the directory lives).
    async fn sqlite() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::connect(&format!("sqlite://{}", dir.path().join("s.db").display())).await.unwrap();
        (s, dir)
    }

    /// A store on the test PostgreSQL database without `table`, or `None` (and a line saying so) when there is
    /// none to test on.
    async fn postgres(table: &str) -> Option<Store> {
        let Some(url) = std::env::var("MINIMALL_TEST_PG_URL").ok().filter(|u| !u.is_empty()) else {
            assert!(std::env::var_os("CI").is_none(), "CI runs every PostgreSQL test: set MINIMALL_TEST_PG_URL");
            eprintln!("skipped: MINIMALL_TEST_PG_URL is not set");
            return None;
        };
        let s = Store::connect(&url).await.unwrap();
        sqlx::query(&format!("DROP TABLE IF EXISTS {table}")).execute(s.reader()).await.unwrap();
        Some(s)
    }

    /// Two tests of `$check`: on a fresh SQLite file, and on the test PostgreSQL database (its table dropped
    /// before and after).
    macro_rules! on_both {
        ($lite:ident, $pg:ident, $check:ident, $table:literal) => {
            #[tokio::test]
            async fn $lite() {
                let (s, _dir) = sqlite().await;
                $check(s, $table).await;
            }

            #[tokio::test]
            async fn $pg() {
                if let Some(s) = postgres($table).await {
                    $check(s.clone(), $table).await;
                    sqlx::query(concat!("DROP TABLE ", $table)).execute(s.reader()).await.unwrap();
                }
            }
        };
    }

    on_both!(rows_on_sqlite, rows_on_postgres, rows_round_trip, "script_rows_in");
    on_both!(
        independent_statements_on_sqlite,
        independent_statements_on_postgres,
        independent_statements,
        "script_parts"
    );
    on_both!(a_script_on_sqlite, a_script_on_postgres, counts_and_failure, "script_rows");

    #[test]
    fn placeholders_are_numbered_for_postgres() {
        assert_eq!(
            super::numbered("UPDATE t SET a = a + ? WHERE id = ? AND a + ? <= b"),
            "UPDATE t SET a = a + $1 WHERE id = $2 AND a + $3 <= b"
        );
        assert_eq!(super::numbered("VALUES (?,?),(?,?)"), "VALUES ($1,$2),($3,$4)");
    }
}
