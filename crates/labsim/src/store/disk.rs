//! The store's copy on disk: one JSON file per object under `objects/<resource>/<ns>/<name>.json`,
//! written atomically (temp file + rename) before a change is acknowledged, plus the counter in
//! `resource-version`. A SIGKILL at any point leaves either the old or the new file.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::Key;

pub(super) struct Disk {
    dir: PathBuf,
}

impl Disk {
    pub(super) fn new(dir: PathBuf) -> io::Result<Disk> {
        fs::create_dir_all(dir.join("objects"))?;
        Ok(Disk { dir })
    }

    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, key: &Key) -> PathBuf {
        let ns = if key.namespace.is_empty() {
            "_cluster"
        } else {
            &key.namespace
        };
        self.dir
            .join("objects")
            .join(&key.resource)
            .join(ns)
            .join(format!("{}.json", key.name))
    }

    pub(super) fn load(&self) -> io::Result<(u64, BTreeMap<Key, Value>)> {
        let mut objects = BTreeMap::new();
        let mut max_rv = 0u64;
        let root = self.dir.join("objects");
        for res in read_dir_sorted(&root)? {
            for ns in read_dir_sorted(&res)? {
                for file in read_dir_sorted(&ns)? {
                    if file.extension().and_then(|e| e.to_str()) != Some("json") {
                        continue; // a temp file left by a kill mid-write
                    }
                    let text = fs::read_to_string(&file)?;
                    let Ok(obj) = serde_json::from_str::<Value>(&text) else {
                        tracing::warn!(file = %file.display(), "skipping unreadable object file");
                        continue;
                    };
                    let rv = obj["metadata"]["resourceVersion"]
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    max_rv = max_rv.max(rv);
                    let name = file
                        .file_stem()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned();
                    let nsname = ns
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned();
                    let key = Key {
                        resource: res
                            .file_name()
                            .unwrap_or_default()
                            .to_string_lossy()
                            .into_owned(),
                        namespace: if nsname == "_cluster" {
                            String::new()
                        } else {
                            nsname
                        },
                        name,
                    };
                    objects.insert(key, obj);
                }
            }
        }
        let counter = fs::read_to_string(self.dir.join("resource-version"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        Ok((max_rv.max(counter), objects))
    }

    pub(super) fn write(&self, key: &Key, obj: &Value, rv: u64) {
        let path = self.path(key);
        if let Err(e) = write_atomic(
            &path,
            serde_json::to_vec(obj).unwrap_or_default().as_slice(),
        ) {
            tracing::error!(path = %path.display(), error = %e, "could not persist object");
        }
        self.write_rv(rv);
    }

    pub(super) fn remove(&self, key: &Key, rv: u64) {
        let _ = fs::remove_file(self.path(key));
        self.write_rv(rv);
    }

    fn write_rv(&self, rv: u64) {
        let _ = write_atomic(
            &self.dir.join("resource-version"),
            rv.to_string().as_bytes(),
        );
    }
}

fn read_dir_sorted(dir: &Path) -> io::Result<Vec<PathBuf>> {
    match fs::read_dir(dir) {
        Ok(rd) => {
            let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            v.sort();
            Ok(v)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to `path` so that readers see the old or the new content, never a part.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path)
}
