//! Rendering an app into Kubernetes objects. Now: a directory of plain YAML
//! or JSON manifests (Helm charts arrive with the chart issue and return the
//! same [`Object`]s). Pure: file contents in, objects or errors out.
//!
//! Rules: files ending `.yaml`, `.yml` or `.json`, recursively, in path
//! order; multi-document YAML; `kind: List` (and `*List`) unwrapped; empty
//! documents skipped. Every object must have `apiVersion`, `kind` and
//! `metadata.name`; errors name the file and the document's index and line.

use serde::Deserialize;
use serde_json::Value;

/// Where an object came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Path of the file inside the repo.
    pub file: String,
    /// 0-based index of the YAML document in the file.
    pub doc: usize,
    /// 1-based line where the document starts.
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{} (document {})", self.file, self.line, self.doc + 1)
    }
}

/// A desired object as rendered, plus where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The manifest as JSON.
    pub data: Value,
    /// The file and document it came from.
    pub origin: Origin,
}

impl Object {
    /// `apiVersion`.
    pub fn api_version(&self) -> &str {
        self.data["apiVersion"].as_str().unwrap_or("")
    }
    /// `kind`.
    pub fn kind(&self) -> &str {
        self.data["kind"].as_str().unwrap_or("")
    }
    /// `metadata.name`.
    pub fn name(&self) -> &str {
        self.data["metadata"]["name"].as_str().unwrap_or("")
    }
    /// `metadata.namespace`, if set.
    pub fn namespace(&self) -> Option<&str> {
        self.data["metadata"]["namespace"].as_str()
    }
    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.data["metadata"]["annotations"][key].as_str()
    }
}

/// Errors in an app's manifests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The document is not valid YAML/JSON.
    #[error("{origin}: not valid YAML: {message}")]
    Syntax { origin: Origin, message: String },
    /// A required field is missing or not a string.
    #[error("{origin}: `{field}` is missing (hint: every Kubernetes object needs apiVersion, kind and metadata.name)")]
    MissingField { origin: Origin, field: &'static str },
    /// A document is not a mapping (a bare list or scalar).
    #[error("{origin}: a document must be a mapping (an object), not {found}")]
    NotAnObject { origin: Origin, found: &'static str },
    /// Two objects with the same kind, namespace and name.
    #[error("{second}: {kind} `{name}` is also defined at {first} (hint: names must be unique per kind and namespace)")]
    Duplicate {
        kind: String,
        name: String,
        /// Where the first definition is (file:line (document N)).
        first: String,
        second: Origin,
    },
    /// The app's directory holds no manifests at all.
    #[error(
        "{dir}: no *.yaml, *.yml or *.json files (hint: check the app's `path` in plumb.yaml)"
    )]
    Empty { dir: String },
}

/// Whether a file is a manifest by its name.
pub fn is_manifest(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
}

/// Renders plain manifests: `files` are (path shown in errors, content) in
/// path order; non-manifest files are ignored.
///
/// # Errors
/// The first [`RenderError`] found, naming the file and document.
pub fn render_plain(dir: &str, files: &[(String, Vec<u8>)]) -> Result<Vec<Object>, RenderError> {
    let mut objects = Vec::new();
    let mut any = false;
    for (path, bytes) in files.iter().filter(|(p, _)| is_manifest(p)) {
        any = true;
        let text = String::from_utf8_lossy(bytes);
        for (doc, (line, value)) in parse_documents(path, &text)?.into_iter().enumerate() {
            let origin = Origin {
                file: path.clone(),
                doc,
                line,
            };
            let Some(value) = value else { continue };
            push_object(&mut objects, value, origin)?;
        }
    }
    if !any {
        return Err(RenderError::Empty {
            dir: dir.to_string(),
        });
    }
    check_duplicates(&objects)?;
    Ok(objects)
}

/// Splits a file into documents: (start line, value or `None` when empty).
fn parse_documents(path: &str, text: &str) -> Result<Vec<(usize, Option<Value>)>, RenderError> {
    let starts = document_lines(text);
    let mut out = Vec::new();
    for (doc, deserializer) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let line = starts.get(doc).copied().unwrap_or(1);
        let origin = || Origin {
            file: path.to_string(),
            doc,
            line,
        };
        let value =
            Option::<Value>::deserialize(deserializer).map_err(|e| RenderError::Syntax {
                origin: origin(),
                message: e.to_string(),
            })?;
        out.push((line, value.filter(|v| !v.is_null())));
    }
    Ok(out)
}

/// The 1-based line where each YAML document starts (after a `---`).
fn document_lines(text: &str) -> Vec<usize> {
    let mut starts = vec![1];
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---") && i > 0 {
            starts.push(i + 2);
        } else if line.starts_with("---") {
            starts[0] = 2;
        }
    }
    starts
}

