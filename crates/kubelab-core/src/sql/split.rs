//! Splits a SQL script into statements like the mysql client: `;` ends a statement except inside
//! '…', "…" (backslash escapes and doubled quotes) or `…`; `-- `, `#` and `/* */` comments are
//! dropped (`/*! … */` version comments are kept, the server executes them).

/// Splits `script` into trimmed, non-empty statements without their trailing `;`.
pub fn split_statements(script: &str) -> Vec<String> {
    let chars: Vec<char> = script.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    let n = chars.len();
    while i < n {
        let c = chars[i];
        match c {
            '\'' | '"' | '`' => {
                cur.push(c);
                i += 1;
                while i < n {
                    let d = chars[i];
                    cur.push(d);
                    i += 1;
                    if d == '\\' && c != '`' && i < n {
                        cur.push(chars[i]);
                        i += 1;
                    } else if d == c {
                        // a doubled quote stays inside the string
                        if i < n && chars[i] == c {
                            cur.push(c);
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            '-' if i + 1 < n
                && chars[i + 1] == '-'
                && (i + 2 >= n || chars[i + 2].is_whitespace()) =>
            {
                while i < n && chars[i] != '\n' {
                    i += 1;
                }
                cur.push(' ');
            }
            '#' => {
                while i < n && chars[i] != '\n' {
                    i += 1;
                }
                cur.push(' ');
            }
            '/' if i + 1 < n && chars[i + 1] == '*' => {
                let keep = i + 2 < n && chars[i + 2] == '!';
                let start = i;
                i += 2;
                while i < n && !(chars[i] == '*' && i + 1 < n && chars[i + 1] == '/') {
                    i += 1;
                }
                i = (i + 2).min(n);
                if keep {
                    cur.extend(&chars[start..i]);
                } else {
                    cur.push(' ');
                }
            }
            ';' => {
                push_stmt(&mut out, &cur);
                cur.clear();
                i += 1;
            }
            _ => {
                cur.push(c);
                i += 1;
            }
        }
    }
    push_stmt(&mut out, &cur);
    out
}

fn push_stmt(out: &mut Vec<String>, s: &str) {
    let t = s.trim();
    if !t.is_empty() {
        out.push(t.to_string());
    }
}

/// The database a `USE db` statement selects (backticks removed), if the statement is one.
pub fn use_target(stmt: &str) -> Option<String> {
    let mut it = stmt.trim().splitn(2, char::is_whitespace);
    if !it.next()?.eq_ignore_ascii_case("use") {
        return None;
    }
    let db = it.next()?.trim().trim_end_matches(';').trim();
    let db = db
        .strip_prefix('`')
        .and_then(|d| d.strip_suffix('`'))
        .unwrap_or(db);
    (!db.is_empty()).then(|| db.replace("``", "`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(script: &str) -> Vec<String> {
        split_statements(script)
    }

    #[test]
    fn the_lab_script() {
        let script = "CREATE DATABASE testdb;\nSHOW DATABASES;\nUSE testdb;\n\n\
            CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255));\n\n\
            INSERT INTO users (name) VALUES ('Alice'), ('Bob');\n\nSELECT * FROM users;\n";
        assert_eq!(
            s(script),
            vec![
                "CREATE DATABASE testdb",
                "SHOW DATABASES",
                "USE testdb",
                "CREATE TABLE users (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255))",
                "INSERT INTO users (name) VALUES ('Alice'), ('Bob')",
                "SELECT * FROM users",
            ]
        );
    }

    #[test]
    fn no_trailing_semicolon_and_blank_statements() {
        assert_eq!(s("SELECT 1"), vec!["SELECT 1"]);
        assert_eq!(s(" ; ;; SELECT 1 ;;"), vec!["SELECT 1"]);
        assert!(s("").is_empty());
        assert!(s("  \n ").is_empty());
    }

    #[test]
    fn semicolons_inside_quotes() {
        assert_eq!(
            s("SELECT 'a;b'; SELECT 2"),
            vec!["SELECT 'a;b'", "SELECT 2"]
        );
        assert_eq!(s("SELECT \"x;y\";"), vec!["SELECT \"x;y\""]);
        assert_eq!(s("SELECT `we;ird` FROM t;"), vec!["SELECT `we;ird` FROM t"]);
    }

    #[test]
    fn escaped_and_doubled_quotes() {
        assert_eq!(
            s(r"SELECT 'it\'s;'; SELECT 1"),
            vec![r"SELECT 'it\'s;'", "SELECT 1"]
        );
        assert_eq!(
            s("SELECT 'it''s;'; SELECT 1"),
            vec!["SELECT 'it''s;'", "SELECT 1"]
        );
        assert_eq!(
            s(r#"SELECT "a\";b"; SELECT 1"#),
            vec![r#"SELECT "a\";b""#, "SELECT 1"]
        );
        assert_eq!(
            s(r"SELECT 'back\\'; SELECT 1"),
            vec![r"SELECT 'back\\'", "SELECT 1"]
        );
        // backslash does not escape inside backticks
        assert_eq!(
            s(r"SELECT `a\`; SELECT 1"),
            vec![r"SELECT `a\`", "SELECT 1"]
        );
    }

    #[test]
    fn comments_are_dropped() {
        assert_eq!(
            s("-- first; not a statement\nSELECT 1; # another; comment\nSELECT 2 /* x; y */ + 1;"),
            vec!["SELECT 1", "SELECT 2   + 1"]
        );
        assert_eq!(s("SELECT 1; -- trailing"), vec!["SELECT 1"]);
        assert_eq!(s("/* only a comment */"), Vec::<String>::new());
    }

    #[test]
    fn double_dash_needs_whitespace() {
        // `1--1` is arithmetic in MySQL, not a comment
        assert_eq!(s("SELECT 1--1;"), vec!["SELECT 1--1"]);
        assert_eq!(s("SELECT 1 --\nFROM dual"), vec!["SELECT 1  \nFROM dual"]);
    }

    #[test]
    fn comment_markers_inside_strings_are_text() {
        assert_eq!(
            s("SELECT '-- no', '# no', '/* no */';"),
            vec!["SELECT '-- no', '# no', '/* no */'"]
        );
    }

    #[test]
    fn version_comments_are_kept() {
        assert_eq!(
            s("SELECT /*!40101 1 + */ 1;"),
            vec!["SELECT /*!40101 1 + */ 1"]
        );
    }

    #[test]
    fn unterminated_string_goes_to_server() {
        assert_eq!(s("SELECT 'oops; SELECT 2"), vec!["SELECT 'oops; SELECT 2"]);
        assert_eq!(s("SELECT 1 /* open"), vec!["SELECT 1"]);
    }

    #[test]
    fn korean_text_survives() {
        assert_eq!(
            s("INSERT INTO t VALUES ('김철수;이영희'); SELECT '한글'"),
            vec!["INSERT INTO t VALUES ('김철수;이영희')", "SELECT '한글'"]
        );
    }

    #[test]
    fn use_statements() {
        assert_eq!(use_target("USE testdb").as_deref(), Some("testdb"));
        assert_eq!(use_target("use `my db`").as_deref(), Some("my db"));
        assert_eq!(use_target("  Use\ttestdb ").as_deref(), Some("testdb"));
        assert_eq!(use_target("USER()"), None);
        assert_eq!(use_target("SELECT 1"), None);
        assert_eq!(use_target("USE"), None);
    }
}
