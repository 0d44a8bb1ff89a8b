//! When a line typed at the REPL is a whole cell: brackets, braces and strings closed.

/// True while brackets, braces or a string are still open: the input goes on on the next line.
pub fn incomplete(code: &str) -> bool {
    let (mut depth, mut in_str, mut esc) = (0i32, false, false);
    for ch in code.chars() {
        if in_str {
            match (esc, ch) {
                (true, _) => esc = false,
                (false, '\\') => esc = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match ch {
            '"' => in_str = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ => {}
        }
    }
    in_str || depth > 0
}

#[cfg(test)]
mod tests {
    use super::incomplete;

    #[test]
    fn open_brackets_and_strings_continue_the_input() {
        assert!(!incomplete("nodes()?\n"));
        assert!(incomplete("db.sql(\"\n"));
        assert!(incomplete("db.sql(\"SELECT 1;\"\n"));
        assert!(!incomplete("db.sql(\"SELECT ')';\")?\n"));
        assert!(incomplete("for p in [1, 2] {\n"));
    }
}
