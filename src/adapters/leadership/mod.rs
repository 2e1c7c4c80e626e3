//! The `Leadership` port's adapters: a node alone, which always leads (a
//! Redis lease joins it with the shared queue).

mod sole_node;

pub use sole_node::SoleNode;
