//! `Chart.yaml` (and a v1 chart's `requirements.yaml`): Helm's
//! `chart.Metadata`, read as sigs.k8s.io/yaml reads into a Go struct, and
//! the `.Chart` map templates see (Helm's `structToMap`: Go field names).

use std::collections::BTreeMap;

use crate::template::{gofmt, yaml, Elem, Map, Value};

/// A maintainer in `Chart.yaml`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Maintainer {
    /// `name`.
    pub name: String,
    /// `email`.
    pub email: String,
    /// `url`.
    pub url: String,
}

/// A dependency in `Chart.yaml` (or `requirements.yaml`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dependency {
    /// `name`: the chart's name under `charts/`.
    pub name: String,
    /// `version`: a constraint, not checked (no repository is fetched).
    pub version: String,
    /// `repository`.
    pub repository: String,
    /// `condition`: comma-separated value paths; the first that resolves
    /// to a bool decides.
    pub condition: String,
    /// `tags`.
    pub tags: Vec<String>,
    /// Whether the dependency is enabled (set by dependency processing).
    pub enabled: bool,
    /// `import-values`, as written (strings or `{child, parent}` maps).
    pub import_values: Vec<ImportValue>,
    /// `alias`: the name the chart goes by in the parent.
    pub alias: String,
}

/// One `import-values` entry.
#[derive(Clone, Debug, PartialEq)]
pub enum ImportValue {
    /// `- data`: the child's `exports.data` merged into the parent's root.
    Export(String),
    /// `- child: a.b` / `parent: c`.
    Map {
        /// Path in the child's values.
        child: String,
        /// Path in the parent's values.
        parent: String,
    },
    /// Anything else Helm keeps but ignores (a number, a list).
    Other,
}

/// `Chart.yaml`: every field Helm's `chart.Metadata` has.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metadata {
    /// `name`.
    pub name: String,
    /// `home`.
    pub home: String,
    /// `sources`.
    pub sources: Vec<String>,
    /// `version`: a SemVer 2 version.
    pub version: String,
    /// `description`.
    pub description: String,
    /// `keywords`.
    pub keywords: Vec<String>,
    /// `maintainers`.
    pub maintainers: Vec<Maintainer>,
    /// `icon`.
    pub icon: String,
    /// `apiVersion`: `v1` or `v2` (empty means `v1`, as Helm 2 allowed).
    pub api_version: String,
    /// `condition` (unused by Helm 3+, kept for `.Chart`).
    pub condition: String,
    /// `tags` (a string, unused, kept for `.Chart`).
    pub tags: String,
    /// `appVersion`.
    pub app_version: String,
    /// `deprecated`.
    pub deprecated: bool,
    /// `annotations`; `None` when absent (a nil map in Go).
    pub annotations: Option<BTreeMap<String, String>>,
    /// `kubeVersion`: a SemVer constraint on the cluster's version.
    pub kube_version: String,
    /// `dependencies`.
    pub dependencies: Vec<Dependency>,
    /// `type`: `application`, `library` or empty.
    pub chart_type: String,
}

/// Why `Chart.yaml` or `requirements.yaml` cannot be read.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct MetadataError(pub String);

impl Metadata {
    /// Reads `Chart.yaml`.
    ///
    /// # Errors
    /// YAML errors and fields of the wrong type, in Helm's words.
    pub fn parse(text: &str) -> Result<Metadata, MetadataError> {
        let mut md = Metadata::default();
        md.merge_yaml(text, "Chart.yaml")?;
        if md.api_version.is_empty() {
            md.api_version = "v1".into();
        }
        Ok(md)
    }

