//! Gate definitions: checked and compiled once when they are declared
//! (callees resolved, qubit names turned into positions), then inlined into
//! standard gates at every call. A definition can only call gates defined
//! before it, so there is no recursion; its nesting depth and the number of
//! instructions one call expands to are known up front and limited.

use super::ast::{Call, Expr, GateDef, Stmt};
use super::error::{Pos, at, locate};
use crate::adapters::circuit::known_gates as gates;
use crate::domain::Result;
use crate::domain::circuit::{CircuitBuilder, Condition, Gate, Instruction, Operation};

/// Deepest chain of definitions calling definitions.
pub const MAX_DEFINITION_DEPTH: usize = 64;
/// Most instructions a program may expand to. Text that fits a gRPC message
/// holds far fewer; only nested definitions can reach this.
pub const MAX_INSTRUCTIONS: u64 = 1_000_000;

/// What a call refers to.
#[derive(Debug, Clone, Copy)]
pub enum Callee<'a> {
    /// A standard gate, by a name [`Gate::from_name`] knows.
    Std(&'a str),
    /// An index into the definitions.
    Def(usize),
}

#[derive(Debug)]
enum BodyOp<'a> {
    Call {
        callee: Callee<'a>,
        params: Vec<Expr>,
        /// Positions in the definition's qubit list.
        args: Vec<usize>,
        inverse: bool,
    },
    Barrier(Vec<usize>),
}

#[derive(Debug)]
pub struct Def<'a> {
    pub num_params: usize,
    pub num_qubits: usize,
    body: Vec<BodyOp<'a>>,
    /// Instructions one call expands to (saturating).
    pub size: u64,
    depth: usize,
}

/// The circuit being built and how many instructions it holds.
pub struct Out {
    pub builder: CircuitBuilder,
    pub emitted: u64,
}

impl Out {
    pub fn push(
        &mut self,
        operation: Operation,
        condition: Option<Condition>,
        pos: Pos,
    ) -> Result<()> {
        self.emitted += 1;
        if self.emitted > MAX_INSTRUCTIONS {
            return Err(too_many(pos));
        }
        self.builder
            .push(Instruction {
                operation,
                condition,
            })
            .map_err(locate(pos))
    }
}

pub fn too_many(pos: Pos) -> crate::domain::Error {
    at(
        pos,
        format!("the program expands to more than {MAX_INSTRUCTIONS} instructions"),
    )
}

/// Compiles `def`; `resolve` looks up the gates defined so far, returning the
/// callee with its parameter and qubit counts.
pub fn compile<'a>(
    def: &GateDef<'a>,
    defs: &[Def<'a>],
    resolve: impl Fn(&'a str) -> Option<(Callee<'a>, usize, usize)>,
) -> Result<Def<'a>> {
    let mut body = Vec::with_capacity(def.body.len());
    let (mut size, mut depth) = (0u64, 0usize);
    for stmt in &def.body {
        match stmt {
            Stmt::Call(call) => {
                let (callee, num_params, num_qubits) = resolve_call(call, &resolve)?;
                check_counts(call, num_params, num_qubits)?;
                let args = qubit_positions(def, &call.args)?;
                if let Some(dup) = args
                    .iter()
                    .enumerate()
                    .find(|(i, a)| args.get(..*i).is_some_and(|s| s.contains(a)))
                {
                    let (name, pos) = def.qubits.get(*dup.1).copied().unwrap_or(("?", call.pos));
                    let pos = call.args.get(dup.0).map_or(pos, |a| a.pos);
                    return Err(at(
                        pos,
                        format!(
                            "qubit '{name}' is used twice in one call of '{}'",
                            call.name
                        ),
                    ));
                }
                let (callee_size, callee_depth) = match callee {
                    Callee::Std(_) => (1, 0),
                    Callee::Def(i) => defs.get(i).map_or((1, 0), |d| (d.size, d.depth)),
                };
                size = size.saturating_add(callee_size);
                depth = depth.max(callee_depth);
                body.push(BodyOp::Call {
                    callee,
                    params: call.params.clone(),
                    args,
                    inverse: call.inverse,
                });
            }
            Stmt::Barrier { targets, .. } => {
                let args = if targets.is_empty() {
                    (0..def.qubits.len()).collect()
                } else {
                    qubit_positions(def, targets)?
                };
                size = size.saturating_add(1);
                body.push(BodyOp::Barrier(args));
            }
            _ => {
                return Err(at(
                    def.pos,
                    "only gate calls and barriers may stand inside a gate definition",
                ));
            }
        }
    }
    let depth = depth + 1;
    if depth > MAX_DEFINITION_DEPTH {
        return Err(at(
            def.pos,
            format!("gate definitions nest more than {MAX_DEFINITION_DEPTH} deep"),
        ));
    }
    Ok(Def {
        num_params: def.num_params,
        num_qubits: def.qubits.len(),
        body,
        size,
        depth,
    })
}

