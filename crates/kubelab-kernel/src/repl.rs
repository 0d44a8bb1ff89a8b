//! The REPL front end (`make repl`): the same cells, engine and errors as the Jupyter kernel, in a
//! terminal. Results show as text tables; a failed step prints its Korean name and message.

use std::io::{BufRead, Write};
use std::sync::Arc;

use crate::cells::{Cells, Output};

struct Terminal;

impl Output for Terminal {
    fn stdout(&self, line: &str) {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{line}");
        let _ = o.flush();
    }
}

/// True while brackets, braces or a string are still open: the input goes on on the next line.
fn incomplete(code: &str) -> bool {
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

/// Reads cells from stdin until end of input (Ctrl-D) or `:quit`.
pub fn run(mut cells: Cells) {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let out: Arc<dyn Output> = Arc::new(Terminal);
    println!("kubelab REPL: nodes()? 처럼 입력하세요. 끝내려면 :quit 또는 Ctrl-D.");
    loop {
        let mut code = String::new();
        let mut prompt = ">> ";
        loop {
            print!("{prompt}");
            let _ = std::io::stdout().flush();
            match lines.next() {
                Some(Ok(l)) => {
                    code.push_str(&l);
                    code.push('\n');
                }
                _ => return,
            }
            if !incomplete(&code) {
                break;
            }
            prompt = ".. ";
        }
        let trimmed = code.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed == ":quit" || trimmed == ":q" {
            return;
        }
        let outcome = cells.run(&code, Some(out.clone()));
        if let Some(e) = outcome.error {
            eprintln!("\x1b[1;31m{}\x1b[0m", e.name);
            for l in &e.lines {
                eprintln!("{l}");
            }
            continue;
        }
        if let Some((_, text)) = outcome.data.iter().find(|(k, _)| k == "text/plain") {
            println!("{text}");
        }
    }
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