    /// Reads a YAML document into these fields (Go's `yaml.Unmarshal` into
    /// an existing struct: fields present replace, others stay), as Helm
    /// does with `requirements.yaml`.
    ///
    /// # Errors
    /// As [`Metadata::parse`], naming `file`.
    pub fn merge_yaml(&mut self, text: &str, file: &str) -> Result<(), MetadataError> {
        let value = yaml::from_str(text).map_err(|e| {
            MetadataError(format!(
                "cannot load {file}: error converting YAML to JSON: {e}"
            ))
        })?;
        let map = match value {
            Value::Map(m) => m,
            Value::Nil => return Ok(()),
            other => {
                // Chart.yaml is first read for its apiVersion alone.
                let go_type = if file == "Chart.yaml" {
                    "loader.chartBase"
                } else {
                    "v2.Metadata"
                };
                return Err(MetadataError(format!(
                    "cannot load {file}: {DECODING}cannot unmarshal {} into Go value of type {go_type}",
                    json_kind(&other)
                )));
            }
        };
        let top = Field {
            file,
            path: String::new(),
            at_key: true,
            value: &Value::Nil,
        };
        for (key, v) in map.entries() {
            let f = top.key(&key, &v);
            match &*key {
                "name" => self.name = f.string()?,
                "home" => self.home = f.string()?,
                "sources" => self.sources = f.strings()?,
                "version" => self.version = f.string()?,
                "description" => self.description = f.string()?,
                "keywords" => self.keywords = f.strings()?,
                "maintainers" => self.maintainers = maintainers(&f)?,
                "icon" => self.icon = f.string()?,
                "apiVersion" => self.api_version = f.string()?,
                "condition" => self.condition = f.string()?,
                "tags" => self.tags = f.string()?,
                "appVersion" => self.app_version = f.string()?,
                "deprecated" => self.deprecated = f.boolean()?,
                "annotations" => self.annotations = f.string_map()?,
                "kubeVersion" => self.kube_version = f.string()?,
                "dependencies" => self.dependencies = dependencies(&f)?,
                "type" => self.chart_type = f.string()?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Helm's `Metadata.Validate` (after `sanitizeString` of the text
    /// fields): the error Helm prints, prefixed `validation: `.
    ///
    /// # Errors
    /// The first problem found.
    pub fn validate(&mut self) -> Result<(), MetadataError> {
        for s in [
            &mut self.name,
            &mut self.description,
            &mut self.home,
            &mut self.icon,
            &mut self.condition,
            &mut self.tags,
            &mut self.app_version,
            &mut self.kube_version,
        ] {
            *s = sanitize(s);
        }
        for s in self.sources.iter_mut().chain(self.keywords.iter_mut()) {
            *s = sanitize(s);
        }
        let fail = |m: String| Err(MetadataError(format!("validation: {m}")));
        if self.api_version.is_empty() {
            return fail("chart.metadata.apiVersion is required".into());
        }
        if self.name.is_empty() {
            return fail("chart.metadata.name is required".into());
        }
        if self.name == "." || self.name == ".." {
            return fail(format!(
                "chart.metadata.name {} is not allowed",
                gofmt::quote(&self.name)
            ));
        }
        if self.name.contains('/') {
            return fail(format!(
                "chart.metadata.name {} is invalid",
                gofmt::quote(&self.name)
            ));
        }
        if self.version.is_empty() {
            return fail("chart.metadata.version is required".into());
        }
        if crate::template::semver::Version::parse(&self.version).is_err() {
            return fail(format!(
                "chart.metadata.version {} is invalid",
                gofmt::quote(&self.version)
            ));
        }
        if !matches!(self.chart_type.as_str(), "" | "application" | "library") {
            return fail("chart.metadata.type must be application or library".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for d in &mut self.dependencies {
            d.name = sanitize(&d.name);
            d.version = sanitize(&d.version);
            d.repository = sanitize(&d.repository);
            d.condition = sanitize(&d.condition);
            for t in &mut d.tags {
                *t = sanitize(t);
            }
            if !d.alias.is_empty()
                && !d
                    .alias
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return fail(format!(
                    "dependency {} has disallowed characters in the alias",
                    gofmt::quote(&d.name)
                ));
            }
            let key = if d.alias.is_empty() {
                &d.name
            } else {
                &d.alias
            };
            if !seen.insert(key.clone()) {
                return fail(format!(
                    "more than one dependency with name or alias {}",
                    gofmt::quote(key)
                ));
            }
        }
        Ok(())
    }

    /// The `.Chart` map templates see: Helm's `structToMap` of the
    /// metadata, keyed by Go field names, with slices as `[]interface {}`.
    pub fn to_value(&self) -> Value {
        let strs = |v: &[String]| Value::list(v.iter().map(|s| Value::str(s.as_str())).collect());
        let mut m = BTreeMap::new();
        m.insert("Name".into(), Value::str(self.name.as_str()));
        m.insert("Home".into(), Value::str(self.home.as_str()));
        m.insert("Sources".into(), strs(&self.sources));
        m.insert("Version".into(), Value::str(self.version.as_str()));
        m.insert("Description".into(), Value::str(self.description.as_str()));
        m.insert("Keywords".into(), strs(&self.keywords));
        let maintainers = self
            .maintainers
            .iter()
            .map(|x| {
                let mut mm = BTreeMap::new();
                mm.insert("Name".into(), Value::str(x.name.as_str()));
                mm.insert("Email".into(), Value::str(x.email.as_str()));
                mm.insert("URL".into(), Value::str(x.url.as_str()));
                Value::map(mm)
            })
            .collect();
        m.insert("Maintainers".into(), Value::list(maintainers));
        m.insert("Icon".into(), Value::str(self.icon.as_str()));
        m.insert("APIVersion".into(), Value::str(self.api_version.as_str()));
        m.insert("Condition".into(), Value::str(self.condition.as_str()));
        m.insert("Tags".into(), Value::str(self.tags.as_str()));
        m.insert("AppVersion".into(), Value::str(self.app_version.as_str()));
        m.insert("Deprecated".into(), Value::Bool(self.deprecated));
        let annotations = match &self.annotations {
            Some(a) => Value::Map(Map::from_entries(
                Elem::String,
                a.iter()
                    .map(|(k, v)| (k.as_str().into(), Value::str(v.as_str())))
                    .collect(),
            )),
            // A nil map[string]string prints and ranges as an empty one,
            // but is `null` to toJson and toYaml.
            None => Value::Map(Map::nil(Elem::String)),
        };
        m.insert("Annotations".into(), annotations);
        m.insert("KubeVersion".into(), Value::str(self.kube_version.as_str()));
        let deps = self.dependencies.iter().map(Dependency::to_value).collect();
        m.insert("Dependencies".into(), Value::list(deps));
        m.insert("Type".into(), Value::str(self.chart_type.as_str()));
        Value::map(m)
    }
}

impl Dependency {
    /// The dependency as `.Chart.Dependencies` shows it (`structToMap`).
    fn to_value(&self) -> Value {
        let mut m = BTreeMap::new();
        m.insert("Name".into(), Value::str(self.name.as_str()));
        m.insert("Version".into(), Value::str(self.version.as_str()));
        m.insert("Repository".into(), Value::str(self.repository.as_str()));
        m.insert("Condition".into(), Value::str(self.condition.as_str()));
        m.insert(
            "Tags".into(),
            Value::list(self.tags.iter().map(|s| Value::str(s.as_str())).collect()),
        );
        m.insert("Enabled".into(), Value::Bool(self.enabled));
        let imports = self
            .import_values
            .iter()
            .map(|i| match i {
                ImportValue::Export(s) => Value::str(s.as_str()),
                ImportValue::Map { child, parent } => {
                    let mut mm = BTreeMap::new();
                    mm.insert("child".into(), Value::str(child.as_str()));
                    mm.insert("parent".into(), Value::str(parent.as_str()));
                    Value::map(mm)
                }
                ImportValue::Other => Value::Nil,
            })
            .collect();
        m.insert("ImportValues".into(), Value::list(imports));
        m.insert("Alias".into(), Value::str(self.alias.as_str()));
        Value::map(m)
    }
}

/// Helm's `sanitizeString`: whitespace becomes a space, unprintable
/// characters go.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if c.is_control() {
                None
            } else {
                Some(c)
            }
        })
        .collect()
}

