//! Go's `encoding/json` rules for the fields of a decoded protobuf message: what an `omitempty`
//! tag drops, what a pointer keeps, what a non-pointer always writes. The apiserver decodes a
//! protobuf body into the Go struct and serves it as JSON through these rules, and kubectl 1.31
//! sends that same struct as JSON, so following them gives the object a JSON client sends.
//!
//! gogo-generated `Marshal` (what client-go runs) always writes non-pointer scalars, so an unset
//! string arrives as `Some("")`: only the Go tag decides whether it shows.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Map, Value};

/// A JSON object being built, field by field.
#[derive(Default)]
pub struct Obj(pub Map<String, Value>);

impl Obj {
    pub fn new() -> Obj {
        Obj::default()
    }

    /// Any value, always written (a non-pointer struct, an always-present field).
    pub fn set(mut self, key: &str, v: Value) -> Obj {
        self.0.insert(key.into(), v);
        self
    }

    /// `string` with `omitempty`: written unless empty.
    pub fn str(self, key: &str, v: Option<String>) -> Obj {
        match v {
            Some(s) if !s.is_empty() => self.set(key, Value::String(s)),
            _ => self,
        }
    }

    /// `string` without `omitempty`: always written.
    pub fn str_always(self, key: &str, v: Option<String>) -> Obj {
        self.set(key, Value::String(v.unwrap_or_default()))
    }

    /// `*string` (`omitempty`): written when set, even empty.
    pub fn str_ptr(self, key: &str, v: Option<String>) -> Obj {
        match v {
            Some(s) => self.set(key, Value::String(s)),
            None => self,
        }
    }

    /// `*bool` (`omitempty`): written when set.
    pub fn bool_ptr(self, key: &str, v: Option<bool>) -> Obj {
        match v {
            Some(b) => self.set(key, Value::Bool(b)),
            None => self,
        }
    }

    /// `bool` with `omitempty`: written when true.
    pub fn bool(self, key: &str, v: Option<bool>) -> Obj {
        match v {
            Some(true) => self.set(key, Value::Bool(true)),
            _ => self,
        }
    }

    /// `bool` without `omitempty`.
    pub fn bool_always(self, key: &str, v: Option<bool>) -> Obj {
        self.set(key, Value::Bool(v.unwrap_or_default()))
    }

    /// An integer with `omitempty`: written unless 0.
    pub fn int(self, key: &str, v: Option<impl Into<i64>>) -> Obj {
        match v.map(Into::into) {
            Some(n) if n != 0 => self.set(key, Value::from(n)),
            _ => self,
        }
    }

    /// An integer without `omitempty`.
    pub fn int_always(self, key: &str, v: Option<impl Into<i64>>) -> Obj {
        self.set(key, Value::from(v.map(Into::into).unwrap_or_default()))
    }

    /// `*int32`/`*int64` (`omitempty`): written when set.
    pub fn int_ptr(self, key: &str, v: Option<impl Into<i64>>) -> Obj {
        match v {
            Some(n) => self.set(key, Value::from(n.into())),
            None => self,
        }
    }

    /// `map[string]string` with `omitempty` (protobuf cannot tell empty from nil: both are nil).
    pub fn str_map(self, key: &str, v: BTreeMap<String, String>) -> Obj {
        if v.is_empty() {
            return self;
        }
        let m = v.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        self.set(key, Value::Object(m))
    }

    /// `map[string][]byte` with `omitempty`: values base64 (standard, padded), as Go writes a
    /// `[]byte`.
    pub fn bytes_map(self, key: &str, v: BTreeMap<String, Vec<u8>>) -> Obj {
        if v.is_empty() {
            return self;
        }
        let b64 = base64::engine::general_purpose::STANDARD;
        let m = v
            .into_iter()
            .map(|(k, v)| (k, Value::String(b64.encode(v))))
            .collect();
        self.set(key, Value::Object(m))
    }

    /// `[]string` with `omitempty`.
    pub fn strs(self, key: &str, v: Vec<String>) -> Obj {
        self.list(key, v, Value::String)
    }

    /// A slice with `omitempty`, each item converted by `f`.
    pub fn list<T>(self, key: &str, v: Vec<T>, f: impl Fn(T) -> Value) -> Obj {
        if v.is_empty() {
            return self;
        }
        self.set(key, Value::Array(v.into_iter().map(f).collect()))
    }

    /// A slice without `omitempty`: `null` when empty (Go's nil slice).
    pub fn list_always<T>(self, key: &str, v: Vec<T>, f: impl Fn(T) -> Value) -> Obj {
        if v.is_empty() {
            return self.set(key, Value::Null);
        }
        self.list(key, v, f)
    }

    /// A map with `omitempty`, each value converted by `f`.
    pub fn map<T>(self, key: &str, v: BTreeMap<String, T>, f: impl Fn(T) -> Value) -> Obj {
        if v.is_empty() {
            return self;
        }
        let m = v.into_iter().map(|(k, v)| (k, f(v))).collect();
        self.set(key, Value::Object(m))
    }

    /// The fields of an embedded (`json:",inline"`) struct.
    pub fn merge(mut self, other: Obj) -> Obj {
        self.0.extend(other.0);
        self
    }

    /// A pointer to a struct (`omitempty`): written when set.
    pub fn ptr<T>(self, key: &str, v: Option<T>, f: impl Fn(T) -> Value) -> Obj {
        match v {
            Some(v) => self.set(key, f(v)),
            None => self,
        }
    }

    pub fn done(self) -> Value {
        Value::Object(self.0)
    }
}
