//! Statements: declarations, gate definitions, calls with their modifiers,
//! measurements, resets, barriers and `if`.

use super::super::ast::{Call, Cond, GateDef, Stmt};
use super::super::error::{Pos, at};
use super::super::lexer::Tok;
use super::{Parser, int, register};
use crate::domain::Result;

/// OpenQASM 3 statements this service does not run; named in the error.
#[rustfmt::skip]
const UNSUPPORTED: &[&str] = &[
    "for", "while", "def", "const", "input", "output", "let", "float", "int", "uint", "angle",
    "bool", "complex", "duration", "stretch", "box", "delay", "return", "break", "continue",
    "end", "switch", "extern", "defcal", "cal", "defcalgrammar", "array", "pragma",
];

impl<'a> Parser<'a> {
    /// One statement; `in_gate` limits it to what a gate body may hold.
    pub(super) fn statement(&mut self, in_gate: bool) -> Result<Stmt<'a>> {
        let t = self.peek();
        let Tok::Ident(word) = t.tok else {
            return Err(self.expected("a statement"));
        };
        let next_is = |p: &str| matches!(self.peek_next().tok, Tok::Punct(q) if q == p);
        if in_gate && !matches!(word, "barrier" | "inv" | "ctrl" | "negctrl" | "pow") {
            if next_is("=") || next_is("[") || matches!(word, "measure" | "reset" | "if" | "gate") {
                return Err(at(
                    t.pos,
                    "only gate calls and barriers may stand inside a gate definition",
                ));
            }
            return Ok(Stmt::Call(self.call()?));
        }
        match word {
            "OPENQASM" => Err(at(t.pos, "the version line must be the first statement")),
            "include" => {
                self.bump();
                let f = self.bump();
                let Tok::Str(file) = f.tok else {
                    return Err(at(
                        f.pos,
                        format!("expected a file name in quotes, found {}", f.tok.describe()),
                    ));
                };
                self.expect_punct(";")?;
                Ok(Stmt::Include { file, pos: f.pos })
            }
            "qreg" | "creg" => {
                self.bump();
                let (name, pos) = self.expect_ident("a register name")?;
                self.expect_punct("[")?;
                let size = self.size()?;
                self.expect_punct("]")?;
                self.expect_punct(";")?;
                Ok(register(word == "qreg", name, size, pos))
            }
            "qubit" | "bit" => {
                self.bump();
                let size = if self.eat_punct("[") {
                    let size = self.size()?;
                    self.expect_punct("]")?;
                    size
                } else {
                    1
                };
                let (name, pos) = self.expect_ident("a register name")?;
                if self.is_punct("=") {
                    return Err(at(
                        self.peek().pos,
                        "initialising a register in its declaration is not supported",
                    ));
                }
                self.expect_punct(";")?;
                Ok(register(word == "qubit", name, size, pos))
            }
            "gate" => self.gate_def().map(Stmt::Gate),
            "opaque" => Err(at(
                t.pos,
                "opaque gates are not supported: their effect is unknown here; define the gate with 'gate' instead",
            )),
            "measure" => {
                self.bump();
                let qubits = self.operand()?;
                let target = if self.eat_punct("->") {
                    Some(self.operand()?)
                } else {
                    None
                };
                self.expect_punct(";")?;
                Ok(Stmt::Measure {
                    qubits,
                    target,
                    pos: t.pos,
                })
            }
            "reset" => {
                self.bump();
                let target = self.operand()?;
                self.expect_punct(";")?;
                Ok(Stmt::Reset { target, pos: t.pos })
            }
            "barrier" => {
                self.bump();
                let targets = if self.is_punct(";") {
                    Vec::new()
                } else {
                    self.operands()?
                };
                self.expect_punct(";")?;
                Ok(Stmt::Barrier {
                    targets,
                    pos: t.pos,
                })
            }
            "if" => self.if_stmt(),
            "else" => Err(at(t.pos, "'else' without a matching 'if'")),
            w if UNSUPPORTED.contains(&w) && !next_is("(") => Err(at(
                t.pos,
                format!("'{w}' statements are not supported by this service"),
            )),
            _ if next_is("=") || next_is("[") => {
                let target = self.operand()?;
                self.expect_punct("=")?;
                if self.peek().tok != Tok::Ident("measure") {
                    return Err(self.expected("'measure' (only measurements may be assigned)"));
                }
                self.bump();
                let qubits = self.operand()?;
                self.expect_punct(";")?;
                Ok(Stmt::Measure {
                    qubits,
                    target: Some(target),
                    pos: t.pos,
                })
            }
            _ => Ok(Stmt::Call(self.call()?)),
        }
    }

    fn gate_def(&mut self) -> Result<GateDef<'a>> {
        self.bump();
        let (name, pos) = self.expect_ident("a gate name")?;
        let mut params = Vec::new();
        if self.eat_punct("(") && !self.eat_punct(")") {
            loop {
                let (p, ppos) = self.expect_ident("a parameter name")?;
                if params.contains(&p) {
                    return Err(at(ppos, format!("parameter '{p}' is named twice")));
                }
                params.push(p);
                if self.eat_punct(")") {
                    break;
                }
                self.list_comma()?;
            }
        }
        let mut qubits: Vec<(&str, Pos)> = Vec::new();
        while let Tok::Ident(q) = self.peek().tok {
            let qpos = self.bump().pos;
            if qubits.iter().any(|(n, _)| *n == q) {
                return Err(at(qpos, format!("qubit '{q}' is named twice")));
            }
            qubits.push((q, qpos));
            if !self.eat_punct(",") {
                break;
            }
        }
        self.expect_punct("{")?;
        let num_params = params.len();
        self.params = params;
        let mut body = Vec::new();
        while !self.eat_punct("}") {
            if self.peek().tok == Tok::Eof {
                return Err(self.expected("'}'"));
            }
            body.push(self.statement(true)?);
        }
        self.params.clear();
        Ok(GateDef {
            name,
            num_params,
            qubits,
            body,
            pos,
        })
    }

    /// A gate call with its modifiers: `inv @ rz(0.5) q[0], r;`.
    fn call(&mut self) -> Result<Call<'a>> {
        let (mut inverse, mut controls) = (false, 0u32);
        while let Tok::Ident(word @ ("inv" | "ctrl" | "negctrl" | "pow")) = self.peek().tok {
            if !matches!(self.peek_next().tok, Tok::Punct("@" | "(")) {
                break;
            }
            let t = self.bump();
            match word {
                "inv" => inverse = !inverse,
                "ctrl" => {
                    let n = if self.eat_punct("(") {
                        let n = self.size()?;
                        self.expect_punct(")")?;
                        n
                    } else {
                        1
                    };
                    controls = controls
                        .checked_add(n)
                        .ok_or_else(|| at(t.pos, "too many controls"))?;
                }
                _ => {
                    return Err(at(
                        t.pos,
                        format!("the '{word} @' modifier is not supported"),
                    ));
                }
            }
            self.expect_punct("@")?;
        }
        let (name, pos) = self.expect_ident("a gate name")?;
        let mut params = Vec::new();
        if self.eat_punct("(") && !self.eat_punct(")") {
            loop {
                params.push(self.expr()?);
                if self.eat_punct(")") {
                    break;
                }
                self.list_comma()?;
            }
        }
        let args = if self.is_punct(";") {
            Vec::new()
        } else {
            self.operands()?
        };
        self.expect_punct(";")?;
        Ok(Call {
            name,
            params,
            args,
            pos,
            inverse,
            controls,
        })
    }

    fn if_stmt(&mut self) -> Result<Stmt<'a>> {
        let pos = self.bump().pos;
        self.expect_punct("(")?;
        let not = self.eat_punct("!");
        let operand = self.operand()?;
        let compare = if !not && (self.is_punct("==") || self.is_punct("!=")) {
            let equal = self.bump().tok == Tok::Punct("==");
            let v = self.bump();
            let value = match v.tok {
                Tok::Int(text) => {
                    int(text).ok_or_else(|| at(v.pos, format!("value {text} is too large")))?
                }
                Tok::Ident("true") => 1,
                Tok::Ident("false") => 0,
                other => {
                    return Err(at(
                        v.pos,
                        format!("expected an integer, found {}", other.describe()),
                    ));
                }
            };
            Some((equal, value, v.pos))
        } else {
            None
        };
        self.expect_punct(")")?;
        self.enter()?;
        let body = self.branch()?;
        let otherwise = if self.peek().tok == Tok::Ident("else") {
            let else_pos = self.bump().pos;
            Some((self.branch()?, else_pos))
        } else {
            None
        };
        self.depth -= 1;
        let cond = Cond {
            operand,
            not,
            compare,
        };
        Ok(Stmt::If {
            cond,
            body,
            otherwise,
            pos,
        })
    }

    /// The statements an `if` or `else` guards: a `{ ... }` block or one.
    fn branch(&mut self) -> Result<Vec<Stmt<'a>>> {
        if !self.eat_punct("{") {
            return Ok(vec![self.statement(false)?]);
        }
        let mut body = Vec::new();
        while !self.eat_punct("}") {
            if self.peek().tok == Tok::Eof {
                return Err(self.expected("'}'"));
            }
            body.push(self.statement(false)?);
        }
        Ok(body)
    }
}
