//! A backend-neutral description of the migrated schema, used to keep the two migration folders in lockstep.

use std::collections::BTreeMap;

use crate::{Backend, Store, StoreResult};

/// table → column → (normalised type, not null)
pub type SchemaShape = BTreeMap<String, BTreeMap<String, (String, bool)>>;

fn normalise(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    match t.as_str() {
        "integer" | "int" | "int4" | "bigint" | "int8" | "bigserial" | "serial" => "integer".into(),
        "text" | "character varying" | "varchar" => "text".into(),
        other => other.into(),
    }
}

impl Store {
    pub async fn schema_shape(&self) -> StoreResult<SchemaShape> {
        let rows: Vec<(String, String, String, i32)> = match self.backend() {
            Backend::Sqlite => {
                sqlx::query_as(
                    "SELECT m.name, p.name, p.type, CAST(p.\"notnull\" + p.pk AS INTEGER)
                     FROM sqlite_master m, pragma_table_info(m.name) p
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
                )
                .fetch_all(self.reader())
                .await?
            }
            Backend::Postgres => {
                sqlx::query_as(
                    "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CAST(data_type AS TEXT),
                            CAST(CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS INTEGER)
                     FROM information_schema.columns WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
                )
                .fetch_all(self.reader())
                .await?
            }
        };
        let mut shape = SchemaShape::new();
        for (table, col, ty, notnull) in rows {
            shape.entry(table).or_default().insert(col, (normalise(&ty), notnull > 0));
        }
        Ok(shape)
    }
}
