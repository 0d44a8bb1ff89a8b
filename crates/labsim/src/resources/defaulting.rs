//! What a kind's defaults (the row's `defaults`) work with: the API server fills only the fields
//! a client left out, and a few need the server (the stored object, a free ClusterIP), given
//! here as [`Defaulting`]. `objects::defaults::apply` is the one entry point that calls them.

use serde_json::{json, Map, Value};

/// A kind's defaulting: fills defaults into a whole object of that kind.
pub type Defaults = fn(&mut Value, &Defaulting);

/// What the server gives a kind's defaulting.
pub struct Defaulting<'a> {
    /// The stored version on updates (fields a client cannot drop, as Service `clusterIP`, are
    /// carried over from it); `None` on create.
    pub live: Option<&'a Value>,
    /// An unused address in the service range (the store knows which are taken).
    pub free_cluster_ip: &'a dyn Fn() -> String,
}

/// Makes `v` an object (if it is not) and returns it.
pub fn obj_mut(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = json!({});
    }
    v.as_object_mut().expect("just made an object")
}

/// Sets `key` unless present (and not null).
pub fn set(m: &mut Map<String, Value>, key: &str, value: Value) {
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.to_string(), value);
    }
}
