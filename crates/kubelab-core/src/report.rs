//! [`Report`]: a step's result as the engine hands it over. Its data is `kubelab`'s struct for
//! that result (one definition, shared with the cells); the core adds the text and HTML it
//! renders. `report!` writes the `Deref` to the data and the `Report` impl of a result type.

use std::fmt;

/// A result: its `kubelab` data, the text (`Display`) and the HTML it shows as.
pub trait Report: fmt::Display {
    /// The data cells read (`kubelab::WatchData`, ...).
    type Data: kubelab::wire::Data + Clone;

    /// The data.
    fn data(&self) -> &Self::Data;

    /// HTML for Jupyter.
    fn html(&self) -> String;

    /// The data with its rendering, as the engine sends it and a cell holds it.
    fn shown(&self) -> kubelab::Shown<Self::Data> {
        kubelab::Shown::new(self.data().clone(), self.to_string(), self.html())
    }
}

/// `report!(Type: Data = field)`: `Type` reads as its `field` of type `Data` (`Deref`, `DerefMut`
/// while the step builds it) and is a
/// [`Report`] whose HTML is its inherent `to_html()`.
macro_rules! report {
    ($t:ty: $data:ty = $field:tt) => {
        impl std::ops::Deref for $t {
            type Target = $data;

            fn deref(&self) -> &$data {
                &self.$field
            }
        }

        impl std::ops::DerefMut for $t {
            fn deref_mut(&mut self) -> &mut $data {
                &mut self.$field
            }
        }

        impl $crate::report::Report for $t {
            type Data = $data;

            fn data(&self) -> &$data {
                &self.$field
            }

            fn html(&self) -> String {
                self.to_html()
            }
        }
    };
}
pub(crate) use report;