fn push_object(objects: &mut Vec<Object>, value: Value, origin: Origin) -> Result<(), RenderError> {
    let found = match &value {
        Value::Object(_) => None,
        Value::Array(_) => Some("a list"),
        Value::String(_) => Some("a string"),
        Value::Number(_) => Some("a number"),
        Value::Bool(_) => Some("a boolean"),
        Value::Null => Some("null"),
    };
    if let Some(found) = found {
        return Err(RenderError::NotAnObject { origin, found });
    }
    let kind = value["kind"].as_str().unwrap_or("");
    if kind == "List" || (kind.ends_with("List") && value.get("items").is_some()) {
        let items = value["items"].as_array().cloned().unwrap_or_default();
        for item in items {
            push_object(objects, item, origin.clone())?;
        }
        return Ok(());
    }
    for (field, ok) in [
        (
            "apiVersion",
            value["apiVersion"].as_str().is_some_and(|s| !s.is_empty()),
        ),
        ("kind", !kind.is_empty()),
        (
            "metadata.name",
            value["metadata"]["name"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
        ),
    ] {
        if !ok {
            return Err(RenderError::MissingField { origin, field });
        }
    }
    objects.push(Object {
        data: value,
        origin,
    });
    Ok(())
}

fn check_duplicates(objects: &[Object]) -> Result<(), RenderError> {
    let mut seen: std::collections::HashMap<(String, String, Option<String>, String), &Origin> =
        std::collections::HashMap::new();
    for o in objects {
        let group = o
            .api_version()
            .split('/')
            .rev()
            .nth(1)
            .unwrap_or("")
            .to_string();
        let key = (
            group,
            o.kind().to_string(),
            o.namespace().map(str::to_string),
            o.name().to_string(),
        );
        if let Some(first) = seen.get(&key) {
            return Err(RenderError::Duplicate {
                kind: o.kind().to_string(),
                name: o.name().to_string(),
                first: first.to_string(),
                second: o.origin.clone(),
            });
        }
        seen.insert(key, &o.origin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect()
    }

    const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n";

    #[test]
    fn multi_document_files_and_json() {
        let objs = render_plain(
            "m",
            &files(&[
                ("m/a.yaml", "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# only a comment\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"),
                ("m/b.json", r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"}}"#),
                ("m/README.md", "not a manifest"),
            ]),
        )
        .unwrap();
        let kinds: Vec<_> = objs.iter().map(|o| o.kind()).collect();
        assert_eq!(kinds, ["ConfigMap", "Service", "Secret"]);
        assert_eq!(objs[1].origin.doc, 2);
        assert_eq!(objs[1].origin.line, 9);
        assert_eq!(objs[2].origin.file, "m/b.json");
    }

    #[test]
    fn lists_are_unwrapped() {
        let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n";
        let objs = render_plain("m", &files(&[("m/l.yaml", list)])).unwrap();
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[1].name(), "b");
    }

    #[test]
    fn missing_fields_name_file_document_and_field() {
        let err = render_plain(
            "m",
            &files(&[(
                "m/a.yaml",
                &format!("{CM}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{}}\n"),
            )]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "m/a.yaml:6 (document 2): `metadata.name` is missing (hint: every Kubernetes object needs apiVersion, kind and metadata.name)"
        );
        let err = render_plain(
            "m",
            &files(&[("m/a.yaml", "kind: X\nmetadata: {name: a}\n")]),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            RenderError::MissingField {
                field: "apiVersion",
                ..
            }
        ));
    }

    #[test]
    fn syntax_errors_carry_the_parser_line() {
        let err = render_plain(
            "m",
            &files(&[("m/a.yaml", "apiVersion: v1\nkind: [unclosed\n")]),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("m/a.yaml:1 (document 1): not valid YAML"),
            "{text}"
        );
        assert!(text.contains("line"), "{text}");
    }

    #[test]
    fn a_document_that_is_a_list_is_an_error() {
        let err = render_plain("m", &files(&[("m/a.yaml", "- a\n- b\n")])).unwrap_err();
        assert!(matches!(
            err,
            RenderError::NotAnObject {
                found: "a list",
                ..
            }
        ));
    }

    #[test]
    fn duplicates_are_errors_naming_both_places() {
        let err = render_plain("m", &files(&[("m/a.yaml", CM), ("m/b.yaml", CM)])).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "m/b.yaml:1 (document 1): ConfigMap `a` is also defined at m/a.yaml:1"
            ),
            "{text}"
        );
    }

    #[test]
    fn an_empty_directory_is_an_error() {
        let err = render_plain("gitops/m", &files(&[("gitops/m/x.txt", "")])).unwrap_err();
        assert!(matches!(err, RenderError::Empty { .. }));
    }
}
