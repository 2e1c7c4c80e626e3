//! Who may do what, from a YAML file (`policies.file`): parsed and checked
//! whole (`policies`), then kept current while the server runs (`watched`).

mod policies;
mod watched;

pub use policies::{parse_policies, read_policies};
pub use watched::PolicyFile;
