//! Image builds: a build context read from the committed tree, filtered by
//! `.dockerignore` exactly as the docker CLI filters it, digested into a
//! content-addressed tag, and built through the Docker Engine API only when
//! no image has that tag yet.
//!
//! - [`dockerignore`]: Docker's `.dockerignore` rules (pure).
//! - [`context`]: the context's files at a revision, its tar and digest (pure
//!   over the listing; git is read by the caller).
//! - [`engine`]: the Engine API calls: inspect, build, tag, push, remove.
//! - [`images`]: the build stage: plan every image of an app, build the
//!   missing ones.
//! - [`docker`]: where the engine is and how to connect.

pub mod context;
pub mod docker;
pub mod dockerignore;
pub mod engine;
pub mod images;

/// What one entry of a build context is, as far as a build can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file; `executable` is git's 100755 mode.
    File {
        /// Whether the file is executable (git mode 100755).
        executable: bool,
    },
    /// A symbolic link, sent as a link (its target is the content).
    Symlink,
    /// A directory.
    Dir,
}

/// One entry of a build context: a path relative to the context root,
/// `/`-separated, without a leading `./` or `/` (`src/main.py`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContextEntry {
    /// The path relative to the context root.
    pub path: String,
    /// File, link or directory.
    pub kind: EntryKind,
}

/// An image as a render uses it: the reference built (or to be built) for
/// one declared image, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The declared repository ([`crate::manifest::ImageSpec::name`]).
    pub name: String,
    /// The repository tagged: the name, behind the registry when pushed.
    pub repository: String,
    /// The content-addressed tag (`plumb-0123456789ab`).
    pub tag: String,
    /// The pushed manifest digest (`sha256:...`) when it is pinned.
    pub digest: Option<String>,
    /// For a chart app: the values key and its form.
    pub values_key: Option<(String, crate::manifest::ValuesForm)>,
}

impl ImageRef {
    /// What a container's `image:` becomes: `repo@sha256:...` when pinned,
    /// else `repo:tag`.
    pub fn reference(&self) -> String {
        match &self.digest {
            Some(digest) => format!("{}@{digest}", self.repository),
            None => format!("{}:{}", self.repository, self.tag),
        }
    }
}

/// The `--set` entries that put the images into a chart's values, after
/// the app's own `set` (so they win): `api.image=repo:tag`, or for the
/// split form `api.image.repository=repo` and `api.image.tag=tag` (and
/// `api.image.digest=sha256:...` when pinned). References hold no `,` or
/// `\`, which `--set` would read as separators.
pub fn image_set_strings(images: &[ImageRef]) -> Vec<String> {
    use crate::manifest::ValuesForm;
    let mut out = Vec::new();
    for image in images {
        let Some((key, form)) = &image.values_key else {
            continue;
        };
        match form {
            ValuesForm::Reference => out.push(format!("{key}={}", image.reference())),
            ValuesForm::Split => {
                out.push(format!("{key}.repository={}", image.repository));
                out.push(format!("{key}.tag={}", image.tag));
                if let Some(digest) = &image.digest {
                    out.push(format!("{key}.digest={digest}"));
                }
            }
        }
    }
    out
}

/// The repository part of a container image reference: without its
/// `@digest` and its `:tag` (a `:` before the last `/` is a registry
/// port, not a tag).
pub fn repository_of(reference: &str) -> &str {
    let without_digest = reference.split('@').next().unwrap_or(reference);
    match without_digest.rfind(':') {
        Some(colon) if !without_digest[colon..].contains('/') => &without_digest[..colon],
        _ => without_digest,
    }
}

