//! Physical qubits (`$0`, `$1`, ...), as Qiskit writes them for a circuit
//! that was laid out on a device. A program that uses them declares no qubit
//! register; the circuit then gets one register named `$` of the highest
//! index plus one, so `$i` is qubit `i`.

use super::ast::{Operand, Stmt};
use super::error::{Pos, at};
use crate::domain::Result;

/// The name of the register that holds physical qubits.
pub const REGISTER: &str = "$";

/// The size the `$` register needs, or `None` when no physical qubit is used.
/// Refuses programs that also declare qubit registers.
pub fn register_size(stmts: &[Stmt<'_>]) -> Result<Option<(u32, Pos)>> {
    let mut highest: Option<(u32, Pos)> = None;
    let mut declared: Option<Pos> = None;
    scan(stmts, &mut highest, &mut declared)?;
    match (highest, declared) {
        (Some((_, pos)), Some(_)) => Err(at(
            pos,
            "physical qubits ($n) cannot be mixed with declared qubit registers",
        )),
        (Some((max, pos)), None) => {
            let size = max
                .checked_add(1)
                .ok_or_else(|| at(pos, format!("physical qubit ${max} is out of range")))?;
            Ok(Some((size, pos)))
        }
        (None, _) => Ok(None),
    }
}

/// The index of `$i`, `None` for a named operand.
pub fn index(op: &Operand<'_>) -> Option<Result<u32>> {
    let digits = op.name.strip_prefix('$')?;
    Some(digits.parse().map_err(|_| {
        at(
            op.pos,
            format!("physical qubit {} is out of range", op.name),
        )
    }))
}

fn scan(
    stmts: &[Stmt<'_>],
    highest: &mut Option<(u32, Pos)>,
    declared: &mut Option<Pos>,
) -> Result<()> {
    for stmt in stmts {
        let operands: &[Operand<'_>] = match stmt {
            Stmt::QReg { pos, .. } => {
                declared.get_or_insert(*pos);
                &[]
            }
            Stmt::Call(call) => &call.args,
            Stmt::Measure { qubits, .. } => std::slice::from_ref(qubits),
            Stmt::Reset { target, .. } => std::slice::from_ref(target),
            Stmt::Barrier { targets, .. } => targets,
            // The parser limits nesting, so this recursion is bounded.
            Stmt::If {
                body, otherwise, ..
            } => {
                scan(body, highest, declared)?;
                if let Some((otherwise, _)) = otherwise {
                    scan(otherwise, highest, declared)?;
                }
                &[]
            }
            Stmt::Include { .. } | Stmt::CReg { .. } | Stmt::Gate(_) => &[],
        };
        for op in operands {
            if let Some(i) = index(op) {
                let i = i?;
                if highest.is_none_or(|(max, _)| i > max) {
                    *highest = Some((i, op.pos));
                }
            }
        }
    }
    Ok(())
}
