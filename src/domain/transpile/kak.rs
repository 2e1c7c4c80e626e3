//! Two-qubit synthesis with the fewest `cz` through the KAK (Cartan)
//! decomposition: U = K1·exp(i(x·XX + y·YY + z·ZZ))·K2 with K1, K2 products
//! of one-qubit gates. The Weyl coordinates (x, y, z), each brought into
//! [−π/4, π/4], say how many `cz` U needs: none when all vanish, one for
//! (±π/4, 0, 0) in any order, two when one of them vanishes, else three.
//!
//! Every result is multiplied back and compared with the input, so a
//! numerical failure only ever means "no shorter circuit", never a wrong one.

use std::f64::consts::{FRAC_1_SQRT_2, FRAC_PI_2, FRAC_PI_4, PI};

use super::lower::Op;
use super::mat4::Mat4;
use super::unitary::{C, Mat2};

/// Coordinates closer than this to 0 or ±π/4 count as there.
const COORD_EPS: f64 = 1e-9;
/// How far (entry-wise, up to global phase) a synthesis may be from its
/// input; above this the input is kept.
pub const SYNTH_TOLERANCE: f64 = 1e-8;

/// Generic real combinations of the real and imaginary parts of Uᴮᵀ·Uᴮ: one
/// whose eigenvalues happen to coincide where the matrix's do not fails the
/// diagonality check, and the next is tried.
const COMBINATIONS: [(f64, f64); 5] = [
    (1.0, 0.618_034),
    (0.414_214, 1.0),
    (1.0, -0.732_051),
    (-0.302_776, 1.0),
    (1.0, 2.645_751),
];

/// Signs of XX, YY and ZZ on the magic basis' columns, in which all three
/// are diagonal.
const SIGNS: [[f64; 4]; 3] = [
    [1.0, 1.0, -1.0, -1.0],
    [-1.0, 1.0, -1.0, 1.0],
    [1.0, -1.0, -1.0, 1.0],
];

/// Columns (|00⟩+|11⟩)/√2, i(|01⟩+|10⟩)/√2, (|01⟩−|10⟩)/√2, i(|00⟩−|11⟩)/√2:
/// local unitaries become real orthogonal matrices in this basis.
fn magic() -> Mat4 {
    let (o, r, i) = (
        C::ZERO,
        C::new(FRAC_1_SQRT_2, 0.0),
        C::new(0.0, FRAC_1_SQRT_2),
    );
    Mat4([[r, o, o, i], [o, i, r, o], [o, i, -r, o], [r, o, o, -i]])
}

/// Eigenvectors (columns) of a real symmetric 4×4 matrix, by cyclic Jacobi
/// rotations.
fn jacobi_eigenvectors(mut a: [[f64; 4]; 4]) -> [[f64; 4]; 4] {
    let mut v = [[0.0; 4]; 4];
    (0..4).for_each(|i| v[i][i] = 1.0);
    for _ in 0..64 {
        let off: f64 = (0..4)
            .flat_map(|p| (p + 1..4).map(move |q| (p, q)))
            .map(|(p, q)| a[p][q] * a[p][q])
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..3 {
            for q in p + 1..4 {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                // The rotation by atan(t) in the (p, q) plane that zeroes a[p][q].
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut().chain(v.iter_mut()) {
                    let (kp, kq) = (row[p], row[q]);
                    row[p] = c * kp - s * kq;
                    row[q] = s * kp + c * kq;
                }
                let (rp, rq) = (a[p], a[q]);
                a[p] = std::array::from_fn(|k| c * rp[k] - s * rq[k]);
                a[q] = std::array::from_fn(|k| s * rp[k] + c * rq[k]);
            }
        }
    }
    v
}

fn real_matrix(r: &[[f64; 4]; 4]) -> Mat4 {
    Mat4(r.map(|row| row.map(|x| C::new(x, 0.0))))
}

/// K1 (a local unitary) and unreduced Weyl coordinates with
/// u ∝ K1·exp(i(x·XX + y·YY + z·ZZ))·K2 for some local K2.
fn decompose(u: &Mat4) -> Option<(Mat4, [f64; 3])> {
    let det = u.det();
    if (det.abs() - 1.0).abs() > 1e-6 {
        return None;
    }
    let u = u.scale(C::cis(-det.arg() / 4.0));
    let b = magic();
    let up = b.dagger() * u * b;
    let m = up.transpose() * up;
    for (cr, ci) in COMBINATIONS {
        let combined = m.0.map(|row| row.map(|x| cr * x.re + ci * x.im));
        let mut p = jacobi_eigenvectors(combined);
        if real_matrix(&p).det().re < 0.0 {
            p.iter_mut().for_each(|row| row[0] = -row[0]);
        }
        let pc = real_matrix(&p);
        let d = pc.transpose() * m * pc;
        let off = (0..4)
            .flat_map(|r| (0..4).map(move |c| (r, c)))
            .filter(|(r, c)| r != c)
            .map(|(r, c)| d.0[r][c].abs())
            .fold(0.0, f64::max);
        if off > 1e-9 {
            continue;
        }
        let mut theta: [f64; 4] = std::array::from_fn(|k| d.0[k][k].arg() / 2.0);
        // The square roots' product is ±1; with −1, K1 would be a local
        // unitary times SWAP rather than local.
        if C::cis(theta.iter().sum()).re < 0.0 {
            theta[0] += PI;
        }
        let mut inv_sqrt = Mat4::IDENTITY;
        (0..4).for_each(|k| inv_sqrt.0[k][k] = C::cis(-theta[k]));
        let k1 = b * (up * pc * inv_sqrt) * b.dagger();
        let coords = SIGNS.map(|s| (0..4).map(|k| s[k] * theta[k]).sum::<f64>() / 4.0);
        return Some((k1, coords));
    }
    None
}

