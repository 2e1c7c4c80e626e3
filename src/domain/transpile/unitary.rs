//! Single-qubit unitaries as 2×2 complex matrices: what the transpiler fuses
//! runs of one-qubit gates into before writing them out in a device's basis.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_2, FRAC_PI_4, PI};
use std::ops::{Add, Mul, Neg, Sub};

use crate::domain::circuit::Gate;

/// A complex number; the domain keeps its own so it needs no adapter.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct C {
    pub re: f64,
    pub im: f64,
}

impl C {
    pub const ZERO: C = C { re: 0.0, im: 0.0 };
    pub const ONE: C = C { re: 1.0, im: 0.0 };

    pub const fn new(re: f64, im: f64) -> Self {
        Self { re, im }
    }

    /// e^{iθ}.
    pub fn cis(theta: f64) -> Self {
        let (s, c) = theta.sin_cos();
        Self { re: c, im: s }
    }

    pub fn conj(self) -> Self {
        Self::new(self.re, -self.im)
    }

    pub fn abs(self) -> f64 {
        self.re.hypot(self.im)
    }

    pub fn arg(self) -> f64 {
        self.im.atan2(self.re)
    }

    pub fn scale(self, k: f64) -> Self {
        Self::new(self.re * k, self.im * k)
    }
}

impl Add for C {
    type Output = C;
    fn add(self, o: C) -> C {
        C::new(self.re + o.re, self.im + o.im)
    }
}

impl Sub for C {
    type Output = C;
    fn sub(self, o: C) -> C {
        C::new(self.re - o.re, self.im - o.im)
    }
}

impl Mul for C {
    type Output = C;
    fn mul(self, o: C) -> C {
        C::new(
            self.re * o.re - self.im * o.im,
            self.re * o.im + self.im * o.re,
        )
    }
}

impl Neg for C {
    type Output = C;
    fn neg(self) -> C {
        C::new(-self.re, -self.im)
    }
}

/// A 2×2 matrix, row major: `m[row][col]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mat2(pub [[C; 2]; 2]);

/// Angles below this are treated as zero when choosing short gate forms and
/// dropping identities; far below any device's control precision.
pub const ANGLE_EPS: f64 = 1e-9;

impl Mat2 {
    pub const IDENTITY: Mat2 = Mat2([[C::ONE, C::ZERO], [C::ZERO, C::ONE]]);

    pub fn h() -> Mat2 {
        let h = C::new(FRAC_1_SQRT_2, 0.0);
        Mat2([[h, h], [h, -h]])
    }

    pub fn rz(theta: f64) -> Mat2 {
        Mat2([
            [C::cis(-theta / 2.0), C::ZERO],
            [C::ZERO, C::cis(theta / 2.0)],
        ])
    }

    pub fn ry(theta: f64) -> Mat2 {
        let (s, c) = (theta / 2.0).sin_cos();
        Mat2([
            [C::new(c, 0.0), C::new(-s, 0.0)],
            [C::new(s, 0.0), C::new(c, 0.0)],
        ])
    }

    pub fn rx(theta: f64) -> Mat2 {
        let (s, c) = (theta / 2.0).sin_cos();
        Mat2([
            [C::new(c, 0.0), C::new(0.0, -s)],
            [C::new(0.0, -s), C::new(c, 0.0)],
        ])
    }

    /// diag(1, e^{iλ}).
    pub fn phase(lambda: f64) -> Mat2 {
        Mat2([[C::ONE, C::ZERO], [C::ZERO, C::cis(lambda)]])
    }

    /// OpenQASM's U(θ, φ, λ).
    pub fn u(theta: f64, phi: f64, lambda: f64) -> Mat2 {
        let (s, c) = (theta / 2.0).sin_cos();
        Mat2([
            [C::new(c, 0.0), -C::cis(lambda).scale(s)],
            [C::cis(phi).scale(s), C::cis(phi + lambda).scale(c)],
        ])
    }

    /// IQM's prx(θ, φ) = RZ(φ)·RX(θ)·RZ(−φ).
    pub fn prx(theta: f64, phi: f64) -> Mat2 {
        Mat2::rz(phi) * Mat2::rx(theta) * Mat2::rz(-phi)
    }

    pub fn sx() -> Mat2 {
        let (a, b) = (C::new(0.5, 0.5), C::new(0.5, -0.5));
        Mat2([[a, b], [b, a]])
    }

    pub fn x() -> Mat2 {
        Mat2([[C::ZERO, C::ONE], [C::ONE, C::ZERO]])
    }

