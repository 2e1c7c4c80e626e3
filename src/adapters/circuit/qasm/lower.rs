//! Turns a parsed program into a [`Circuit`]: declares registers, resolves
//! operands, broadcasts over whole registers as OpenQASM says, attaches `if`
//! conditions and inlines gate definitions. Every error names its position.

use std::collections::HashMap;

mod operands;

use super::ast::{Call, Operand, Program, Stmt, Version};
use super::defs::{self, Callee, Def, Invocation, MAX_INSTRUCTIONS, Out};
use super::error::{Pos, at, locate};
use super::parser;
use super::physical;
use crate::adapters::circuit::known_gates as gates;
use crate::domain::Result;
use crate::domain::circuit::{Circuit, CircuitBuilder, Condition, Operation, Register};
use operands::{Arg, broadcast_width};

struct Lowering<'a> {
    version: Version,
    out: Out,
    defs: Vec<Def<'a>>,
    by_name: HashMap<&'a str, usize>,
    /// Definitions below this index come from qelib1.inc and may be redefined.
    builtin_defs: usize,
    qregs: Vec<Register>,
    /// Parameter, operand and qubit buffers for [`Lowering::call`].
    scratch: (Vec<f64>, Vec<Arg>, Vec<u32>),
}

pub fn lower(program: &Program<'_>) -> Result<Circuit> {
    let mut l = Lowering {
        version: program.version,
        out: Out {
            builder: CircuitBuilder::new(),
            emitted: 0,
        },
        defs: Vec::new(),
        by_name: HashMap::new(),
        builtin_defs: 0,
        qregs: Vec::new(),
        scratch: Default::default(),
    };
    if program.version == Version::V2 {
        let prelude = parser::parse(gates::QELIB1_EXTRAS)?;
        for stmt in &prelude.stmts {
            l.stmt(stmt, None)?;
        }
        l.builtin_defs = l.defs.len();
    }
    if let Some((size, pos)) = physical::register_size(&program.stmts)? {
        let first = l
            .out
            .builder
            .add_qreg(physical::REGISTER, size)
            .map_err(locate(pos))?;
        l.qregs.push(Register {
            name: physical::REGISTER.to_owned(),
            first,
            size,
        });
    }
    for stmt in &program.stmts {
        l.stmt(stmt, None)?;
    }
    Ok(l.out.builder.build())
}

impl<'a> Lowering<'a> {
    fn stmt(&mut self, stmt: &Stmt<'a>, cond: Option<Condition>) -> Result<()> {
        match stmt {
            Stmt::Include { pos, .. } | Stmt::QReg { pos, .. } | Stmt::CReg { pos, .. }
                if cond.is_some() =>
            {
                Err(at(*pos, "declarations may not stand inside an 'if'"))
            }
            Stmt::Gate(def) if cond.is_some() => {
                Err(at(def.pos, "declarations may not stand inside an 'if'"))
            }
            Stmt::Include { file, pos } => {
                let known = match self.version {
                    Version::V2 => "qelib1.inc",
                    Version::V3 => "stdgates.inc",
                };
                if *file == known {
                    Ok(())
                } else {
                    Err(at(
                        *pos,
                        format!("missing include \"{file}\": only \"{known}\" is available"),
                    ))
                }
            }
            Stmt::QReg { name, size, pos } => {
                self.check_new_name(name, *pos)?;
                let first = self
                    .out
                    .builder
                    .add_qreg(name, *size)
                    .map_err(locate(*pos))?;
                self.qregs.push(Register {
                    name: (*name).to_owned(),
                    first,
                    size: *size,
                });
                Ok(())
            }
            Stmt::CReg { name, size, pos } => {
                self.check_new_name(name, *pos)?;
                self.out
                    .builder
                    .add_creg(name, *size)
                    .map(drop)
                    .map_err(locate(*pos))
            }
            Stmt::Gate(def) => {
                if self
                    .by_name
                    .get(def.name)
                    .is_some_and(|i| *i >= self.builtin_defs)
                {
                    return Err(at(
                        def.pos,
                        format!("gate '{}' is already defined", def.name),
                    ));
                }
                let compiled = defs::compile(def, &self.defs, |n| self.resolve(n))?;
                self.by_name.insert(def.name, self.defs.len());
                self.defs.push(compiled);
                Ok(())
            }
            Stmt::Call(call) => self.call(call, cond),
            Stmt::Measure {
                qubits,
                target,
                pos,
            } => self.measure(qubits, target.as_ref(), *pos, cond),
            Stmt::Reset { target, pos } => {
                let arg = self.qarg(target)?;
                for k in 0..arg.width().unwrap_or(1) {
                    self.out
                        .push(Operation::Reset { qubit: arg.at(k) }, cond, *pos)?;
                }
                Ok(())
            }
            Stmt::Barrier { targets, pos } => {
                let mut qubits = Vec::new();
                if targets.is_empty() {
                    qubits.extend(0..self.out.builder.num_qubits());
                }
                // Repeats are dropped; a bitmap keeps that linear.
                let mut seen = vec![false; self.out.builder.num_qubits() as usize];
                for target in targets {
                    let arg = self.qarg(target)?;
                    for k in 0..arg.width().unwrap_or(1) {
                        let q = arg.at(k);
                        if let Some(s) = seen.get_mut(q as usize).filter(|s| !**s) {
                            *s = true;
                            qubits.push(q);
                        }
                    }
                }
                self.out.push(Operation::Barrier { qubits }, cond, *pos)
            }
            Stmt::If {
                cond: test,
                body,
                otherwise,
                pos,
            } => {
                if cond.is_some() {
                    return Err(at(*pos, "an 'if' inside an 'if' is not supported"));
                }
                let condition = self.condition(test)?;
                body.iter()
                    .try_for_each(|s| self.stmt(s, Some(condition)))?;
                let Some((otherwise, else_pos)) = otherwise else {
                    return Ok(());
                };
                let negated = negate(condition).ok_or_else(|| {
                    at(
                        *else_pos,
                        "'else' is supported only when the 'if' tests a single bit; write a second 'if'",
                    )
                })?;
                otherwise
                    .iter()
                    .try_for_each(|s| self.stmt(s, Some(negated)))
            }
        }
    }

