//! [`Shown`]: a result as a cell holds it, its data plus the text and HTML the engine rendered.
//! Evcxr's rich-output protocol shows it (HTML in Jupyter, text in the REPL) and `Display` gives
//! the text, so Jupyter, the REPL and `println!` agree with kubectl by construction.

use std::fmt;
use std::ops::Deref;

use crate::wire::{mismatch, Data, Field, Value, Wire};
use crate::Error;

/// A result with its rendering; reads as its data (`Deref`): `pods()?.get("mysql-0", "STATUS")`,
/// `watch.ready_order()`, `ready.uid`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shown<T> {
    data: T,
    text: String,
    html: String,
}

impl<T> Deref for Shown<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T> Shown<T> {
    /// `data` shown as `text` (terminal) and `html` (Jupyter).
    pub fn new(data: T, text: String, html: String) -> Shown<T> {
        Shown { data, text, html }
    }

    /// The data.
    pub fn data(&self) -> &T {
        &self.data
    }

    /// The data, without the rendering.
    pub fn into_data(self) -> T {
        self.data
    }

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
        use std::io::Write;
        let mut o = std::io::stdout().lock();
        let _ = writeln!(
            o,
            "EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT",
            self.html
        );
        let _ = writeln!(
            o,
            "EVCXR_BEGIN_CONTENT text/plain\n{}\nEVCXR_END_CONTENT",
            self.text
        );
        let _ = o.flush();
    }
}

impl<T> fmt::Display for Shown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<T: Data> Shown<T> {
    /// The value sent for this result.
    pub fn to_value(&self) -> Value {
        Value {
            kind: T::KIND.to_string(),
            text: self.text.clone(),
            html: self.html.clone(),
            fields: self.data.encode(),
        }
    }

    /// The result a value carries; an error when it is another kind or lacks a field.
    pub fn from_value(v: Value) -> Result<Shown<T>, Error> {
        if v.kind != T::KIND {
            return Err(mismatch(format!("{} 대신 {}", T::KIND, v.kind)));
        }
        Ok(Shown {
            data: T::decode(&v.fields)?,
            text: v.text,
            html: v.html,
        })
    }
}

impl<T: Data> Wire for Shown<T> {
    fn to_field(&self) -> Field {
        Field::Value(Box::new(self.to_value()))
    }

    fn from_field(f: &Field) -> Option<Self> {
        match f {
            Field::Value(v) => Shown::from_value((**v).clone()).ok(),
            _ => None,
        }
    }
}
