//! Writes a fused one-qubit unitary as the fewest native gates of a basis:
//! at most two `prx` for IQM, at most `rz·sx·rz·sx·rz` for IBM, shorter when
//! an Euler angle vanishes. Exact up to a global phase.

use std::f64::consts::{FRAC_PI_2, PI};

use super::target::Basis;
use super::unitary::{ANGLE_EPS, Mat2, wrap_angle};
use crate::domain::circuit::Gate;

/// The gates, in time order, that make `m` in `basis`; empty for the identity.
pub fn synthesize(m: &Mat2, basis: Basis) -> Vec<Gate> {
    if m.is_identity_up_to_phase() {
        return Vec::new();
    }
    let (theta, phi, lambda) = m.zyz();
    match basis {
        Basis::PrxCz => prx_gates(theta, phi, lambda),
        Basis::CzRzSxX | Basis::EcrRzSxX => rz_sx_gates(theta, phi, lambda),
    }
}

fn is_zero(angle: f64) -> bool {
    wrap_angle(angle).abs() < ANGLE_EPS
}

/// RZ(φ)·RY(θ)·RZ(λ) = RZ(φ+λ)·prx(θ, π/2 − λ); a Z rotation costs two prx
/// (two π rotations about axes γ/2 apart), so only when it is not zero.
fn prx_gates(theta: f64, phi: f64, lambda: f64) -> Vec<Gate> {
    let gamma = phi + lambda;
    if is_zero(gamma) {
        return vec![Gate::Prx(theta, wrap_angle(FRAC_PI_2 - lambda))];
    }
    // With a Z rotation left over, the two-prx form absorbs it and θ alike.
    vec![
        Gate::Prx(theta - PI, wrap_angle(FRAC_PI_2 - lambda)),
        Gate::Prx(PI, wrap_angle(0.5 * (phi - lambda + PI))),
    ]
}

/// U(θ, φ, λ) = RZ(φ+π)·SX·RZ(θ+π)·SX·RZ(λ) up to phase; θ = 0, π/2 and π
/// have shorter forms.
fn rz_sx_gates(theta: f64, phi: f64, lambda: f64) -> Vec<Gate> {
    let mut gates = Vec::with_capacity(5);
    let rz = |gates: &mut Vec<Gate>, a: f64| {
        if !is_zero(a) {
            gates.push(Gate::Rz(wrap_angle(a)));
        }
    };
    if theta.abs() < ANGLE_EPS {
        rz(&mut gates, phi + lambda);
    } else if (theta - FRAC_PI_2).abs() < ANGLE_EPS {
        rz(&mut gates, lambda - FRAC_PI_2);
        gates.push(Gate::Sx);
        rz(&mut gates, phi + FRAC_PI_2);
    } else if (theta - PI).abs() < ANGLE_EPS {
        // RY(π) = X·RZ(π) up to phase, and RZ(φ)·X = X·RZ(−φ).
        rz(&mut gates, lambda - phi + PI);
        gates.push(Gate::X);
    } else {
        rz(&mut gates, lambda);
        gates.push(Gate::Sx);
        rz(&mut gates, theta + PI);
        gates.push(Gate::Sx);
        rz(&mut gates, phi + PI);
    }
    gates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::transpile::unitary::tests::equal_up_to_phase;

    fn product(gates: &[Gate]) -> Mat2 {
        gates.iter().fold(Mat2::IDENTITY, |acc, g| {
            Mat2::of_gate(g).expect("one-qubit gate") * acc
        })
    }

    fn samples() -> Vec<Mat2> {
        let mut out = vec![
            Mat2::h(),
            Mat2::x(),
            Mat2::sx(),
            Mat2::rz(0.4),
            Mat2::phase(PI),
            Mat2::ry(FRAC_PI_2) * Mat2::rz(0.3),
            Mat2::ry(PI) * Mat2::rz(-1.3),
            Mat2::rx(-2.0),
            Mat2::prx(0.5, 1.0),
        ];
        for i in 0..20 {
            let f = i as f64;
            out.push(Mat2::u(0.37 * f, 1.3 - 0.71 * f, 0.29 * f * f));
        }
        out
    }

    #[test]
    fn every_basis_rebuilds_the_unitary() {
        for basis in [Basis::PrxCz, Basis::CzRzSxX, Basis::EcrRzSxX] {
            for m in samples() {
                let gates = synthesize(&m, basis);
                assert!(equal_up_to_phase(&product(&gates), &m), "{basis:?} {m:?}");
                assert!(gates.iter().all(|g| basis.gate_names().contains(&g.name())));
            }
        }
    }

    #[test]
    fn short_forms_are_used() {
        assert!(synthesize(&Mat2::IDENTITY, Basis::PrxCz).is_empty());
        assert!(synthesize(&(Mat2::h() * Mat2::h()), Basis::CzRzSxX).is_empty());
        assert_eq!(synthesize(&Mat2::rz(0.4), Basis::CzRzSxX).len(), 1);
        assert_eq!(synthesize(&Mat2::x(), Basis::CzRzSxX), vec![Gate::X]);
        assert_eq!(synthesize(&Mat2::sx(), Basis::CzRzSxX), vec![Gate::Sx]);
        assert_eq!(synthesize(&Mat2::rx(0.9), Basis::PrxCz).len(), 1);
        assert_eq!(synthesize(&Mat2::ry(0.9), Basis::PrxCz).len(), 1);
        assert!(synthesize(&Mat2::h(), Basis::PrxCz).len() <= 2);
        assert!(synthesize(&Mat2::h(), Basis::CzRzSxX).len() <= 3);
    }
}