/// What sigs.k8s.io/yaml's errors say before Go's decoder speaks.
const DECODING: &str = "error unmarshaling JSON: while decoding JSON: json: ";

/// A field being read, with where it is as Go's JSON decoder names it in
/// its errors: `Go struct field .dependencies.0.enabled` when the path ends
/// in a field or key, `.keywords.0` when it ends in a list index.
struct Field<'a> {
    file: &'a str,
    /// `.dependencies.0.tags`: keys escaped as in a JSON pointer.
    path: String,
    at_key: bool,
    value: &'a Value,
}

impl Field<'_> {
    /// The field or map entry `key` below this one.
    fn key<'b>(&'b self, key: &str, value: &'b Value) -> Field<'b> {
        Field {
            file: self.file,
            path: format!(
                "{}.{}",
                self.path,
                key.replace('~', "~0").replace('/', "~1")
            ),
            at_key: true,
            value,
        }
    }

    /// The list item `index` below this one.
    fn index<'b>(&'b self, index: usize, value: &'b Value) -> Field<'b> {
        Field {
            file: self.file,
            path: format!("{}.{index}", self.path),
            at_key: false,
            value,
        }
    }

    fn err(&self, go_type: &str) -> MetadataError {
        let struct_field = if self.at_key { "Go struct field " } else { "" };
        MetadataError(format!(
            "cannot load {}: {DECODING}cannot unmarshal {} into {struct_field}{} of type {go_type}",
            self.file,
            json_kind(self.value),
            self.path
        ))
    }

    /// A string field: sigs.k8s.io/yaml turns YAML numbers and bools
    /// into strings when the Go field is a string.
    fn string(&self) -> Result<String, MetadataError> {
        scalar_string(self.value).ok_or_else(|| self.err("string"))
    }

    fn strings(&self) -> Result<Vec<String>, MetadataError> {
        match self.value {
            Value::Nil => Ok(Vec::new()),
            Value::List(l) => l
                .items
                .iter()
                .enumerate()
                .map(|(i, v)| self.index(i, v).string())
                .collect(),
            _ => Err(self.err("[]string")),
        }
    }

    fn boolean(&self) -> Result<bool, MetadataError> {
        match self.value {
            Value::Nil => Ok(false),
            Value::Bool(b) => Ok(*b),
            _ => Err(self.err("bool")),
        }
    }

    fn string_map(&self) -> Result<Option<BTreeMap<String, String>>, MetadataError> {
        match self.value {
            Value::Nil => Ok(None),
            Value::Map(m) => m
                .entries()
                .into_iter()
                .map(|(k, v)| Ok((k.to_string(), self.key(&k, &v).string()?)))
                .collect::<Result<_, _>>()
                .map(Some),
            _ => Err(self.err("map[string]string")),
        }
    }
}