    /// The matrix of a one-qubit gate; `None` for gates on other numbers of
    /// qubits (and for `gphase`, which acts on none).
    pub fn of_gate(gate: &Gate) -> Option<Mat2> {
        let m = match *gate {
            Gate::Id => Mat2::IDENTITY,
            Gate::X => Mat2::x(),
            Gate::Y => Mat2([[C::ZERO, C::new(0.0, -1.0)], [C::new(0.0, 1.0), C::ZERO]]),
            Gate::Z => Mat2::phase(PI),
            Gate::H => Mat2::h(),
            Gate::S => Mat2::phase(FRAC_PI_2),
            Gate::Sdg => Mat2::phase(-FRAC_PI_2),
            Gate::T => Mat2::phase(FRAC_PI_4),
            Gate::Tdg => Mat2::phase(-FRAC_PI_4),
            Gate::Sx => Mat2::sx(),
            Gate::Sxdg => Mat2::sx().dagger(),
            Gate::Rx(a) => Mat2::rx(a),
            Gate::Ry(a) => Mat2::ry(a),
            Gate::Rz(a) => Mat2::rz(a),
            Gate::P(a) => Mat2::phase(a),
            Gate::U(t, p, l) => Mat2::u(t, p, l),
            Gate::Prx(t, p) => Mat2::prx(t, p),
            _ => return None,
        };
        Some(m)
    }

    pub fn dagger(&self) -> Mat2 {
        let m = &self.0;
        Mat2([
            [m[0][0].conj(), m[1][0].conj()],
            [m[0][1].conj(), m[1][1].conj()],
        ])
    }

    /// Whether the matrix is the identity up to a global phase.
    pub fn is_identity_up_to_phase(&self) -> bool {
        let m = &self.0;
        m[0][1].abs() < ANGLE_EPS
            && m[1][0].abs() < ANGLE_EPS
            && (m[0][0] - m[1][1]).abs() < ANGLE_EPS
    }

    /// Angles (θ, φ, λ) with the matrix = e^{iα}·RZ(φ)·RY(θ)·RZ(λ), θ in [0, π].
    pub fn zyz(&self) -> (f64, f64, f64) {
        let m = &self.0;
        let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        // Scaling by det^{-1/2} makes the matrix special unitary, where the
        // angles can be read off its entries.
        let k = C::cis(-det.arg() / 2.0);
        let (a, c, d) = (m[0][0] * k, m[1][0] * k, m[1][1] * k);
        let theta = 2.0 * c.abs().atan2(a.abs());
        // At θ = π only φ − λ matters; φ + λ = 0 then saves a Z rotation.
        let ang1 = if d.abs() < ANGLE_EPS { 0.0 } else { d.arg() };
        let ang2 = c.arg();
        (theta, ang1 + ang2, ang1 - ang2)
    }
}

impl Mul for Mat2 {
    type Output = Mat2;
    /// The matrix product: `self` applied after `o`.
    fn mul(self, o: Mat2) -> Mat2 {
        let (a, b) = (&self.0, &o.0);
        let e = |i: usize, j: usize| a[i][0] * b[0][j] + a[i][1] * b[1][j];
        Mat2([[e(0, 0), e(0, 1)], [e(1, 0), e(1, 1)]])
    }
}

/// An angle brought into (−π, π], so that angles equal modulo 2π compare and
/// print alike.
pub fn wrap_angle(a: f64) -> f64 {
    let w = a.rem_euclid(2.0 * PI);
    if w > PI { w - 2.0 * PI } else { w }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Whether two matrices are equal up to a global phase.
    pub fn equal_up_to_phase(a: &Mat2, b: &Mat2) -> bool {
        (*a * b.dagger()).is_identity_up_to_phase()
    }

    #[test]
    fn zyz_angles_rebuild_the_matrix() {
        let samples = [
            Mat2::u(0.3, -1.2, 2.9),
            Mat2::h(),
            Mat2::x(),
            Mat2::phase(0.7),
            Mat2::sx(),
            Mat2::prx(1.1, 0.4),
            Mat2::ry(3.0) * Mat2::rz(-2.5) * Mat2::rx(0.2),
        ];
        for m in samples {
            let (t, p, l) = m.zyz();
            let rebuilt = Mat2::rz(p) * Mat2::ry(t) * Mat2::rz(l);
            assert!(equal_up_to_phase(&m, &rebuilt), "{m:?}");
            assert!((0.0..=PI + 1e-12).contains(&t));
        }
    }

    #[test]
    fn gate_matrices_match_their_textbook_forms() {
        // H = RZ(π/2)·RY(π/2)·... checked through identities that hold exactly.
        assert!(equal_up_to_phase(&(Mat2::h() * Mat2::h()), &Mat2::IDENTITY));
        assert!(equal_up_to_phase(&(Mat2::sx() * Mat2::sx()), &Mat2::x()));
        assert!(equal_up_to_phase(&Mat2::rx(PI), &Mat2::x()));
        assert!(equal_up_to_phase(&Mat2::u(PI / 2.0, 0.0, PI), &Mat2::h()));
        assert!(equal_up_to_phase(&Mat2::prx(0.8, 0.0), &Mat2::rx(0.8)));
        assert!(equal_up_to_phase(
            &Mat2::prx(0.8, FRAC_PI_2),
            &Mat2::ry(0.8)
        ));
        assert!(!equal_up_to_phase(&Mat2::h(), &Mat2::x()));
    }
}
