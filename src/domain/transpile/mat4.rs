//! Two-qubit unitaries as 4×4 complex matrices, for consolidating blocks of
//! gates on one pair of wires. Index = bit(first wire) + 2·bit(second wire).

use std::ops::Mul;

use super::lower::Op;
use super::unitary::{C, Mat2};

/// A 4×4 matrix, row major: `m[row][col]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mat4(pub [[C; 4]; 4]);

impl Mat4 {
    pub const IDENTITY: Mat4 = Mat4([
        [C::ONE, C::ZERO, C::ZERO, C::ZERO],
        [C::ZERO, C::ONE, C::ZERO, C::ZERO],
        [C::ZERO, C::ZERO, C::ONE, C::ZERO],
        [C::ZERO, C::ZERO, C::ZERO, C::ONE],
    ]);

    pub fn cz() -> Mat4 {
        let mut m = Mat4::IDENTITY;
        m.0[3][3] = -C::ONE;
        m
    }

    /// `first` on the first wire and `second` on the second, at once.
    pub fn local(first: &Mat2, second: &Mat2) -> Mat4 {
        let mut m = [[C::ZERO; 4]; 4];
        for (r, row) in m.iter_mut().enumerate() {
            for (c, entry) in row.iter_mut().enumerate() {
                *entry = first.0[r & 1][c & 1] * second.0[r >> 1][c >> 1];
            }
        }
        Mat4(m)
    }

    pub fn dagger(&self) -> Mat4 {
        let mut m = [[C::ZERO; 4]; 4];
        for (r, row) in m.iter_mut().enumerate() {
            for (c, entry) in row.iter_mut().enumerate() {
                *entry = self.0[c][r].conj();
            }
        }
        Mat4(m)
    }

    pub fn transpose(&self) -> Mat4 {
        let mut m = [[C::ZERO; 4]; 4];
        for (r, row) in m.iter_mut().enumerate() {
            for (c, entry) in row.iter_mut().enumerate() {
                *entry = self.0[c][r];
            }
        }
        Mat4(m)
    }

    pub fn scale(&self, k: C) -> Mat4 {
        Mat4(self.0.map(|row| row.map(|x| x * k)))
    }

    pub fn det(&self) -> C {
        // Laplace expansion along the first row over 3×3 minors.
        let m = &self.0;
        let minor = |skip: usize| {
            let cols: Vec<usize> = (0..4).filter(|&c| c != skip).collect();
            let e = |r: usize, i: usize| m[r][cols[i]];
            e(1, 0) * (e(2, 1) * e(3, 2) - e(2, 2) * e(3, 1))
                - e(1, 1) * (e(2, 0) * e(3, 2) - e(2, 2) * e(3, 0))
                + e(1, 2) * (e(2, 0) * e(3, 1) - e(2, 1) * e(3, 0))
        };
        (0..4).fold(C::ZERO, |acc, c| {
            let term = m[0][c] * minor(c);
            if c % 2 == 0 { acc + term } else { acc - term }
        })
    }

    /// The largest entry-wise distance between `self` and e^{iγ}·`other`
    /// for the γ that best aligns them.
    pub fn distance_up_to_phase(&self, other: &Mat4) -> f64 {
        let overlap = (0..4)
            .flat_map(|r| (0..4).map(move |c| (r, c)))
            .fold(C::ZERO, |acc, (r, c)| {
                acc + other.0[r][c].conj() * self.0[r][c]
            });
        if overlap.abs() < 1e-12 {
            return f64::INFINITY;
        }
        let phase = overlap.scale(1.0 / overlap.abs());
        (0..4)
            .flat_map(|r| (0..4).map(move |c| (r, c)))
            .map(|(r, c)| (self.0[r][c] - other.0[r][c] * phase).abs())
            .fold(0.0, f64::max)
    }

    /// Factors a matrix that is (up to rounding) `local(first, second)`;
    /// the caller checks the product, since a non-local input gives junk.
    pub fn split_local(&self) -> (Mat2, Mat2) {
        let m = &self.0;
        // The 2×2 block of the second wire's largest entry is the first
        // wire's matrix times that entry.
        let block = |br: usize, bc: usize| -> [[C; 2]; 2] {
            [
                [m[2 * br][2 * bc], m[2 * br][2 * bc + 1]],
                [m[2 * br + 1][2 * bc], m[2 * br + 1][2 * bc + 1]],
            ]
        };
        let weight = |b: &[[C; 2]; 2]| b.iter().flatten().map(|x| x.abs().powi(2)).sum::<f64>();
        let (br, bc) = [(0, 0), (0, 1), (1, 0), (1, 1)]
            .into_iter()
            .max_by(|x, y| weight(&block(x.0, x.1)).total_cmp(&weight(&block(y.0, y.1))))
            .expect("four blocks");
        let raw = block(br, bc);
        let det = raw[0][0] * raw[1][1] - raw[0][1] * raw[1][0];
        // Unitary 2×2 matrices have |det| = 1; divide its magnitude out.
        let norm = det.abs().sqrt().max(1e-300);
        let first = Mat2(raw.map(|row| row.map(|x| x.scale(1.0 / norm))));
        let mut second = [[C::ZERO; 2]; 2];
        for (r, row) in second.iter_mut().enumerate() {
            for (c, entry) in row.iter_mut().enumerate() {
                let b = block(r, c);
                let acc = first
                    .0
                    .iter()
                    .flatten()
                    .zip(b.iter().flatten())
                    .fold(C::ZERO, |acc, (f, x)| acc + f.conj() * *x);
                *entry = acc.scale(0.5);
            }
        }
        (first, Mat2(second))
    }

    /// The unitary of `ops` (one-qubit gates and `cz` on `a` and `b` only),
    /// applied in order.
    pub fn of_ops<'a>(ops: impl IntoIterator<Item = &'a Op>, a: u32, b: u32) -> Option<Mat4> {
        let mut acc = Mat4::IDENTITY;
        for op in ops {
            let gate = match op {
                Op::One { q, m } if *q == a => Mat4::local(m, &Mat2::IDENTITY),
                Op::One { q, m } if *q == b => Mat4::local(&Mat2::IDENTITY, m),
                Op::Cz { a: x, b: y } if (*x, *y) == (a, b) || (*x, *y) == (b, a) => Mat4::cz(),
                _ => return None,
            };
            acc = gate * acc;
        }
        Some(acc)
    }
}

impl Mul for Mat4 {
    type Output = Mat4;
    /// The matrix product: `self` applied after `o`.
    fn mul(self, o: Mat4) -> Mat4 {
        let mut m = [[C::ZERO; 4]; 4];
        for (r, row) in m.iter_mut().enumerate() {
            for (c, entry) in row.iter_mut().enumerate() {
                *entry = (0..4).fold(C::ZERO, |acc, k| acc + self.0[r][k] * o.0[k][c]);
            }
        }
        Mat4(m)
    }
}
