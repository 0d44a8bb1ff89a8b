//! How results show: evcxr's rich-output protocol (HTML for Jupyter, text for the REPL) and
//! `Display`, all from the text and HTML the engine rendered. The engine prints; a cell only
//! passes its rendering on, so Jupyter, the REPL and `println!` agree with kubectl by construction.

/// Prints an HTML block and a text block in evcxr's rich-output protocol.
pub(crate) fn evcxr_emit(html: &str, text: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let _ = writeln!(
        o,
        "EVCXR_BEGIN_CONTENT text/html\n{html}\nEVCXR_END_CONTENT"
    );
    let _ = writeln!(
        o,
        "EVCXR_BEGIN_CONTENT text/plain\n{text}\nEVCXR_END_CONTENT"
    );
    let _ = o.flush();
}

/// Gives a result type (with `text` and `html` fields) `Display`, `to_text`, `to_html` and the
/// inherent `evcxr_display` that evcxr calls for a cell's final value.
macro_rules! shown {
    ($t:ty) => {
        impl $t {
            /// Plain-text rendering (as in a terminal).
            pub fn to_text(&self) -> String {
                self.text.clone()
            }

            /// HTML rendering (as in Jupyter).
            pub fn to_html(&self) -> String {
                self.html.clone()
            }

            /// Called by evcxr for a cell's final value: HTML in Jupyter, text in the REPL.
            pub fn evcxr_display(&self) {
                $crate::show::evcxr_emit(&self.html, &self.text);
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.text)
            }
        }
    };
}
pub(crate) use shown;

/// A result read from the engine's value: the struct (its fields plus the rendering), how each
/// field is read from the value `|v|`, `shown!` and `from_value`.
macro_rules! report {
    ($(#[$m:meta])* $name:ident |$v:ident| {
        $($(#[$fm:meta])* $vis:vis $field:ident: $ty:ty = $read:expr),* $(,)?
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone)]
        pub struct $name {
            $($(#[$fm])* $vis $field: $ty,)*
            text: String,
            html: String,
        }
        $crate::show::shown!($name);

        impl $name {
            pub(crate) fn from_value($v: Value) -> $name {
                $name {
                    $($field: $read,)*
                    text: $v.text,
                    html: $v.html,
                }
            }
        }
    };
}

pub(crate) use report;
