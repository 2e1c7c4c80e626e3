//! Operands and conditions: registers and indices resolved to flat bits,
//! whole registers kept for broadcasting, `if` tests turned into conditions.

use super::super::ast::{Cond, Operand};
use super::super::error::at;
use super::super::physical;
use super::Lowering;
use crate::domain::Result;
use crate::domain::circuit::{Condition, Register};

/// A resolved operand: one bit, or a whole register to broadcast over.
#[derive(Debug, Clone, Copy)]
pub(super) enum Arg {
    One(u32),
    All { first: u32, size: u32 },
}

impl Arg {
    pub(super) fn width(self) -> Option<u32> {
        match self {
            Arg::One(_) => None,
            Arg::All { size, .. } => Some(size),
        }
    }

    pub(super) fn at(self, k: u32) -> u32 {
        match self {
            Arg::One(b) => b,
            Arg::All { first, .. } => first + k,
        }
    }
}

impl<'a> Lowering<'a> {
    pub(super) fn condition(&self, test: &Cond<'a>) -> Result<Condition> {
        let op = &test.operand;
        let reg = self
            .out
            .builder
            .creg(op.name)
            .ok_or_else(|| self.undeclared(op, "classical"))?;
        if let Some(i) = op.index {
            let clbit = index(reg, i, op)?;
            let value = match test.compare {
                None => true,
                Some((_, v, vpos)) if v > 1 => {
                    return Err(at(vpos, format!("a single bit equals 0 or 1, not {v}")));
                }
                Some((equal, v, _)) => (v == 1) == equal,
            };
            return Ok(Condition::Bit {
                clbit,
                value: value != test.not,
            });
        }
        match test.compare {
            Some((true, value, vpos)) => {
                if reg.size > 64 {
                    return Err(at(
                        op.pos,
                        format!(
                            "a condition can test at most 64 bits; '{}' has {}",
                            reg.name, reg.size
                        ),
                    ));
                }
                if reg.size < 64 && value >> reg.size != 0 {
                    return Err(at(
                        vpos,
                        format!(
                            "value {value} does not fit in register '{}' of {} bit(s)",
                            reg.name, reg.size
                        ),
                    ));
                }
                Ok(Condition::RegisterEquals {
                    first: reg.first,
                    width: reg.size,
                    value,
                })
            }
            Some((false, v, _)) if reg.size == 1 && v <= 1 => Ok(Condition::Bit {
                clbit: reg.first,
                value: v == 0,
            }),
            None if reg.size == 1 => Ok(Condition::Bit {
                clbit: reg.first,
                value: !test.not,
            }),
            _ => Err(at(
                op.pos,
                format!(
                    "'{}' has {} bits: compare the whole register with '==', as in '{} == 3'",
                    reg.name, reg.size, reg.name
                ),
            )),
        }
    }

    pub(super) fn qarg(&self, op: &Operand<'a>) -> Result<Arg> {
        if let Some(i) = physical::index(op) {
            // The `$` register was sized to hold every physical qubit used.
            return Ok(Arg::One(i?));
        }
        let reg = self
            .out
            .builder
            .qreg(op.name)
            .ok_or_else(|| self.undeclared(op, "qubit"))?;
        arg(reg, op)
    }

    pub(super) fn carg(&self, op: &Operand<'a>) -> Result<Arg> {
        let reg = self
            .out
            .builder
            .creg(op.name)
            .ok_or_else(|| self.undeclared(op, "classical"))?;
        arg(reg, op)
    }

    pub(super) fn undeclared(&self, op: &Operand<'_>, kind: &str) -> crate::domain::Error {
        let b = &self.out.builder;
        if kind == "qubit" && b.creg(op.name).is_some() {
            at(
                op.pos,
                format!(
                    "'{}' is a classical register where qubits are expected",
                    op.name
                ),
            )
        } else if kind == "classical" && b.qreg(op.name).is_some() {
            at(
                op.pos,
                format!(
                    "'{}' is a qubit register where classical bits are expected",
                    op.name
                ),
            )
        } else {
            at(op.pos, format!("undeclared {kind} register '{}'", op.name))
        }
    }

    pub(super) fn qubit_name(&self, q: u32) -> String {
        self.qregs
            .iter()
            .find(|r| r.range().contains(&q))
            .map_or_else(
                || format!("{q}"),
                |r| format!("{}[{}]", r.name, q - r.first),
            )
    }
}

fn arg(reg: &Register, op: &Operand<'_>) -> Result<Arg> {
    Ok(match op.index {
        Some(i) => Arg::One(index(reg, i, op)?),
        // `qubit a;` and `bit b;` are single bits: `b = measure q[0];` and
        // `cx a, r;` must work (a one-bit register is read the same way).
        None if reg.size == 1 => Arg::One(reg.first),
        None => Arg::All {
            first: reg.first,
            size: reg.size,
        },
    })
}

fn index(reg: &Register, i: u32, op: &Operand<'_>) -> Result<u32> {
    if i >= reg.size {
        return Err(at(
            op.index_pos,
            format!(
                "index {i} is out of range for register '{}' of size {}",
                reg.name, reg.size
            ),
        ));
    }
    Ok(reg.first + i)
}

/// The common size of the whole registers among `args` (1 when none).
pub(super) fn broadcast_width(args: &[Arg], ops: &[Operand<'_>], what: &str) -> Result<u32> {
    let mut width: Option<(u32, &str)> = None;
    for (a, op) in args.iter().zip(ops) {
        let Some(size) = a.width() else { continue };
        match width {
            None => width = Some((size, op.name)),
            Some((w, first)) if w != size => {
                return Err(at(
                    op.pos,
                    format!(
                        "register size mismatch: '{}' has {size} {what}(s) but '{first}' has {w}",
                        op.name
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(width.map_or(1, |w| w.0))
}
