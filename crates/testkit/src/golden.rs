//! The golden-file rule of the workspace: expected output lives in a file under a `testdata/`
//! folder beside the code that produces it; [`check`] compares, and with `KUBELAB_BLESS=1` in
//! the environment rewrites the file instead (after a change whose new output was reviewed:
//! `git diff` shows it). A mismatch fails with a line diff, not two walls of text.

use std::path::Path;

/// The environment variable that rewrites golden files.
pub const BLESS: &str = "KUBELAB_BLESS";

/// Unchanged lines shown around each change in a diff.
const CONTEXT: usize = 2;

/// Compares `actual` with the golden file at `path` (or rewrites it under `KUBELAB_BLESS`).
pub fn check(path: impl AsRef<Path>, actual: &str) {
    let path = path.as_ref();
    if std::env::var_os(BLESS).is_some() {
        std::fs::write(path, actual).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        return;
    }
    let expected = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("golden file {}: {e} ({BLESS}=1 writes it)", path.display()));
    if expected != actual {
        panic!(
            "{} differs from the output (- golden, + actual; {BLESS}=1 accepts the output):\n{}",
            path.display(),
            diff(&expected, actual)
        );
    }
}

/// [`check`] for JSON: pretty-printed with a final newline.
pub fn check_json(path: impl AsRef<Path>, actual: &serde_json::Value) {
    let text = serde_json::to_string_pretty(actual).expect("JSON values serialize") + "\n";
    check(path, &text);
}

/// A line diff of `old` → `new` (longest common subsequence): changed lines marked `-` and
/// `+`, [`CONTEXT`] unchanged lines around them, `@@ line N` where a hunk starts.
pub fn diff(old: &str, new: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    // The edit script: (mark, line number in old, text).
    let mut ops: Vec<(char, usize, &str)> = vec![];
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            ops.push((' ', i, a[i]));
            (i, j) = (i + 1, j + 1);
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // On a tie the old line goes first: `- old` then `+ new`, as diff(1) prints.
            ops.push(('-', i, a[i]));
            i += 1;
        } else {
            ops.push(('+', i, b[j]));
            j += 1;
        }
    }
    let near_change = |k: usize| {
        let lo = k.saturating_sub(CONTEXT);
        let hi = (k + CONTEXT + 1).min(ops.len());
        ops[lo..hi].iter().any(|(m, _, _)| *m != ' ')
    };
    let mut out = String::new();
    let mut shown_last = false;
    for (k, (mark, line, text)) in ops.iter().enumerate() {
        if !near_change(k) {
            shown_last = false;
            continue;
        }
        if !shown_last {
            out.push_str(&format!("@@ line {}\n", line + 1));
        }
        out.push_str(&format!("{mark} {text}\n"));
        shown_last = true;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_shows_changes_with_context_only() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\n";
        assert_eq!(
            diff(old, new),
            "@@ line 3\n  c\n  d\n- e\n+ E\n  f\n  g\n  h\n+ i\n"
        );
        assert_eq!(diff("x\n", "x\n"), "");
        assert_eq!(diff("", "new\n"), "@@ line 1\n+ new\n");
    }

    #[test]
    fn an_inserted_line_is_one_plus_not_a_shifted_block() {
        let d = diff("1\n2\n3\n4\n5\n6\n7\n", "1\n2\n3\nnew\n4\n5\n6\n7\n");
        assert_eq!(d, "@@ line 2\n  2\n  3\n+ new\n  4\n  5\n");
    }

    #[test]
    fn check_passes_on_equal_and_fails_with_the_diff() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        std::fs::write(&path, "same\nold\n").unwrap();
        if std::env::var_os(BLESS).is_some() {
            return; // blessing rewrites instead of comparing
        }
        check(&path, "same\nold\n");
        let failed = std::panic::catch_unwind(|| check(&path, "same\nnew\n")).unwrap_err();
        let message = failed.downcast_ref::<String>().unwrap();
        assert!(message.contains("- old\n+ new\n"), "{message}");
        let missing = std::panic::catch_unwind(|| check(dir.path().join("none"), "x"));
        assert!(missing.is_err());
    }
}
