//! The crate map's layer rule, checked: a top-level module may use (`crate::<module>`) only
//! modules of the layers before its own, so dependencies run one way and never close a circle.

/// The layers of `lib.rs`'s crate map, lowest first. Modules of one layer do not use each other.
const LAYERS: &[&[&str]] = &[
    &["resources", "shutdown", "files"],
    &["api_error"],
    &["store"],
    &["objects"],
    &["network"],
    &["controllers", "kubelet"],
    &["api"],
    &["server", "tls", "kubeconfig"],
    &["cluster"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every `.rs` file of a top-level module: `src/<m>.rs` and everything under `src/<m>/`.
fn files_of(src: &std::path::Path, module: &str) -> Vec<std::path::PathBuf> {
    let mut out = vec![];
    let file = src.join(format!("{module}.rs"));
    if file.exists() {
        out.push(file);
    }
    let mut dirs = vec![src.join(module)];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// The top-level modules a file names as `crate::<module>` (its tests included).
fn uses(text: &str) -> Vec<String> {
    text.match_indices("crate::")
        .map(|(i, m)| {
            text[i + m.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn every_module_is_in_a_layer_and_uses_only_lower_ones() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let mut wrong = vec![];
    for line in lib.lines() {
        let Some(module) = line
            .strip_prefix("pub mod ")
            .and_then(|m| m.strip_suffix(';'))
        else {
            continue;
        };
        let Some(mine) = layer_of(module) else {
            wrong.push(format!("{module} is in no layer"));
            continue;
        };
        for file in files_of(&src, module) {
            let text = std::fs::read_to_string(&file).unwrap();
            for used in uses(&text) {
                match layer_of(&used) {
                    Some(l) if used == module || l < mine => {}
                    Some(_) => wrong.push(format!("{} uses crate::{used}", file.display())),
                    None => {} // not a top-level module (e.g. a macro path)
                }
            }
        }
    }
    assert!(wrong.is_empty(), "layer rule broken:\n{}", wrong.join("\n"));
}

#[test]
fn a_use_of_a_higher_layer_is_found() {
    assert_eq!(
        uses("use crate::api::App; crate::store::Store"),
        ["api", "store"]
    );
    assert!(layer_of("api") > layer_of("kubelet"));
}
