//! utoipa names a component after its type (or its `#[schema(as = …)]`), and of two types with one name the
//! document keeps only one, silently: every `ToSchema` type of the crate must have a name of its own.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("a readable source folder").flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The component names the `ToSchema` derives of one source file declare, with their line numbers.
fn schema_names(text: &str) -> Vec<(String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_start();
        if !line.starts_with("#[derive(") {
            i += 1;
            continue;
        }
        // The derive, over as many lines as it takes.
        let mut derive = line.to_string();
        while !derive.contains(")]") && i + 1 < lines.len() {
            i += 1;
            derive.push_str(lines[i].trim());
        }
        let derives_schema = derive
            .trim_start_matches("#[derive(")
            .trim_end_matches(")]")
            .split(',')
            .any(|d| d.trim().rsplit("::").next() == Some("ToSchema"));
        i += 1;
        if !derives_schema {
            continue;
        }
        // Attributes and doc comments up to the item; `#[schema(as = …)]` among them renames it.
        let mut renamed: Option<String> = None;
        for (k, l) in lines.iter().enumerate().skip(i).take(40) {
            let l = l.trim();
            if let Some((_, rest)) = l.split_once("schema(") {
                if let Some((_, a)) = rest.split_once("as = ").or_else(|| rest.split_once("as=")) {
                    let name: String =
                        a.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
                    renamed = Some(name.replace("::", "."));
                }
            }
            let item = l.trim_start_matches("pub(crate) ").trim_start_matches("pub(super) ").trim_start_matches("pub ");
            if let Some(rest) = item.strip_prefix("struct ").or_else(|| item.strip_prefix("enum ")) {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                out.push((renamed.unwrap_or(name), k + 1));
                i = k + 1;
                break;
            }
        }
    }
    out
}

#[test]
fn every_schema_type_has_a_name_of_its_own() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut count = 0;
    // This file's own example derives are no part of the document.
    for f in files.iter().filter(|f| !f.ends_with("http/schema_names.rs")) {
        let text = std::fs::read_to_string(f).expect("a readable source file");
        let shown = f.strip_prefix(&root).unwrap_or(f).display().to_string();
        for (name, line) in schema_names(&text) {
            count += 1;
            seen.entry(name).or_default().push(format!("{shown}:{line}"));
        }
    }
    assert!(count > 100, "found only {count} ToSchema types: the scan no longer reads the derives");
    let twice: Vec<String> =
        seen.iter().filter(|(_, at)| at.len() > 1).map(|(n, at)| format!("{n}: {}", at.join(", "))).collect();
    assert!(twice.is_empty(), "ToSchema types sharing a component name (give one `#[schema(as = …)]`): {twice:#?}");
}

#[test]
fn the_scan_reads_derives_renames_and_skips_other_types() {
    let src = r#"
#[derive(Debug, Serialize, utoipa::ToSchema)]
/// Figures.
#[serde(rename_all = "snake_case")]
pub struct Figures {
    a: i64,
}
#[derive(Serialize,
    ToSchema)]
#[schema(as = finance::Figures)]
pub(crate) enum Other { A }
#[derive(Debug, Serialize)]
pub struct NotASchema;
#[derive(ToSchemaLike)]
struct AlsoNot;
"#;
    assert_eq!(schema_names(src), vec![("Figures".to_string(), 5), ("finance.Figures".to_string(), 11)]);
}
