//! Live pictures drawn from the cluster: [`topology`] (nodes holding their pods, each pod's PVC →
//! PV → where its data lives) and [`timeline`] (each pod's creation → Ready on a time axis). Each
//! is a [`Picture`]: a self-contained inline SVG for Jupyter (no script, no external asset, so
//! the saved notebook keeps it) and a text drawing for the REPL and `Display`.

pub mod timeline;
pub mod topology;

use std::fmt;

pub use crate::error::picture::Error;
pub use kubelab::{PictureData, PictureKind};

use crate::table::escape;

/// A drawing of the cluster: [`PictureData`] (which picture, the pods drawn), the SVG (in HTML)
/// for Jupyter and the text for the REPL.
#[derive(Debug, Clone)]
pub struct Picture {
    data: PictureData,
    /// The text drawing.
    pub text: String,
    /// The SVG document (`<svg ...>...</svg>`).
    pub svg: String,
}
crate::report::report!(Picture: PictureData = data);

impl Picture {
    /// HTML for Jupyter: the inline SVG, scrollable when wider than the cell.
    pub fn to_html(&self) -> String {
        format!("<div style=\"overflow-x:auto\">{}</div>", self.svg)
    }
}

impl fmt::Display for Picture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Small SVG writer: every text goes through `escape`, so the document stays well-formed.
pub(crate) struct Svg {
    body: String,
    width: u32,
    height: u32,
}

pub(crate) const FONT: &str = "font-family=\"'D2Coding','Noto Sans Mono CJK KR',monospace\"";
pub(crate) const GREEN: &str = "#1a7f37";
pub(crate) const AMBER: &str = "#9a6700";
pub(crate) const GREY: &str = "#57606a";

impl Svg {
    pub fn new(width: u32, height: u32) -> Svg {
        Svg {
            body: String::new(),
            width,
            height,
        }
    }

    /// A rectangle; `dash` draws its border dashed.
    #[allow(clippy::too_many_arguments)]
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, stroke: &str, dash: bool) {
        let dash = if dash {
            " stroke-dasharray=\"4 3\""
        } else {
            ""
        };
        self.body.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"4\" fill=\"{fill}\" stroke=\"{stroke}\"{dash}/>\n"
        ));
    }

    /// Text at (x, y) (baseline); `anchor` is start, middle or end.
    // one flat call per SVG element keeps the drawing code a list of shapes
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        x: f64,
        y: f64,
        size: u32,
        color: &str,
        anchor: &str,
        bold: bool,
        s: &str,
    ) {
        let weight = if bold { " font-weight=\"bold\"" } else { "" };
        self.body.push_str(&format!(
            "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size}\" fill=\"{color}\" text-anchor=\"{anchor}\"{weight} {FONT}>{}</text>\n",
            escape(s)
        ));
    }

    /// A line; `arrow` ends it with the arrowhead, `dash` dashes it.
    #[allow(clippy::too_many_arguments)]
    pub fn line(
        &mut self,
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        color: &str,
        arrow: bool,
        dash: bool,
    ) {
        let marker = if arrow {
            " marker-end=\"url(#kubelab-arrow)\""
        } else {
            ""
        };
        let dash = if dash {
            " stroke-dasharray=\"3 3\""
        } else {
            ""
        };
        self.body.push_str(&format!(
            "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{color}\" stroke-width=\"1.5\"{marker}{dash}/>\n"
        ));
    }

    /// A circle; `filled` fills it with `color`, else white.
    pub fn circle(&mut self, x: f64, y: f64, r: f64, color: &str, filled: bool) {
        let fill = if filled { color } else { "#ffffff" };
        self.body.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"{fill}\" stroke=\"{color}\" stroke-width=\"1.5\"/>\n"
        ));
    }

    /// Starts a group whose tooltip is `title` (the full name a drawing shortens); empty: none.
    pub fn group(&mut self, title: &str) {
        self.body.push_str("<g>");
        if !title.is_empty() {
            self.body
                .push_str(&format!("<title>{}</title>", escape(title)));
        }
        self.body.push('\n');
    }

    /// Ends the group `group` started.
    pub fn end_group(&mut self) {
        self.body.push_str("</g>\n");
    }

    /// The finished document.
    pub fn finish(self, label: &str) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{label}\">\n<defs><marker id=\"kubelab-arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{GREY}\"/></marker></defs>\n<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>\n{body}</svg>",
            w = self.width,
            h = self.height,
            label = escape(label),
            body = self.body
        )
    }
}

/// Shortens `s` to `n` characters with `…`.
pub(crate) fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut o: String = s.chars().take(n.saturating_sub(1)).collect();
        o.push('…');
        o
    }
}

/// Shortens `s` to its last `n` characters with a leading `…` (the end of a path names the volume).
pub(crate) fn short_tail(s: &str, n: usize) -> String {
    let count = s.chars().count();
    if count <= n {
        s.to_string()
    } else {
        let tail: String = s.chars().skip(count - n.saturating_sub(1)).collect();
        format!("…{tail}")
    }
}
