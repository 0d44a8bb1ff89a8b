//! Files tests read or write: the repository's manifests, small files in a temp dir.

use std::path::Path;

/// Absolute path of a file in the repository's `manifests/`.
///
/// Found from the package under test (cargo sets `CARGO_MANIFEST_DIR` when it runs a test), not
/// from where testkit was compiled: cargo does not rebuild testkit when the checkout moves (its
/// fingerprint is relative to the workspace), so a compile-time path can name a checkout that is
/// gone.
pub fn manifest(name: &str) -> String {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf());
    let root = start
        .ancestors()
        .find(|d| d.join("manifests").is_dir())
        .unwrap_or(&start);
    root.join("manifests")
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