/// Rewrites every container image of an object whose repository is one of
/// `images`' declared names (or tagged repositories) to the built
/// reference, as kustomize's `images:` transformer does for plain
/// manifests: `containers`, `initContainers` and `ephemeralContainers`
/// lists at any depth (Pods, workload templates, CronJob job templates,
/// custom resources that embed pod specs). Returns how many were changed.
pub fn rewrite_images(object: &mut serde_json::Value, images: &[ImageRef]) -> usize {
    use serde_json::Value;
    let mut changed = 0;
    match object {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let is_list = matches!(
                    key.as_str(),
                    "containers" | "initContainers" | "ephemeralContainers"
                );
                if let (true, Value::Array(containers)) = (is_list, &mut *value) {
                    for container in containers.iter_mut() {
                        let Some(image) = container.get("image").and_then(Value::as_str) else {
                            continue;
                        };
                        let repository = repository_of(image);
                        if let Some(built) = images
                            .iter()
                            .find(|i| i.name == repository || i.repository == repository)
                        {
                            container["image"] = Value::String(built.reference());
                            changed += 1;
                        }
                    }
                }
                changed += rewrite_images(value, images);
            }
        }
        Value::Array(items) => {
            for item in items {
                changed += rewrite_images(item, images);
            }
        }
        _ => {}
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ValuesForm;
    use serde_json::json;

    fn api(values_key: Option<(&str, ValuesForm)>) -> ImageRef {
        ImageRef {
            name: "pakaura/api".into(),
            repository: "pakaura/api".into(),
            tag: "plumb-0123456789ab".into(),
            digest: None,
            values_key: values_key.map(|(k, f)| (k.to_string(), f)),
        }
    }

    #[test]
    fn set_strings_in_both_forms() {
        let mut pushed = api(Some(("frontend.image", ValuesForm::Split)));
        pushed.repository = "localhost:5000/pakaura/api".into();
        pushed.digest = Some("sha256:abc".into());
        assert_eq!(
            image_set_strings(&[
                api(Some(("api.image", ValuesForm::Reference))),
                pushed,
                api(None)
            ]),
            vec![
                "api.image=pakaura/api:plumb-0123456789ab",
                "frontend.image.repository=localhost:5000/pakaura/api",
                "frontend.image.tag=plumb-0123456789ab",
                "frontend.image.digest=sha256:abc",
            ]
        );
    }

    #[test]
    fn repositories_of_references() {
        assert_eq!(repository_of("pakaura/api"), "pakaura/api");
        assert_eq!(repository_of("pakaura/api:v1"), "pakaura/api");
        assert_eq!(
            repository_of("localhost:5000/pakaura/api"),
            "localhost:5000/pakaura/api"
        );
        assert_eq!(
            repository_of("localhost:5000/pakaura/api:v1"),
            "localhost:5000/pakaura/api"
        );
        assert_eq!(repository_of("pakaura/api@sha256:00"), "pakaura/api");
        assert_eq!(repository_of("pakaura/api:v1@sha256:00"), "pakaura/api");
    }

    #[test]
    fn rewrites_containers_at_any_depth_and_nothing_else() {
        let mut cronjob = json!({
            "kind": "CronJob",
            "metadata": {"annotations": {"image": "pakaura/api:old"}},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "initContainers": [{"name": "m", "image": "pakaura/api"}],
                "containers": [
                    {"name": "a", "image": "pakaura/api:latest"},
                    {"name": "b", "image": "pakaura/api-worker:1"},
                    {"name": "c", "image": "busybox:1.36"}
                ]
            }}}}}
        });
        assert_eq!(rewrite_images(&mut cronjob, &[api(None)]), 2);
        let spec = &cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        assert_eq!(
            spec["initContainers"][0]["image"],
            "pakaura/api:plumb-0123456789ab"
        );
        assert_eq!(
            spec["containers"][0]["image"],
            "pakaura/api:plumb-0123456789ab"
        );
        assert_eq!(spec["containers"][1]["image"], "pakaura/api-worker:1");
        assert_eq!(spec["containers"][2]["image"], "busybox:1.36");
        assert_eq!(
            cronjob["metadata"]["annotations"]["image"],
            "pakaura/api:old"
        );
        let mut pinned = api(None);
        pinned.digest = Some("sha256:ff".into());
        let mut pod =
            json!({"spec": {"containers": [{"image": "pakaura/api:plumb-0123456789ab"}]}});
        assert_eq!(rewrite_images(&mut pod, &[pinned]), 1);
        assert_eq!(
            pod["spec"]["containers"][0]["image"],
            "pakaura/api@sha256:ff"
        );
    }
}
