use super::*;
use crate::domain::transpile::layout::Rng;

fn cz_count(ops: &[Op]) -> usize {
    ops.iter().filter(|op| matches!(op, Op::Cz { .. })).count()
}

/// Synthesises `u`, checks the product independently of the internal check
/// and returns the number of `cz` used.
fn cz_needed(u: &Mat4) -> usize {
    let ops = synthesize_two(u, 0, 1).expect("synthesis succeeds");
    let got = Mat4::of_ops(&ops, 0, 1).expect("ops on the pair");
    assert!(got.distance_up_to_phase(u) < SYNTH_TOLERANCE, "{u:?}");
    cz_count(&ops)
}

fn pauli_pair(p: Mat2) -> Mat4 {
    Mat4::local(&p, &p)
}

fn y() -> Mat2 {
    Mat2([[C::ZERO, C::new(0.0, -1.0)], [C::new(0.0, 1.0), C::ZERO]])
}

fn z() -> Mat2 {
    Mat2::phase(PI)
}

/// exp(i(x·XX + y·YY + z·ZZ)), the three factors commuting.
fn canonical(x: f64, yy: f64, zz: f64) -> Mat4 {
    let factor = |angle: f64, p: Mat2| {
        let pp = pauli_pair(p);
        let mut m = pp.scale(C::new(0.0, angle.sin()));
        (0..4).for_each(|k| m.0[k][k] = m.0[k][k] + C::new(angle.cos(), 0.0));
        m
    };
    factor(x, Mat2::x()) * factor(yy, y()) * factor(zz, z())
}

fn cnot() -> Mat4 {
    let h = Mat4::local(&Mat2::IDENTITY, &Mat2::h());
    h * Mat4::cz() * h
}

fn swap() -> Mat4 {
    let mut m = Mat4([[C::ZERO; 4]; 4]);
    m.0[0][0] = C::ONE;
    m.0[1][2] = C::ONE;
    m.0[2][1] = C::ONE;
    m.0[3][3] = C::ONE;
    m
}

fn cp(theta: f64) -> Mat4 {
    let mut m = Mat4::IDENTITY;
    m.0[3][3] = C::cis(theta);
    m
}

fn random_mat2(rng: &mut Rng) -> Mat2 {
    let mut angle = || (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 * PI;
    Mat2::u(angle(), angle(), angle())
}

fn random_local(rng: &mut Rng) -> Mat4 {
    Mat4::local(&random_mat2(rng), &random_mat2(rng))
}

#[test]
fn the_magic_basis_diagonalises_the_pauli_pairs() {
    let b = magic();
    for (p, signs) in [Mat2::x(), y(), z()].into_iter().zip(SIGNS) {
        let d = b.dagger() * pauli_pair(p) * b;
        for (r, &sign) in signs.iter().enumerate() {
            for c in 0..4 {
                let want = if r == c { sign } else { 0.0 };
                assert!((d.0[r][c] - C::new(want, 0.0)).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn the_core_circuits_make_the_canonical_gates() {
    let v = cycle_axes();
    assert!(
        (Mat4::local(&v, &v) * pauli_pair(Mat2::x()) * Mat4::local(&v, &v).dagger())
            .distance_up_to_phase(&pauli_pair(y()))
            < 1e-12
    );
    let cases = [
        [0.3, 0.0, -0.2],
        [0.3, 0.1, 0.0],
        [0.0, -0.4, 0.25],
        [0.3, 0.2, 0.1],
        [-0.7, 0.45, 1.1],
        [FRAC_PI_4, 0.0, 0.0],
        [0.0, -FRAC_PI_4, 0.0],
        [0.0, 0.0, FRAC_PI_4],
    ];
    for [x, yy, zz] in cases {
        let ops = core([x, yy, zz], 0, 1);
        let got = Mat4::of_ops(&ops, 0, 1).unwrap();
        assert!(
            got.distance_up_to_phase(&canonical(x, yy, zz)) < 1e-12,
            "{x} {yy} {zz}"
        );
    }
}

#[test]
fn known_gates_take_their_minimal_cz_count() {
    let mut rng = Rng::new(7);
    assert_eq!(cz_needed(&Mat4::IDENTITY), 0);
    assert_eq!(cz_needed(&random_local(&mut rng)), 0);
    assert_eq!(cz_needed(&(Mat4::cz() * Mat4::cz())), 0);
    assert_eq!(cz_needed(&cnot()), 1);
    assert_eq!(cz_needed(&Mat4::cz()), 1);
    assert_eq!(
        cz_needed(&(random_local(&mut rng) * cnot() * random_local(&mut rng))),
        1
    );
    assert_eq!(cz_needed(&swap()), 3);
    assert_eq!(cz_needed(&canonical(FRAC_PI_4, FRAC_PI_4, 0.0)), 2);
    let mut iswap = swap().scale(C::new(0.0, 1.0));
    iswap.0[0][0] = C::ONE;
    iswap.0[3][3] = C::ONE;
    assert_eq!(cz_needed(&iswap), 2);
    for theta in [0.1, PI / 8.0, FRAC_PI_2, 2.5, -1.0] {
        assert_eq!(cz_needed(&cp(theta)), 2, "cp({theta})");
        assert_eq!(cz_needed(&(swap() * cp(theta))), 3, "swap·cp({theta})");
        assert_eq!(cz_needed(&(cp(theta) * swap())), 3, "cp({theta})·swap");
    }
    assert_eq!(cz_needed(&cp(PI)), 1);
}

#[test]
fn random_two_qubit_unitaries_are_rebuilt_with_at_most_three_cz() {
    let mut rng = Rng::new(42);
    for layers in 1..=6 {
        for _ in 0..50 {
            let mut u = random_local(&mut rng);
            for _ in 0..layers {
                u = random_local(&mut rng) * Mat4::cz() * u;
            }
            let n = cz_needed(&u);
            assert!(n <= layers.min(3), "{layers} layers took {n}");
        }
    }
}

#[test]
fn generic_weyl_points_take_three_and_planar_ones_two() {
    let mut rng = Rng::new(3);
    for [x, yy, zz] in [[0.6, 0.3, 0.1], [0.2, 0.15, -0.05], [0.7, -0.3, 0.0]] {
        let want = if zz == 0.0 { 2 } else { 3 };
        let u = random_local(&mut rng) * canonical(x, yy, zz) * random_local(&mut rng);
        assert_eq!(cz_needed(&u), want, "{x} {yy} {zz}");
    }
}
