//! The coupling graph as routing needs it: neighbours, shortest-path
//! distances (either direction: a directed `ecr` edge is turned around with
//! one-qubit gates, so it still joins both ways) and connected components.

use std::collections::VecDeque;

use super::target::Target;

/// Distance between qubits no path joins.
pub const UNREACHABLE: u32 = u32::MAX / 4;

#[derive(Debug, Clone)]
pub struct Device {
    num_qubits: usize,
    neighbors: Vec<Vec<u32>>,
    dist: Vec<u32>,
}

impl Device {
    pub fn new(target: &Target) -> Self {
        let n = target.num_qubits() as usize;
        let mut neighbors = vec![Vec::new(); n];
        for &(a, b) in target.edges() {
            if !neighbors[a as usize].contains(&b) {
                neighbors[a as usize].push(b);
                neighbors[b as usize].push(a);
            }
        }
        let mut dist = vec![UNREACHABLE; n * n];
        let mut queue = VecDeque::new();
        for s in 0..n {
            dist[s * n + s] = 0;
            queue.push_back(s);
            while let Some(u) = queue.pop_front() {
                let du = dist[s * n + u];
                for &v in &neighbors[u] {
                    let slot = &mut dist[s * n + v as usize];
                    if *slot == UNREACHABLE {
                        *slot = du + 1;
                        queue.push_back(v as usize);
                    }
                }
            }
        }
        Self {
            num_qubits: n,
            neighbors,
            dist,
        }
    }

    pub fn num_qubits(&self) -> usize {
        self.num_qubits
    }

    pub fn neighbors(&self, p: u32) -> &[u32] {
        &self.neighbors[p as usize]
    }

    pub fn dist(&self, a: u32, b: u32) -> u32 {
        self.dist[a as usize * self.num_qubits + b as usize]
    }

    /// The qubits of the largest connected component, lowest index first
    /// among equals.
    pub fn largest_component(&self) -> Vec<u32> {
        let mut best: Vec<u32> = Vec::new();
        let mut seen = vec![false; self.num_qubits];
        for s in 0..self.num_qubits {
            if seen[s] {
                continue;
            }
            let component: Vec<u32> = (0..self.num_qubits as u32)
                .filter(|&p| self.dist(s as u32, p) != UNREACHABLE)
                .collect();
            for &p in &component {
                seen[p as usize] = true;
            }
            if component.len() > best.len() {
                best = component;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transpile::target::Basis;

    #[test]
    fn distances_ignore_direction_and_components_are_found() {
        let t = Target::new(6, vec![(0, 1), (2, 1), (2, 3), (4, 5)], Basis::EcrRzSxX).unwrap();
        let d = Device::new(&t);
        assert_eq!(d.dist(0, 3), 3);
        assert_eq!(d.dist(3, 0), 3);
        assert_eq!(d.dist(0, 4), UNREACHABLE);
        assert_eq!(d.largest_component(), vec![0, 1, 2, 3]);
    }
}