/// A scalar as a Go string field receives it through sigs.k8s.io/yaml.
fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::Nil => Some(String::new()),
        Value::String(s) => Some(s.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Int(i) | Value::Int64(i) => Some(i.to_string()),
        Value::Float(f) => Some(gofmt::format_float(*f, b'g', -1, 32)),
        _ => None,
    }
}

/// The JSON kind Go's decoder names in its errors.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Nil => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::Int64(_) | Value::Float(_) => "number",
        Value::String(_) => "string",
        Value::List(_) | Value::Bytes(_) => "array",
        _ => "object",
    }
}

fn maintainers(field: &Field) -> Result<Vec<Maintainer>, MetadataError> {
    let Value::List(l) = field.value else {
        if field.value.is_nil() {
            return Ok(Vec::new());
        }
        return Err(field.err("[]*v2.Maintainer"));
    };
    l.items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let mut m = Maintainer::default();
            let item_field = field.index(i, item);
            match item {
                Value::Map(map) => {
                    for (k, v) in map.entries() {
                        let f = item_field.key(&k, &v);
                        match &*k {
                            "name" => m.name = f.string()?,
                            "email" => m.email = f.string()?,
                            "url" => m.url = f.string()?,
                            _ => {}
                        }
                    }
                }
                Value::Nil => {}
                _ => return Err(item_field.err("v2.Maintainer")),
            }
            Ok(m)
        })
        .collect()
}

