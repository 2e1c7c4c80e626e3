//! The transpiler: maps any accepted circuit onto a device's native gates
//! and coupling map, pure and without I/O.

mod target;

pub use target::{Basis, Target};
