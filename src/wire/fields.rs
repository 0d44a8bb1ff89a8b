//! A result on the wire: [`Value`] (text, HTML and named [`Field`]s), how each Rust type a result
//! holds becomes a field ([`Wire`]) and the [`Data`] trait of a result. `data!` writes a result's
//! struct and its `Data` impl from one definition, the field names being the keys, so encode and
//! decode cannot disagree.

use std::time::Duration;

use super::mismatch;
use crate::Error;

/// A call's result (or a call: its operation and arguments): how it shows (text and HTML) plus
/// its data as named fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Value {
    /// What kind of result this is (`table`, `watch`, `sql`, ...: [`Data::KIND`]).
    pub kind: String,
    /// Plain-text rendering (terminal, REPL).
    pub text: String,
    /// HTML rendering (Jupyter).
    pub html: String,
    /// The data, one field per struct field.
    pub fields: Vec<(String, Field)>,
}

/// One field of a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// A string, a number, a duration (ms) or an enum's name; `None` = NULL.
    Str(Option<String>),
    /// A list (also a pair or a row).
    List(Vec<Field>),
    /// A nested result (a table with its rendering inside a report).
    Value(Box<Value>),
}

/// A type a result's field may have, and its wire form.
pub trait Wire: Sized {
    /// The field this value is sent as.
    fn to_field(&self) -> Field;
    /// The value `to_field` made; `None` when the field has another shape.
    fn from_field(f: &Field) -> Option<Self>;
}

/// A result: its fields and kind (a cell checks that it got the kind it asked for).
pub trait Data: Sized {
    /// The value's kind.
    const KIND: &'static str;
    /// The fields, named as the struct's.
    fn encode(&self) -> Vec<(String, Field)>;
    /// The struct from its fields.
    fn decode(fields: &[(String, Field)]) -> Result<Self, Error>;
}

/// Field `key` of a `kind` value as a `T`, or why not.
pub fn get<T: Wire>(fields: &[(String, Field)], kind: &str, key: &str) -> Result<T, Error> {
    let f = fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, f)| f)
        .ok_or_else(|| mismatch(format!("{kind}: '{key}' 없음")))?;
    T::from_field(f).ok_or_else(|| mismatch(format!("{kind}: '{key}' 형식")))
}

impl Wire for String {
    fn to_field(&self) -> Field {
        Field::Str(Some(self.clone()))
    }
    fn from_field(f: &Field) -> Option<Self> {
        match f {
            Field::Str(Some(s)) => Some(s.clone()),
            _ => None,
        }
    }
}

impl Wire for Option<String> {
    fn to_field(&self) -> Field {
        Field::Str(self.clone())
    }
    fn from_field(f: &Field) -> Option<Self> {
        match f {
            Field::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
}

/// Numbers and flags as their decimal text.
macro_rules! parsed {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn to_field(&self) -> Field {
                Field::Str(Some(self.to_string()))
            }
            fn from_field(f: &Field) -> Option<Self> {
                String::from_field(f)?.parse().ok()
            }
        }
    )*};
}
parsed!(i32, u64, bool);

impl Wire for Duration {
    fn to_field(&self) -> Field {
        (self.as_millis() as u64).to_field()
    }
    fn from_field(f: &Field) -> Option<Self> {
        u64::from_field(f).map(Duration::from_millis)
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn to_field(&self) -> Field {
        Field::List(self.iter().map(Wire::to_field).collect())
    }
    fn from_field(f: &Field) -> Option<Self> {
        match f {
            Field::List(items) => items.iter().map(T::from_field).collect(),
            _ => None,
        }
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn to_field(&self) -> Field {
        Field::List(vec![self.0.to_field(), self.1.to_field()])
    }
    fn from_field(f: &Field) -> Option<Self> {
        match f {
            Field::List(items) if items.len() == 2 => {
                Some((A::from_field(&items[0])?, B::from_field(&items[1])?))
            }
            _ => None,
        }
    }
}

/// A result's struct and its [`Data`] (and [`Wire`], to nest it) from one definition: the
/// struct's fields are the wire's keys.
macro_rules! data {
    ($(#[$m:meta])* pub struct $name:ident = $kind:literal {
        $($(#[$fm:meta])* $vis:vis $field:ident: $ty:ty),* $(,)?
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $($(#[$fm])* $vis $field: $ty,)*
        }

        impl $crate::wire::Data for $name {
            const KIND: &'static str = $kind;

            fn encode(&self) -> Vec<(String, $crate::wire::Field)> {
                vec![$((stringify!($field).to_string(), $crate::wire::Wire::to_field(&self.$field)),)*]
            }

            #[allow(unused_variables)]
            fn decode(fields: &[(String, $crate::wire::Field)]) -> Result<Self, $crate::Error> {
                Ok($name {
                    $($field: $crate::wire::fields::get(fields, $kind, stringify!($field))?,)*
                })
            }
        }

        impl $crate::wire::Wire for $name {
            fn to_field(&self) -> $crate::wire::Field {
                $crate::wire::Field::Value(Box::new($crate::wire::Value {
                    kind: $kind.to_string(),
                    fields: $crate::wire::Data::encode(self),
                    ..Default::default()
                }))
            }

            fn from_field(f: &$crate::wire::Field) -> Option<Self> {
                match f {
                    $crate::wire::Field::Value(v) if v.kind == $kind => {
                        $crate::wire::Data::decode(&v.fields).ok()
                    }
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use data;

/// An enum sent as the names of its variants (`created`, `minikube`, ...), with `Display` and
/// `FromStr` giving the same names. The first variant is the default.
macro_rules! names {
    ($(#[$m:meta])* pub enum $name:ident {
        $(#[$fm:meta])* $first:ident = $fs:literal $(, $(#[$vm:meta])* $v:ident = $s:literal)* $(,)?
    }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[$fm])*
            #[default]
            $first,
            $($(#[$vm])* $v,)*
        }

        impl $name {
            /// Every variant, in order.
            pub const ALL: &'static [$name] = &[$name::$first, $($name::$v),*];

            /// The variant's name on the wire and as printed.
            pub fn as_str(self) -> &'static str {
                match self { $name::$first => $fs, $($name::$v => $s),* }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| format!("unknown {}: {s}", stringify!($name)))
            }
        }

        impl $crate::wire::Wire for $name {
            fn to_field(&self) -> $crate::wire::Field {
                $crate::wire::Field::Str(Some(self.as_str().to_string()))
            }
            fn from_field(f: &$crate::wire::Field) -> Option<Self> {
                <String as $crate::wire::Wire>::from_field(f)?.parse().ok()
            }
        }
    };
}
pub(crate) use names;
