//! What a device offers a circuit: its qubits, which pairs of them a
//! two-qubit gate may join, and its native gate set.

use crate::domain::error::{Error, Result};

/// A device's native gate set. Every basis also measures, resets and keeps
/// barriers; global phase is dropped (it cannot be observed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Basis {
    /// IQM: `prx(θ, φ)` and `cz`.
    PrxCz,
    /// IBM Heron: `cz`, `rz`, `sx`, `x`.
    CzRzSxX,
    /// IBM Eagle: `ecr`, `rz`, `sx`, `x`. `ecr` is directed.
    EcrRzSxX,
}

impl Basis {
    /// The gate names of the basis, as `Gate::name` spells them.
    pub fn gate_names(self) -> &'static [&'static str] {
        match self {
            Basis::PrxCz => &["prx", "cz"],
            Basis::CzRzSxX => &["cz", "rz", "sx", "x"],
            Basis::EcrRzSxX => &["ecr", "rz", "sx", "x"],
        }
    }

    /// The basis a device's list of native gate names makes up, when it is
    /// one we translate to (extra names a device lists, such as `id`,
    /// `measure`, `reset` or `delay`, do not matter).
    pub fn from_native_names<S: AsRef<str>>(names: &[S]) -> Option<Basis> {
        let has = |n: &str| names.iter().any(|x| x.as_ref() == n);
        [Basis::CzRzSxX, Basis::EcrRzSxX, Basis::PrxCz]
            .into_iter()
            .find(|basis| basis.gate_names().iter().all(|g| has(g)))
    }

    /// Whether the two-qubit gate of the basis is the same either way round
    /// (`cz`), so an edge listed once serves both orders.
    pub fn two_qubit_gate_is_symmetric(self) -> bool {
        !matches!(self, Basis::EcrRzSxX)
    }
}

/// A device as the transpiler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    num_qubits: u32,
    /// Pairs (first, second) on which the basis' two-qubit gate may act, in
    /// that order; for a symmetric gate either order of a listed pair.
    edges: Vec<(u32, u32)>,
    basis: Basis,
}

impl Target {
    /// Checks that every edge joins two different qubits of the device.
    pub fn new(num_qubits: u32, edges: Vec<(u32, u32)>, basis: Basis) -> Result<Self> {
        if let Some((a, b)) = edges
            .iter()
            .find(|(a, b)| a == b || *a >= num_qubits || *b >= num_qubits)
        {
            return Err(Error::invalid_argument(format!(
                "coupling map edge ({a}, {b}) does not join two of the device's {num_qubits} qubits"
            )));
        }
        Ok(Self {
            num_qubits,
            edges,
            basis,
        })
    }

    pub fn num_qubits(&self) -> u32 {
        self.num_qubits
    }

    pub fn edges(&self) -> &[(u32, u32)] {
        &self.edges
    }

    pub fn basis(&self) -> Basis {
        self.basis
    }

    /// Whether the basis' two-qubit gate may act on (`a`, `b`) in this order.
    pub fn allows(&self, a: u32, b: u32) -> bool {
        let symmetric = self.basis.two_qubit_gate_is_symmetric();
        self.edges
            .iter()
            .any(|&(x, y)| (x, y) == (a, b) || (symmetric && (y, x) == (a, b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_basis_is_found_among_extra_names() {
        let heron = ["cz", "id", "rz", "sx", "x", "measure", "delay"];
        assert_eq!(Basis::from_native_names(&heron), Some(Basis::CzRzSxX));
        let eagle = ["ecr", "id", "rz", "sx", "x"];
        assert_eq!(Basis::from_native_names(&eagle), Some(Basis::EcrRzSxX));
        assert_eq!(
            Basis::from_native_names(&["prx", "cz", "measure"]),
            Some(Basis::PrxCz)
        );
        assert_eq!(Basis::from_native_names(&["cx", "u3"]), None);
    }

    #[test]
    fn edges_must_join_two_qubits_of_the_device() {
        assert!(Target::new(3, vec![(0, 3)], Basis::PrxCz).is_err());
        assert!(Target::new(3, vec![(1, 1)], Basis::PrxCz).is_err());
        let t = Target::new(3, vec![(0, 1), (1, 2)], Basis::EcrRzSxX).unwrap();
        assert!(t.allows(0, 1) && !t.allows(1, 0) && !t.allows(0, 2));
        let t = Target::new(3, vec![(0, 1)], Basis::CzRzSxX).unwrap();
        assert!(t.allows(1, 0));
    }
}
