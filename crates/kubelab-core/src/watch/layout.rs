//! kubectl's layout of `get -w` lines: its tabwriter (cells three spaces apart, at least six wide,
//! the last cell unpadded) remembers column widths from one printed block to the next, so a row
//! printed alone lines up with the header printed before it, and a wider cell widens its column
//! from then on (`github.com/liggitt/tabwriter`, `RememberWidths`).

/// Space after each cell but the last (kubectl's `tabwriterPadding`).
const PADDING: usize = 3;
/// Narrowest column, padding included (kubectl's `tabwriterMinWidth`).
const MIN_WIDTH: usize = 6;

/// The widths printed so far, and whether the header was.
#[derive(Debug, Default)]
pub struct Layout {
    widths: Vec<usize>,
    header_printed: bool,
}

impl Layout {
    /// Lays out one block as kubectl flushes it: the header first when it has not been printed
    /// and there are rows (kubectl prints it with the first rows), then the rows.
    pub fn block(&mut self, header: &[String], rows: &[Vec<String>]) -> Vec<String> {
        if rows.is_empty() {
            return Vec::new();
        }
        let mut block: Vec<&[String]> = Vec::new();
        if !self.header_printed {
            self.header_printed = true;
            block.push(header);
        }
        block.extend(rows.iter().map(Vec::as_slice));
        for line in &block {
            let padded = line.len().saturating_sub(1);
            if self.widths.len() < padded {
                self.widths.resize(padded, 0);
            }
            for (w, cell) in self.widths.iter_mut().zip(&line[..padded]) {
                *w = (*w).max(cell.chars().count() + PADDING).max(MIN_WIDTH);
            }
        }
        block
            .iter()
            .map(|line| {
                let mut s = String::new();
                for (i, cell) in line.iter().enumerate() {
                    if i + 1 < line.len() {
                        let pad = self.widths[i].saturating_sub(cell.chars().count());
                        s.push_str(cell);
                        s.extend(std::iter::repeat_n(' ', pad));
                    } else {
                        s.push_str(cell);
                    }
                }
                s
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn rows_line_up_with_the_header_and_widths_only_grow() {
        let header = cells(&["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
        let mut l = Layout::default();
        assert!(l.block(&header, &[]).is_empty(), "no rows: no header yet");
        // as `kubectl get pods -l app=mysql -w` printed it against labsim
        assert_eq!(
            l.block(&header, &[cells(&["mysql-0", "0/1", "Pending", "0", "0s"])]),
            [
                "NAME      READY   STATUS    RESTARTS   AGE",
                "mysql-0   0/1     Pending   0          0s"
            ]
        );
        assert_eq!(
            l.block(
                &header,
                &[cells(&["mysql-0", "0/1", "ContainerCreating", "0", "0s"])]
            ),
            ["mysql-0   0/1     ContainerCreating   0          0s"]
        );
        assert_eq!(
            l.block(&header, &[cells(&["mysql-0", "1/1", "Running", "0", "5s"])]),
            ["mysql-0   1/1     Running             0          5s"]
        );
        let mut alone = Layout {
            header_printed: true,
            ..Default::default()
        };
        assert_eq!(
            alone.block(&header, &[cells(&["a", "b", "c"])]),
            ["a     b     c"],
            "at least six wide"
        );
    }
}
