//! What a server's JSON log says about jobs: which runs it started and
//! which outcomes it recorded, for the crash tests to count.

use std::collections::{HashMap, HashSet};
use std::path::Path;

/// What one server's JSON log says about jobs.
#[derive(Default)]
pub struct Logged {
    /// Jobs whose run this server started.
    pub started: HashSet<String>,
    /// job id → how many times this server recorded an outcome.
    pub outcomes: HashMap<String, usize>,
    /// Outcomes the store refused this server (fenced off, or canceled).
    pub refused: usize,
}

pub fn read_log(log: &Path) -> Logged {
    let mut logged = Logged::default();
    for line in std::fs::read_to_string(log).unwrap().lines() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(id) = event["job_id"].as_str() else {
            continue;
        };
        if event["message"] == "run started" {
            logged.started.insert(id.to_owned());
        } else if event["message"] == "outcome recorded" {
            *logged.outcomes.entry(id.to_owned()).or_insert(0) += 1;
        } else if event["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("outcome not recorded"))
        {
            logged.refused += 1;
        }
    }
    logged
}
