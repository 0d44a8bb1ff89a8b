#!/usr/bin/env python3
"""Generates crates/labsim/src/api/protobuf/pod.rs: the Pod converter (protobuf -> the JSON a Go
client sends), one function per Go struct reachable from v1.Pod.

Inputs: k8s.io/api core/v1/types.go of the Kubernetes release k8s-pb was generated from (the
JSON tags: omitempty, pointers, inline) and k8s-pb's core/v1/mod.rs (the Rust field of each
protobuf tag). Usage (TYPES_GO: `git show kubernetes-1.33.0:core/v1/types.go` in a kubernetes/api clone;
K8S_PB_CORE_V1_MOD_RS: `src/api/core/v1/mod.rs` of the k8s-pb crate in cargo's registry):
  gen-protobuf-pod.py TYPES_GO K8S_PB_CORE_V1_MOD_RS > crates/labsim/src/api/protobuf/pod.rs
then `cargo fmt`.
"""
import re
import sys

types_go, pb_rs = sys.argv[1], sys.argv[2]
go = open(types_go).read()
rs = open(pb_rs).read()

# Go structs: name -> [(go_name, go_type, json_name, omitempty, inline, tag)]
structs = {}
aliases = {}  # type X string / int32 ...
for m in re.finditer(r"^type (\w+) (\w+)\s*$", go, re.M):
    aliases[m.group(1)] = m.group(2)
for m in re.finditer(r"^type (\w+) (map\[\w+\][\w.]+)\s*$", go, re.M):
    aliases[m.group(1)] = m.group(2)
for m in re.finditer(r"^type (\w+) struct \{\n(.*?)^\}", go, re.M | re.S):
    fields = []
    for line in m.group(2).splitlines():
        line = line.strip()
        if not line or line.startswith("//"):
            continue
        f = re.match(r'^([\w.*]+)\s+`json:"([^"]*)"(?:.*?protobuf:"([^"]*)")?', line)
        if f:  # an embedded struct
            name, gtype, js, pb = f.group(1), f.group(1), f.group(2), f.group(3)
        else:
            f = re.match(r'^(\w+)\s+([\w.\[\]*]+)\s+`json:"([^"]*)"(?:.*?protobuf:"([^"]*)")?', line)
            if not f:
                continue
            name, gtype, js, pb = f.group(1), f.group(2), f.group(3), f.group(4)
        parts = js.split(",")
        jname, opts = parts[0], parts[1:]
        if jname == "-" or pb is None:
            continue
        tag = int(pb.split(",")[1])
        fields.append((name, gtype, jname, "omitempty" in opts, "inline" in opts, tag))
    structs[m.group(1)] = fields

# Rust structs: name -> {tag: (field, type)}
rust = {}
for m in re.finditer(r"^pub struct (\w+) \{\n(.*?)^\}", rs, re.M | re.S):
    fields = {}
    for f in re.finditer(r'#\[prost\([^\]]*tag = "(\d+)"\)\]\s*(?:///[^\n]*\n\s*)*pub (r#\w+|\w+):\s*([^\n]+?),?\n', m.group(2)):
        fields[int(f.group(1))] = (f.group(2), f.group(3))
    rust[m.group(1)] = fields

SPECIAL = {
    "metav1.Time": "time",
    "metav1.ObjectMeta": "meta",
    "metav1.LabelSelector": "selector",
    "intstr.IntOrString": "intstr",
    "resource.Quantity": "quantity",
    "types.UID": "string",
    "metav1.Duration": "duration",
}
SCALAR = {"string": "string", "bool": "bool", "int32": "int", "int64": "int"}

# Go struct names whose Rust name differs (Go initialisms).
def rust_name(go_name):
    for cand in (go_name, go_name.replace("HTTP", "Http").replace("GRPC", "Grpc").replace("ISCSI", "Iscsi")
                 .replace("NFS", "Nfs").replace("RBD", "Rbd").replace("CSI", "Csi").replace("FC", "Fc")
                 .replace("AWS", "Aws").replace("GCE", "Gce").replace("SELinux", "SeLinux").replace("DNS", "Dns")
                 .replace("IP", "Ip").replace("OS", "Os").replace("API", "Api")):
        if cand in rust:
            return cand
    # Try a case-insensitive match.
    for r in rust:
        if r.lower() == go_name.lower():
            return r
    raise SystemExit(f"no Rust struct for {go_name}")

def snake(name):
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()

def fn_name(go_name):
    return snake(rust_name(go_name))

