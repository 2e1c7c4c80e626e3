//! Small validated values carried by a job.

use std::collections::BTreeMap;

use super::error::{Error, Result};
use super::ids::printable;

/// How many times a circuit is run; at least one. A backend may allow fewer
/// than `u32::MAX`, which is checked against its capabilities at submit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shots(u32);

impl Shots {
    pub fn parse(value: u32) -> Result<Self> {
        if value == 0 {
            return Err(Error::invalid_argument("shots must be at least 1, got 0"));
        }
        Ok(Self(value))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// Queue priority; higher runs first, oldest first within a priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::Low, Priority::Normal, Priority::High];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }

    pub fn parse(text: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or_else(|| {
                Error::invalid_argument(format!("unknown priority '{}'", printable(text)))
            })
    }
}

/// 0 runs the circuit as given; 1 to 3 let the backend optimise more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct OptimizationLevel(u8);

impl OptimizationLevel {
    pub const MAX: u8 = 3;

    pub fn parse(value: u32) -> Result<Self> {
        if value > u32::from(Self::MAX) {
            return Err(Error::invalid_argument(format!(
                "optimization_level must be 0 to 3, got {value}"
            )));
        }
        Ok(Self(value as u8))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// Milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct UnixMillis(pub i64);

impl UnixMillis {
    /// Whole seconds, as the wire reports timestamps.
    pub fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    pub fn plus_millis(self, millis: i64) -> Self {
        Self(self.0.saturating_add(millis))
    }
}

/// Free-form labels a client puts on a job, for its own filtering.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tags(BTreeMap<String, String>);

impl Tags {
    pub const MAX_TAGS: usize = 32;
    pub const MAX_KEY_LEN: usize = 64;
    pub const MAX_VALUE_LEN: usize = 256;

    pub fn parse(tags: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let map: BTreeMap<String, String> = tags.into_iter().collect();
        if map.len() > Self::MAX_TAGS {
            return Err(Error::invalid_argument(format!(
                "a job may carry at most {} tags, got {}",
                Self::MAX_TAGS,
                map.len()
            )));
        }
        for (key, value) in &map {
            if key.is_empty() || key.len() > Self::MAX_KEY_LEN || key.chars().any(char::is_control)
            {
                return Err(Error::invalid_argument(format!(
                    "tag key '{}' must be 1 to {} printable bytes",
                    printable(key),
                    Self::MAX_KEY_LEN
                )));
            }
            if value.len() > Self::MAX_VALUE_LEN {
                return Err(Error::invalid_argument(format!(
                    "tag '{}' has a value of {} bytes; the limit is {}",
                    printable(key),
                    value.len(),
                    Self::MAX_VALUE_LEN
                )));
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// True when every tag of `filter` is present here with the same value.
    pub fn contains_all(&self, filter: &Tags) -> bool {
        filter.0.iter().all(|(k, v)| self.0.get(k) == Some(v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shots_must_be_positive() {
        assert!(
            Shots::parse(0)
                .unwrap_err()
                .message()
                .contains("at least 1")
        );
        assert_eq!(Shots::parse(1000).unwrap().get(), 1000);
    }

    #[test]
    fn priorities_order_high_first() {
        assert!(Priority::High > Priority::Normal && Priority::Normal > Priority::Low);
        assert_eq!(Priority::default(), Priority::Normal);
        assert_eq!(Priority::parse("high").unwrap(), Priority::High);
        assert!(Priority::parse("urgent").is_err());
    }

    #[test]
    fn optimization_level_range() {
        assert!(OptimizationLevel::parse(3).is_ok());
        assert!(
            OptimizationLevel::parse(4)
                .unwrap_err()
                .message()
                .contains("0 to 3")
        );
    }

    #[test]
    fn unix_millis_rounds_down_to_seconds() {
        assert_eq!(UnixMillis(1_999).as_secs(), 1);
        assert_eq!(UnixMillis(-1).as_secs(), -1);
    }

    #[test]
    fn tags_are_limited_and_filter_by_subset() {
        let tags = Tags::parse([("team".into(), "a".into()), ("run".into(), "7".into())]).unwrap();
        let filter = Tags::parse([("team".into(), "a".into())]).unwrap();
        assert!(tags.contains_all(&filter));
        assert!(!filter.contains_all(&tags));
        assert!(Tags::parse([(String::new(), "x".into())]).is_err());
        let many = (0..33).map(|i| (format!("k{i}"), String::new()));
        assert!(
            Tags::parse(many)
                .unwrap_err()
                .message()
                .contains("at most 32")
        );
    }
}