    fn check_new_name(&self, name: &str, pos: Pos) -> Result<()> {
        if self.out.builder.qreg(name).is_some() || self.out.builder.creg(name).is_some() {
            return Err(at(pos, format!("register '{name}' is declared twice")));
        }
        Ok(())
    }

    /// User and qelib1 definitions first (they shadow), then standard gates.
    fn resolve(&self, name: &'a str) -> Option<(Callee<'a>, usize, usize)> {
        if let Some(&i) = self.by_name.get(name) {
            let def = self.defs.get(i)?;
            return Some((Callee::Def(i), def.num_params, def.num_qubits));
        }
        let (params, qubits) = gates::standard(name)?;
        Some((Callee::Std(name), params, qubits))
    }

    fn call(&mut self, call: &Call<'a>, cond: Option<Condition>) -> Result<()> {
        let (callee, num_params, num_qubits) = defs::resolve_call(call, &|n| self.resolve(n))?;
        defs::check_counts(call, num_params, num_qubits)?;
        // Buffers reused from call to call: most programs are long lists of calls.
        let (mut params, mut args, mut qubits) = std::mem::take(&mut self.scratch);
        params.clear();
        params.extend(call.params.iter().map(|e| e.eval(&[])));
        args.clear();
        for a in &call.args {
            args.push(self.qarg(a)?);
        }
        let n = broadcast_width(&args, &call.args, "qubit")?;
        let size = match callee {
            Callee::Std(_) => 1,
            Callee::Def(i) => self.defs.get(i).map_or(1, |d| d.size),
        };
        if self
            .out
            .emitted
            .saturating_add(size.saturating_mul(u64::from(n)))
            > MAX_INSTRUCTIONS
        {
            return Err(defs::too_many(call.pos));
        }
        for k in 0..n {
            qubits.clear();
            qubits.extend(args.iter().map(|a| a.at(k)));
            if let Some(j) = first_repeat(&qubits) {
                let pos = call.args.get(j).map_or(call.pos, |a| a.pos);
                let name = self.qubit_name(qubits.get(j).copied().unwrap_or_default());
                return Err(at(
                    pos,
                    format!("qubit {name} is used twice in one call of '{}'", call.name),
                ));
            }
            let invocation = Invocation {
                params: &params,
                qubits: &qubits,
                inverse: call.inverse,
                condition: cond,
                pos: call.pos,
            };
            defs::expand(&self.defs, &mut self.out, callee, &invocation)?;
        }
        self.scratch = (params, args, qubits);
        Ok(())
    }

    fn measure(
        &mut self,
        qubits: &Operand<'a>,
        target: Option<&Operand<'a>>,
        pos: Pos,
        cond: Option<Condition>,
    ) -> Result<()> {
        let Some(target) = target else {
            return Err(at(
                pos,
                "measure needs a target: write 'c[0] = measure q[0];' or 'measure q[0] -> c[0];'",
            ));
        };
        let src = self.qarg(qubits)?;
        let dst = self.carg(target)?;
        if src.width() != dst.width() {
            let count = |a: Arg| a.width().unwrap_or(1);
            return Err(at(
                target.pos,
                format!(
                    "register size mismatch: measuring {} qubit(s) into {} classical bit(s)",
                    count(src),
                    count(dst)
                ),
            ));
        }
        for k in 0..src.width().unwrap_or(1) {
            let operation = Operation::Measure {
                qubit: src.at(k),
                clbit: dst.at(k),
            };
            self.out.push(operation, cond, pos)?;
        }
        Ok(())
    }
}

/// The condition that holds exactly when `c` does not, if the model has one.
fn negate(c: Condition) -> Option<Condition> {
    match c {
        Condition::Bit { clbit, value } => Some(Condition::Bit {
            clbit,
            value: !value,
        }),
        Condition::RegisterEquals {
            first,
            width: 1,
            value,
        } => Some(Condition::Bit {
            clbit: first,
            value: value == 0,
        }),
        Condition::RegisterEquals { .. } => None,
    }
}

/// Where a value first repeats in `xs`.
fn first_repeat(xs: &[u32]) -> Option<usize> {
    (1..xs.len()).find(|&j| {
        xs.get(..j)
            .zip(xs.get(j))
            .is_some_and(|(before, x)| before.contains(x))
    })
}