fn one(q: u32, m: Mat2) -> Op {
    Op::One { q, m }
}

/// `ops` conjugated by `w` on both wires: w†⊗w† first, w⊗w last.
fn conjugated(ops: Vec<Op>, w: Mat2, a: u32, b: u32) -> Vec<Op> {
    let mut out = vec![one(a, w.dagger()), one(b, w.dagger())];
    out.extend(ops);
    out.extend([one(a, w), one(b, w)]);
    out
}

/// The rotation by 2π/3 about (1, 1, 1): X → Y → Z → X under conjugation.
fn cycle_axes() -> Mat2 {
    let (p, m) = (C::new(0.5, -0.5), C::new(0.5, 0.5));
    Mat2([[p, -m], [p, m]])
}

/// exp(i·s·ZZ) for s = ±π/4, up to phase: one `cz` and two Z rotations.
fn zz_quarter(s: f64, a: u32, b: u32) -> Vec<Op> {
    vec![
        Op::Cz { a, b },
        one(a, Mat2::rz(-2.0 * s)),
        one(b, Mat2::rz(-2.0 * s)),
    ]
}

/// exp(i(p·XX + q·ZZ)), up to phase: a CX on each side of X and Z
/// rotations (CX maps X⊗I to X⊗X and I⊗Z to Z⊗Z).
fn xx_zz(p: f64, q: f64, a: u32, b: u32) -> Vec<Op> {
    vec![
        one(b, Mat2::h()),
        Op::Cz { a, b },
        one(b, Mat2::h()),
        one(a, Mat2::rx(-2.0 * p)),
        one(b, Mat2::rz(-2.0 * q)),
        one(b, Mat2::h()),
        Op::Cz { a, b },
        one(b, Mat2::h()),
    ]
}

/// exp(i(x·XX + y·YY + z·ZZ)), up to phase, with three `cz` (the circuit of
/// Vatan and Williams 2004 as written with `cz`).
fn xx_yy_zz(x: f64, y: f64, z: f64, a: u32, b: u32) -> Vec<Op> {
    let ta = PI * (x * -2.0 / PI + 0.5);
    let tb = PI * (y * -2.0 / PI + 0.5);
    let tc = PI * (z * -2.0 / PI + 0.5);
    vec![
        one(a, Mat2::rx(FRAC_PI_2)),
        one(b, Mat2::h()),
        Op::Cz { a, b },
        one(b, Mat2::h()),
        one(a, Mat2::rx(ta)),
        one(b, Mat2::ry(tb)),
        one(a, Mat2::h()),
        Op::Cz { a, b },
        one(a, Mat2::h()),
        one(b, Mat2::rx(-FRAC_PI_2)),
        one(b, Mat2::rz(tc)),
        one(b, Mat2::h()),
        Op::Cz { a, b },
        one(b, Mat2::h()),
    ]
}

/// The non-local core exp(i(x·XX + y·YY + z·ZZ)) for coordinates in
/// [−π/4, π/4], with as few `cz` as they allow.
fn core(c: [f64; 3], a: u32, b: u32) -> Vec<Op> {
    let zero = c.map(|v| v.abs() < COORD_EPS);
    let nonzero = zero.iter().filter(|&&z| !z).count();
    if nonzero == 0 {
        return Vec::new();
    }
    if nonzero == 1 {
        let axis = zero.iter().position(|&z| !z).expect("one is not zero");
        if (c[axis].abs() - FRAC_PI_4).abs() < COORD_EPS {
            let zz = zz_quarter(c[axis], a, b);
            return match axis {
                0 => conjugated(zz, Mat2::h(), a, b),
                1 => conjugated(zz, Mat2::rx(-FRAC_PI_2), a, b),
                _ => zz,
            };
        }
    }
    let v = cycle_axes();
    if zero[1] {
        xx_zz(c[0], c[2], a, b)
    } else if zero[2] {
        // V maps XX to YY and ZZ to XX.
        conjugated(xx_zz(c[1], c[0], a, b), v, a, b)
    } else if zero[0] {
        // V² maps XX to ZZ and ZZ to YY.
        conjugated(xx_zz(c[2], c[1], a, b), v * v, a, b)
    } else {
        xx_yy_zz(c[0], c[1], c[2], a, b)
    }
}

/// One-qubit gates and the fewest `cz` on wires `a`, `b` that make `u`
/// (index = bit(a) + 2·bit(b)) up to a global phase, checked; `None` when
/// the decomposition did not converge to a circuit within tolerance.
pub fn synthesize_two(u: &Mat4, a: u32, b: u32) -> Option<Vec<Op>> {
    let (k1, coords) = decompose(u)?;
    // exp(i·π/2·P⊗P) = i·P⊗P is local, so each coordinate only matters
    // modulo π/2; what is taken off lands in K2 below.
    let reduced = coords.map(|c| c - (c / FRAC_PI_2).round() * FRAC_PI_2);
    let core = core(reduced, a, b);
    let core_m = Mat4::of_ops(&core, a, b)?;
    let k2 = (k1 * core_m).dagger() * *u;
    let (k1a, k1b) = k1.split_local();
    let (k2a, k2b) = k2.split_local();
    let mut ops = vec![one(a, k2a), one(b, k2b)];
    ops.extend(core);
    ops.extend([one(a, k1a), one(b, k1b)]);
    let got = Mat4::of_ops(&ops, a, b)?;
    (got.distance_up_to_phase(u) < SYNTH_TOLERANCE).then_some(ops)
}

#[cfg(test)]
#[path = "kak_tests.rs"]
mod tests;