def base_kind(t):
    """string/bool/int/struct name/special for a Go type without * or []."""
    if t in SPECIAL:
        return SPECIAL[t]
    if t in SCALAR:
        return SCALAR[t]
    if t in aliases:
        a = aliases[t]
        if a.startswith("map["):
            return "map:" + a
        return base_kind(a)
    if t in structs:
        return "struct:" + t
    raise SystemExit(f"unknown Go type {t}")

needed = ["Pod"]
done = set()
as_value = set()  # structs whose `fn x(..) -> Value` is used
out = []

def value_fn(kind):
    """A Rust closure/function turning one decoded value of `kind` into a Value."""
    if kind.startswith("struct:"):
        s = kind[7:]
        if s not in done and s not in needed:
            needed.append(s)
        as_value.add(s)
        return fn_name(s)
    return {
        "time": "|t| time(Some(t))",
        "meta": "|m| object_meta(Some(m))",
        "selector": "label_selector",
        "intstr": "|v| int_or_string(Some(v))",
        "quantity": "quantity",
        "string": "Value::String",
        "bool": "Value::Bool",
        "int": "Value::from",
        "duration": "duration",
    }[kind]

def field_code(sname, f, rfield):
    name, gtype, jname, omit, inline, tag = f
    acc = f"m.{rfield}"
    ptr = gtype.startswith("*")
    t = gtype.lstrip("*")
    if t.startswith("[]") and t != "[]byte":
        k = base_kind(t[2:])
        method = "list" if omit else "list_always"
        return f'.{method}("{jname}", {acc}, {value_fn(k)})'
    if t.startswith("map[") or base_kind(t).startswith("map:"):
        mt = t if t.startswith("map[") else base_kind(t)[4:]
        vt = mt.split("]", 1)[1]
        vk = base_kind(vt)
        if vk == "string":
            return f'.str_map("{jname}", {acc})'
        if vk == "quantity":
            return f'.map("{jname}", {acc}, quantity)'
        raise SystemExit(f"map type {mt} in {sname}")
    k = base_kind(t)
    if inline:
        st = k[7:]
        if st not in done and st not in needed:
            needed.append(st)
        return f".merge({fn_name(st)}_obj({acc}.unwrap_or_default()))"
    if k in ("string", "bool", "int"):
        meth = {"string": "str", "bool": "bool", "int": "int"}[k]
        if ptr:
            return f'.{meth}_ptr("{jname}", {acc})'
        return f'.{meth}{"" if omit else "_always"}("{jname}", {acc})'
    vf = value_fn(k)
    if ptr:
        return f'.ptr("{jname}", {acc}, {vf})'
    # A non-pointer struct is always written, its zero value when unset.
    if k == "time":
        return f'.set("{jname}", time({acc}))'
    if k == "meta":
        return f'.set("{jname}", object_meta({acc}))'
    if k == "intstr":
        return f'.set("{jname}", int_or_string({acc}))'
    return f'.set("{jname}", {vf}({acc}.unwrap_or_default()))'

while needed:
    s = needed.pop(0)
    if s in done:
        continue
    done.add(s)
    rname = rust_name(s)
    rfields = rust[rname]
    lines = []
    for f in structs[s]:
        tag = f[5]
        if tag not in rfields:
            lines.append(f"        // {f[2] or f[0]}: not in k8s-pb's protos")
            continue
        lines.append("        " + field_code(s, f, rfields[tag][0]))
    fn = fn_name(s)
    out.append((s, f"fn {fn}(m: pb::{rname}) -> Value {{\n    {fn}_obj(m).done()\n}}\n"))
    out.append(f"fn {fn}_obj(m: pb::{rname}) -> Obj {{\n    Obj::new()\n" + "\n".join(lines) + "\n}\n")

out = [o if isinstance(o, str) else o[1] for o in out if isinstance(o, str) or o[0] in as_value]
print('''//! Pod, what `kubectl debug node/...` and `kubectl debug --copy-to` send: one converter per Go
//! struct reachable from `v1.Pod`, generated by `scripts/gen-protobuf-pod.py` from k8s.io/api
//! `core/v1/types.go` (kubernetes-1.33.0, the JSON tags) and k8s-pb's `core/v1` (the fields).
//! Do not edit by hand: change the script and run it again.

use k8s_pb::api::core::v1 as pb;
use serde_json::Value;

use super::json::Obj;
use super::meta::{IMPORTS};

pub fn pod(m: pb::Pod) -> Obj {
    pod_obj(m)
}
'''.replace("IMPORTS", ", ".join(n for n in ("int_or_string", "label_selector", "object_meta", "quantity", "time")
                                   if re.search(r"\b" + n + r"\b", "\n".join(out)))))
print("\n".join(out))
