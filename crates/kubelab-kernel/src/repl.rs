//! The REPL front end (`make repl`): the same cells, engine and errors as the Jupyter kernel, in a
//! terminal. Results show as text tables; a failed step prints its Korean name and message.

use std::io::{BufRead, Write};
use std::sync::Arc;

use crate::cells::{Cells, Output};
use crate::input::incomplete;

struct Terminal;

impl Output for Terminal {
    fn stdout(&self, line: &str) {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{line}");
        let _ = o.flush();
    }
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
            eprintln!("\x1b[1;31m{}\x1b[0m", e.error.name());
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
