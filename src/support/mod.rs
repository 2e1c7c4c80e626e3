//! Helpers with no port and no rule in them, shared by adapters (and the
//! app) that may not import each other.

pub mod arrivals;
pub mod event_fan_out;
pub mod fast_map;
pub mod job_table;
pub mod lane;
pub mod polling;
pub mod verified_cache;

pub use fast_map::FastMap;
