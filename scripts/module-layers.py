#!/usr/bin/env python3
"""module-layers.py CRATE_SRC: the top-level modules of a Rust crate and which of them each one
uses, in layers from the bottom up; exits 1 and names the cycle when there is one. A module uses
another when its files name it (`crate::NAME`, or an item lib.rs re-exports from it) or call a
method the other defines in an `impl Lab` block (the steps are methods of one type spread over
files, so a path alone would not show that `delete` calls `objects`'s `list_pods`).

A grep, not a compiler: it reads `crate::` paths as text (comments included), which errs on the
side of seeing more edges; method calls count only on a receiver that names a Lab (`lab.`, `l.`,
`self.`), so that another type's method of the same name is not taken for a step. Usage: scripts/module-layers.py crates/kubelab-core/src
"""
import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "crates/kubelab-core/src"
lib = open(os.path.join(src, "lib.rs")).read()
modules = re.findall(r"^\s*(?:pub(?:\(crate\))?\s+)?mod\s+(\w+)\s*;", lib, re.M)
modules = [m for m in modules if os.path.exists(os.path.join(src, m + ".rs"))
           or os.path.isdir(os.path.join(src, m))]

# names lib.rs re-exports: `pub use module::{A, B}` / `pub use module::A` -> module
reexport = {}
for m, names in re.findall(r"^pub use (\w+)::\{?([^;}]*)\}?;", lib, re.M):
    for n in re.split(r"[,\s]+", names):
        n = n.split(" as ")[-1].strip()
        if n and n != "*":
            reexport[n] = m


def files(m):
    one = os.path.join(src, m + ".rs")
    if os.path.exists(one):
        yield one
    d = os.path.join(src, m)
    for root, _, fs in os.walk(d):
        for f in fs:
            if f.endswith(".rs"):
                yield os.path.join(root, f)


def impl_blocks(text, ty="Lab"):
    """The bodies of `impl Ty {` blocks (up to the `}` at the start of a line)."""
    for start in re.finditer(r"^impl(?:<[^>]*>)? " + ty + r" \{", text, re.M):
        end = text.find("\n}", start.end())
        yield text[start.end():end if end >= 0 else len(text)]


# methods of Lab by the module that defines them (names defined in one module only)
defined = {}
for m in modules:
    for f in files(m):
        for body in impl_blocks(open(f).read()):
            for name in re.findall(r"\bfn (\w+)", body):
                defined.setdefault(name, set()).add(m)
methods = {n: ms.pop() for n, ms in defined.items() if len(ms) == 1}

uses = {}
for m in modules:
    found = set()
    for f in files(m):
        text = open(f).read()
        # `crate::x`, and the names inside `use crate::{a, b::c}`
        names = re.findall(r"crate::(\w+)", text)
        for group in re.findall(r"crate::\{([^}]*)\}", text):
            names += re.findall(r"(?:^|,)\s*(\w+)", group)
        for n in names:
            target = n if n in modules else reexport.get(n)
            if target and target != m:
                found.add(target)
        # a method call on something that names a Lab (`lab.x(`, `l.x(`, `self.x(`), so that a
        # field's method of the same name (`self.failures.check(`) is not taken for a step
        for n in re.findall(r"(?<![\w.])(?:lab|l|self)\s*\.(\w+)(?:::<[^>]*>)?\(", text):
            target = methods.get(n)
            if target and target != m:
                found.add(target)
    uses[m] = found

# layers: a module's layer is one above the highest module it uses
layer, state, stack = {}, {}, []


def visit(m):
    if state.get(m) == "done":
        return layer[m]
    if state.get(m) == "open":
        cycle = stack[stack.index(m):] + [m]
        print("cycle: " + " -> ".join(cycle))
        sys.exit(1)
    state[m] = "open"
    stack.append(m)
    layer[m] = 1 + max((visit(u) for u in sorted(uses[m])), default=0)
    stack.pop()
    state[m] = "done"
    return layer[m]


for m in modules:
    visit(m)
for n in range(1, max(layer.values()) + 1):
    row = sorted(m for m in modules if layer[m] == n)
    print(f"layer {n}: " + ", ".join(f"{m} -> {{{', '.join(sorted(uses[m]))}}}" if uses[m] else m for m in row))
print(f"no cycle among {len(modules)} top-level modules")