fn qubit_positions(def: &GateDef<'_>, operands: &[super::ast::Operand<'_>]) -> Result<Vec<usize>> {
    operands
        .iter()
        .map(|op| {
            if op.index.is_some() {
                return Err(at(
                    op.pos,
                    "inside a gate definition, qubits are named without an index",
                ));
            }
            def.qubits
                .iter()
                .position(|(n, _)| *n == op.name)
                .ok_or_else(|| {
                    at(
                        op.pos,
                        format!("'{}' is not a qubit of gate '{}'", op.name, def.name),
                    )
                })
        })
        .collect()
}

/// Resolves a call's gate; with `ctrl @` the standard controlled form of a
/// standard gate (`ctrl @ x` is `cx`), the only kind of control supported.
pub fn resolve_call<'a>(
    call: &Call<'a>,
    resolve: &dyn Fn(&'a str) -> Option<(Callee<'a>, usize, usize)>,
) -> Result<(Callee<'a>, usize, usize)> {
    if call.controls == 0 {
        return resolve(call.name)
            .ok_or_else(|| at(call.pos, format!("unknown gate '{}'", call.name)));
    }
    let name = gates::controlled(call.name, call.controls).ok_or_else(|| {
        at(
            call.pos,
            format!(
                "'ctrl @' is supported only where a standard controlled gate exists (such as ctrl @ x = cx), not for {} control(s) on '{}'",
                call.controls, call.name
            ),
        )
    })?;
    let (params, qubits) = gates::standard(name)
        .ok_or_else(|| at(call.pos, "internal error: unknown controlled gate"))?;
    Ok((Callee::Std(name), params, qubits))
}

/// The gate as the program wrote it, modifiers included, for messages.
pub fn shown_name(call: &Call<'_>) -> String {
    match call.controls {
        0 => call.name.to_owned(),
        1 => format!("ctrl @ {}", call.name),
        n => format!("ctrl({n}) @ {}", call.name),
    }
}

/// Refuses a call with the wrong number of parameters or qubits.
pub fn check_counts(call: &Call<'_>, want_params: usize, want_qubits: usize) -> Result<()> {
    let (params, qubits) = (call.params.len(), call.args.len());
    if params != want_params {
        let name = shown_name(call);
        return Err(at(
            call.pos,
            format!("gate '{name}' takes {want_params} parameter(s), got {params}"),
        ));
    }
    if qubits != want_qubits {
        let name = shown_name(call);
        return Err(at(
            call.pos,
            format!("gate '{name}' acts on {want_qubits} qubit(s), got {qubits}"),
        ));
    }
    Ok(())
}

/// One call, already checked, with its parameters evaluated.
pub struct Invocation<'p> {
    pub params: &'p [f64],
    pub qubits: &'p [u32],
    pub inverse: bool,
    pub condition: Option<Condition>,
    pub pos: Pos,
}

/// Emits `callee` applied as `inv` says, inlining definitions.
pub fn expand(
    defs: &[Def<'_>],
    out: &mut Out,
    callee: Callee<'_>,
    inv: &Invocation<'_>,
) -> Result<()> {
    let def = match callee {
        Callee::Std(name) => {
            let gate = Gate::from_name(name, inv.params).ok_or_else(|| {
                at(
                    inv.pos,
                    format!("gate '{name}' got the wrong number of parameters"),
                )
            })?;
            let gate = if inv.inverse {
                gates::inverse(gate)
            } else {
                gate
            };
            let operation = Operation::Gate {
                gate,
                qubits: inv.qubits.to_vec(),
            };
            return out.push(operation, inv.condition, inv.pos);
        }
        Callee::Def(i) => defs
            .get(i)
            .ok_or_else(|| at(inv.pos, "internal error: unknown definition"))?,
    };
    let map = |args: &[usize]| -> Vec<u32> {
        // Positions were checked when the definition was compiled.
        args.iter()
            .map(|a| inv.qubits.get(*a).copied().unwrap_or(u32::MAX))
            .collect()
    };
    let mut run = |op: &BodyOp<'_>| -> Result<()> {
        match op {
            BodyOp::Call {
                callee,
                params,
                args,
                inverse,
            } => {
                let values: Vec<f64> = params.iter().map(|e| e.eval(inv.params)).collect();
                let qubits = map(args);
                let inner = Invocation {
                    params: &values,
                    qubits: &qubits,
                    inverse: inv.inverse ^ inverse,
                    condition: inv.condition,
                    pos: inv.pos,
                };
                expand(defs, out, *callee, &inner)
            }
            BodyOp::Barrier(args) => out.push(
                Operation::Barrier { qubits: map(args) },
                inv.condition,
                inv.pos,
            ),
        }
    };
    if inv.inverse {
        def.body.iter().rev().try_for_each(&mut run)
    } else {
        def.body.iter().try_for_each(&mut run)
    }
}
