//! kubelab: one call per step of the StatefulSet/MySQL lab.