fn dependencies(field: &Field) -> Result<Vec<Dependency>, MetadataError> {
    let Value::List(l) = field.value else {
        if field.value.is_nil() {
            return Ok(Vec::new());
        }
        return Err(field.err("[]*v2.Dependency"));
    };
    l.items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let item_field = field.index(i, item);
            let map = match item {
                Value::Map(map) => map,
                Value::Nil => {
                    return Err(MetadataError(
                        "validation: dependencies must not contain empty or null nodes".into(),
                    ))
                }
                _ => return Err(item_field.err("v2.Dependency")),
            };
            let mut d = Dependency::default();
            for (k, v) in map.entries() {
                let f = item_field.key(&k, &v);
                match &*k {
                    "name" => d.name = f.string()?,
                    "version" => d.version = f.string()?,
                    "repository" => d.repository = f.string()?,
                    "condition" => d.condition = f.string()?,
                    "tags" => d.tags = f.strings()?,
                    "enabled" => d.enabled = f.boolean()?,
                    "alias" => d.alias = f.string()?,
                    "import-values" => d.import_values = import_values(&v),
                    _ => {}
                }
            }
            Ok(d)
        })
        .collect()
}

fn import_values(v: &Value) -> Vec<ImportValue> {
    let Value::List(l) = v else {
        return Vec::new();
    };
    l.items
        .iter()
        .map(|item| match item {
            Value::String(s) => ImportValue::Export(s.to_string()),
            Value::Map(m) => {
                let get = |k: &str| match m.get(k) {
                    Some(Value::String(s)) => s.to_string(),
                    _ => String::new(),
                };
                ImportValue::Map {
                    child: get("child"),
                    parent: get("parent"),
                }
            }
            _ => ImportValue::Other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_chart_yaml_with_go_string_conversion() {
        let md = Metadata::parse(
            "apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: 1.10\nkeywords: [a, b]\ndependencies:\n- name: sub\n  condition: sub.enabled\n  import-values: [data, {child: a, parent: b}]\n",
        )
        .unwrap();
        assert_eq!(md.name, "demo");
        assert_eq!(md.app_version, "1.1");
        assert_eq!(md.keywords, vec!["a", "b"]);
        assert_eq!(md.dependencies[0].condition, "sub.enabled");
        assert_eq!(
            md.dependencies[0].import_values,
            vec![
                ImportValue::Export("data".into()),
                ImportValue::Map {
                    child: "a".into(),
                    parent: "b".into()
                }
            ]
        );
    }

    #[test]
    fn wrong_field_types_are_named_as_helm_names_them() {
        // Each message as Helm v4.3.0 prints it (../shared/helm-conformance
        // /oracle.py on a chart with this Chart.yaml), after
        // "cannot load Chart.yaml: error unmarshaling JSON: while decoding
        // JSON: json: cannot unmarshal ".
        let cases = [
            (
                "name: [1]",
                "array into Go struct field .name of type string",
            ),
            (
                "keywords: 5",
                "number into Go struct field .keywords of type []string",
            ),
            ("keywords: [[1]]", "array into .keywords.0 of type string"),
            ("sources: [{a: 1}]", "object into .sources.0 of type string"),
            (
                "maintainers: 5",
                "number into Go struct field .maintainers of type []*v2.Maintainer",
            ),
            (
                "maintainers: [5]",
                "number into .maintainers.0 of type v2.Maintainer",
            ),
            (
                "maintainers:\n  - name: [1]",
                "array into Go struct field .maintainers.0.name of type string",
            ),
            (
                "dependencies: 5",
                "number into Go struct field .dependencies of type []*v2.Dependency",
            ),
            (
                "dependencies: [5]",
                "number into .dependencies.0 of type v2.Dependency",
            ),
            (
                "dependencies:\n  - tags: [[1]]",
                "array into .dependencies.0.tags.0 of type string",
            ),
            (
                "dependencies:\n  - enabled: \"x\"",
                "string into Go struct field .dependencies.0.enabled of type bool",
            ),
            (
                "annotations: 5",
                "number into Go struct field .annotations of type map[string]string",
            ),
            (
                "annotations: {\"a/b~c\": [1]}",
                "array into Go struct field .annotations.a~1b~0c of type string",
            ),
            (
                "deprecated: \"x\"",
                "string into Go struct field .deprecated of type bool",
            ),
        ];
        for (field, want) in cases {
            let text = format!("apiVersion: v2\nname: ok\nversion: 0.1.0\n{field}\n");
            let err = Metadata::parse(&text).expect_err(field).0;
            assert_eq!(
                err,
                format!("cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {want}"),
                "{field}"
            );
        }
        let err = Metadata::parse("5\n").expect_err("a number").0;
        assert!(
            err.ends_with("cannot unmarshal number into Go value of type loader.chartBase"),
            "{err}"
        );
        let mut md = Metadata::default();
        let err = md
            .merge_yaml("- a\n", "requirements.yaml")
            .expect_err("a list")
            .0;
        assert!(
            err.ends_with("cannot unmarshal array into Go value of type v2.Metadata"),
            "{err}"
        );
    }

    #[test]
    fn missing_api_version_means_v1() {
        let md = Metadata::parse("name: old\nversion: 0.1.0\n").unwrap();
        assert_eq!(md.api_version, "v1");
    }

    #[test]
    fn validation_uses_helms_words() {
        let mut md = Metadata::parse("apiVersion: v2\nname: x\n").unwrap();
        assert_eq!(
            md.validate().unwrap_err().0,
            "validation: chart.metadata.version is required"
        );
        let mut md = Metadata::parse("apiVersion: v2\nname: x\nversion: one\n").unwrap();
        assert_eq!(
            md.validate().unwrap_err().0,
            "validation: chart.metadata.version \"one\" is invalid"
        );
    }

    /// As Helm v4.3.0 renders them (../shared/helm-conformance/oracle.py):
    /// a chart without `annotations` has a nil map, `map[]` to printf and
    /// `null` to toJson; `annotations: {}` is an empty one, `{}`.
    #[test]
    fn absent_annotations_are_a_nil_map() {
        use crate::template::{gofmt, json, yaml};
        let annotations = |text: &str| {
            let md = Metadata::parse(text).expect("Chart.yaml");
            let Value::Map(chart) = md.to_value() else {
                panic!("the chart is a map");
            };
            chart.get("Annotations").expect("Annotations")
        };
        let absent = annotations("name: a\nversion: 1.0.0\n");
        assert_eq!(gofmt::sprint(std::slice::from_ref(&absent)), "map[]");
        assert_eq!(json::marshal(&absent).unwrap(), "null");
        assert_eq!(yaml::to_string(&absent).unwrap(), "null\n");
        let empty = annotations("name: a\nversion: 1.0.0\nannotations: {}\n");
        assert_eq!(json::marshal(&empty).unwrap(), "{}");
        let some = annotations("name: a\nversion: 1.0.0\nannotations: {a: b}\n");
        assert_eq!(json::marshal(&some).unwrap(), r#"{"a":"b"}"#);
    }
}
