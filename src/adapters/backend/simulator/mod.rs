//! State-vector simulator backend (filled in on the simulator branch).
