//! Files tests read or write: the repository's manifests, small files in a temp dir.

use std::path::Path;

/// Absolute path of a file in the repository's `manifests/`.
pub fn manifest(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../manifests")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Writes `text` to `<dir>/<name>` and returns its path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn manifests_are_found() {
        assert!(Path::new(&super::manifest("1-sts-mysql.yaml")).is_file());
    }

    use std::path::Path;
}
