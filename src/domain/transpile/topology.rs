//! Coupling maps of the common device families, for tests, benchmarks and
//! backends that describe a device by its shape: lines, rings, square
//! lattices (IQM) and heavy-hex lattices (IBM Eagle and Heron).

/// Qubits 0–1–…–(n−1).
pub fn line(n: u32) -> Vec<(u32, u32)> {
    (1..n).map(|i| (i - 1, i)).collect()
}

/// A line closed into a ring (needs n ≥ 3).
pub fn ring(n: u32) -> Vec<(u32, u32)> {
    let mut edges = line(n);
    if n >= 3 {
        edges.push((n - 1, 0));
    }
    edges
}

/// A rows × cols square lattice, numbered row by row.
pub fn grid(rows: u32, cols: u32) -> Vec<(u32, u32)> {
    let mut edges = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let q = r * cols + c;
            if c + 1 < cols {
                edges.push((q, q + 1));
            }
            if r + 1 < rows {
                edges.push((q, q + cols));
            }
        }
    }
    edges
}

/// A heavy-hex lattice numbered as IBM numbers its devices: `rows` rows of
/// `len` qubits, each followed by its bridge qubits down to the next row, at
/// columns 0, 4, 8, … below even rows and 2, 6, 10, … below odd ones. With
/// `trim_corners`, the first row loses its last qubit and the last row its
/// first, as on Eagle. Returns the qubit count and the edges.
pub fn heavy_hex(rows: u32, len: u32, trim_corners: bool) -> (u32, Vec<(u32, u32)>) {
    let mut edges = Vec::new();
    let mut next = 0u32;
    // Index of each (row, column) qubit, if the row has that column.
    let mut index = vec![vec![None; len as usize]; rows as usize];
    let mut bridges: Vec<Vec<(u32, u32)>> = Vec::new();
    for r in 0..rows {
        for c in 0..len {
            let trimmed =
                trim_corners && ((r == 0 && c == len - 1) || (r == rows - 1 && r > 0 && c == 0));
            if !trimmed {
                index[r as usize][c as usize] = Some(next);
                next += 1;
            }
        }
        let mut row_bridges = Vec::new();
        if r + 1 < rows {
            let start = if r % 2 == 0 { 0 } else { 2 };
            for c in (start..len).step_by(4) {
                row_bridges.push((c, next));
                next += 1;
            }
        }
        bridges.push(row_bridges);
    }
    for r in 0..rows as usize {
        let row: Vec<u32> = index[r].iter().flatten().copied().collect();
        edges.extend(row.windows(2).map(|w| (w[0], w[1])));
        for &(c, b) in &bridges[r] {
            if let Some(up) = index[r][c as usize] {
                edges.push((up, b));
            }
            if let Some(down) = index[r + 1][c as usize] {
                edges.push((b, down));
            }
        }
    }
    (next, edges)
}

/// IBM Eagle (127 qubits), as ibm_sherbrooke and its siblings.
pub fn eagle() -> (u32, Vec<(u32, u32)>) {
    heavy_hex(7, 15, true)
}

/// IBM Heron r2 (156 qubits), as ibm_fez and its siblings.
pub fn heron_r2() -> (u32, Vec<(u32, u32)>) {
    heavy_hex(8, 16, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eagle_and_heron_have_their_sizes_and_known_edges() {
        let (n, edges) = eagle();
        assert_eq!(n, 127);
        assert_eq!(edges.len(), 144);
        for e in [
            (0, 14),
            (14, 18),
            (12, 17),
            (17, 30),
            (20, 33),
            (33, 39),
            (108, 112),
        ] {
            assert!(edges.contains(&e), "{e:?}");
        }
        assert!(edges.contains(&(112, 126)));
        let (n, edges) = heron_r2();
        assert_eq!(n, 156);
        assert_eq!(edges.len(), 8 * 15 + 7 * 4 * 2);
        assert_eq!(grid(4, 5).len(), 31);
        assert_eq!(ring(5).len(), 5);
    }
}
