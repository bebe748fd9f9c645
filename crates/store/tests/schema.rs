//! The SQLite and PostgreSQL migration folders must produce the same tables and columns
//! (same names, equivalent types, same nullability).

use minimall_store::Store;

#[tokio::test]
async fn sqlite_and_postgres_schemas_match() {
    let Some(admin) = std::env::var("MINIMALL_TEST_PG_URL").ok().filter(|s| !s.is_empty()) else {
        assert!(std::env::var_os("CI").is_none(), "CI runs every PostgreSQL test: set MINIMALL_TEST_PG_URL");
        eprintln!("skipped: MINIMALL_TEST_PG_URL is not set, the schema comparison needs PostgreSQL");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lite = Store::connect(&format!("sqlite://{}", dir.path().join("s.db").display())).await.unwrap();
    lite.migrate().await.unwrap();

    sqlx::any::install_default_drivers();
    let name = format!("mm_schema_{}", std::process::id());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut conn).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    let pg = Store::connect(&format!("{base}/{name}")).await.unwrap();
    pg.migrate().await.unwrap();

    let (a, b) = (lite.schema_shape().await.unwrap(), pg.schema_shape().await.unwrap());
    pg.close().await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
    assert!(!a.is_empty());
    let tables_a: Vec<_> = a.keys().collect();
    let tables_b: Vec<_> = b.keys().collect();
    assert_eq!(tables_a, tables_b, "same tables");
    for (table, cols) in &a {
        assert_eq!(cols, &b[table], "columns of {table} differ between migrations/sqlite and migrations/postgres");
    }
}

#[tokio::test]
async fn sqlite_store_creates_its_file_and_migrates_twice() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("new.db").display());
    let s = Store::connect(&url).await.unwrap();
    s.migrate().await.unwrap();
    s.migrate().await.unwrap();
    let m = s.default_merchant().await.unwrap();
    assert_eq!(m.id, s.default_merchant().await.unwrap().id, "one default merchant");
    assert!(dir.path().join("new.db").exists());
}

#[tokio::test]
async fn a_bad_url_is_refused_with_its_scheme_named() {
    let e = Store::connect("mysql://x").await.unwrap_err().to_string();
    assert!(e.contains("sqlite://") && e.contains("postgres://"), "{e}");
}
