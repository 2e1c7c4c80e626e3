//! Recursive-descent parser for the OpenQASM 2 and 3 subset we accept. One
//! grammar serves both versions (OpenQASM 3 kept `qreg`, `creg` and
//! `measure a -> b`); the version only changes which include file and which
//! extra gates the lowering knows. Nesting is limited, so no input can exhaust
//! the stack.

use super::ast::{Call, Cond, GateDef, Operand, Program, Stmt, Version};
use super::error::{Pos, at};
use super::lexer::{Tok, Token, tokenize};
use crate::domain::{Error, Result};

/// Deepest nesting of parentheses, operators and `if` blocks we follow.
pub const MAX_NESTING: usize = 64;

/// OpenQASM 3 statements this service does not run; named in the error.
const UNSUPPORTED: &[&str] = &[
    "for",
    "while",
    "def",
    "const",
    "input",
    "output",
    "let",
    "float",
    "int",
    "uint",
    "angle",
    "bool",
    "complex",
    "duration",
    "stretch",
    "box",
    "delay",
    "return",
    "break",
    "continue",
    "end",
    "switch",
    "extern",
    "defcal",
    "cal",
    "defcalgrammar",
    "array",
    "pragma",
    "else",
];

pub struct Parser<'a> {
    toks: Vec<Token<'a>>,
    i: usize,
    pub(super) depth: usize,
    /// Parameter names of the gate definition being parsed.
    pub(super) params: Vec<&'a str>,
}

/// Parses a whole OpenQASM program.
pub fn parse(src: &str) -> Result<Program<'_>> {
    let mut p = Parser {
        toks: tokenize(src)?,
        i: 0,
        depth: 0,
        params: Vec::new(),
    };
    let version = p.version()?;
    let mut stmts = Vec::new();
    while p.peek().tok != Tok::Eof {
        stmts.push(p.statement(false)?);
    }
    Ok(Program { version, stmts })
}

impl<'a> Parser<'a> {
    pub(super) fn peek(&self) -> Token<'a> {
        self.peek_at(0)
    }

    pub(super) fn peek_at(&self, n: usize) -> Token<'a> {
        match self.toks.get(self.i.saturating_add(n)) {
            Some(t) => *t,
            None => Token {
                tok: Tok::Eof,
                pos: self.toks.last().map(|t| t.pos).unwrap_or_default(),
            },
        }
    }

    pub(super) fn bump(&mut self) -> Token<'a> {
        let t = self.peek();
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }

    pub(super) fn is_punct(&self, p: &str) -> bool {
        matches!(self.peek().tok, Tok::Punct(q) if q == p)
    }

    pub(super) fn eat_punct(&mut self, p: &str) -> bool {
        let yes = self.is_punct(p);
        if yes {
            self.bump();
        }
        yes
    }

    pub(super) fn expect_punct(&mut self, p: &str) -> Result<Pos> {
        if self.is_punct(p) {
            Ok(self.bump().pos)
        } else {
            Err(self.expected(&format!("'{p}'")))
        }
    }

    fn expect_ident(&mut self, what: &str) -> Result<(&'a str, Pos)> {
        match self.peek().tok {
            Tok::Ident(name) => Ok((name, self.bump().pos)),
            _ => Err(self.expected(what)),
        }
    }

    /// "expected X, found Y" at the current token.
    pub(super) fn expected(&self, what: &str) -> Error {
        let t = self.peek();
        at(
            t.pos,
            format!("expected {what}, found {}", t.tok.describe()),
        )
    }

    /// Counts one level of nesting; refuses past [`MAX_NESTING`].
    pub(super) fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(at(
                self.peek().pos,
                format!("nesting is deeper than {MAX_NESTING} levels"),
            ));
        }
        Ok(())
    }

    fn version(&mut self) -> Result<Version> {
        if self.peek().tok != Tok::Ident("OPENQASM") {
            return Ok(Version::V3);
        }
        self.bump();
        let t = self.bump();
        let version = match t.tok {
            Tok::Int(v) | Tok::Float(v) => match v.split('.').next() {
                Some("2") => Version::V2,
                Some("3") => Version::V3,
                _ => {
                    return Err(at(
                        t.pos,
                        format!("unsupported OpenQASM version {v}; 2 and 3 are known"),
                    ));
                }
            },
            other => {
                return Err(at(
                    t.pos,
                    format!("expected a version number, found {}", other.describe()),
                ));
            }
        };
        self.expect_punct(";")?;
        Ok(version)
    }

    /// One statement; `in_gate` limits it to what a gate body may hold.
    fn statement(&mut self, in_gate: bool) -> Result<Stmt<'a>> {
        let t = self.peek();
        let Tok::Ident(word) = t.tok else {
            return Err(self.expected("a statement"));
        };
        let next_is = |p: &str| matches!(self.peek_at(1).tok, Tok::Punct(q) if q == p);
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
            w if UNSUPPORTED.contains(&w) && !next_is("(") || w == "else" => Err(at(
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

    /// A register size: a positive integer that fits in 32 bits.
    fn size(&mut self) -> Result<u32> {
        let t = self.bump();
        match t.tok {
            Tok::Int(text) => {
                int(text).ok_or_else(|| at(t.pos, format!("size {text} is too large")))
            }
            other => Err(at(
                t.pos,
                format!("expected a register size, found {}", other.describe()),
            )),
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
            if !matches!(self.peek_at(1).tok, Tok::Punct("@" | "(")) {
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

    /// The comma between items of a parenthesised list.
    fn list_comma(&mut self) -> Result<()> {
        if self.eat_punct(",") {
            Ok(())
        } else {
            Err(self.expected("',' or ')'"))
        }
    }

    fn operands(&mut self) -> Result<Vec<Operand<'a>>> {
        let mut out = vec![self.operand()?];
        while self.eat_punct(",") {
            out.push(self.operand()?);
        }
        Ok(out)
    }

    /// `name`, `name[i]` or `$i`.
    fn operand(&mut self) -> Result<Operand<'a>> {
        let t = self.peek();
        let name = match t.tok {
            Tok::Ident(name) | Tok::Hardware(name) => name,
            _ => return Err(self.expected("a qubit or bit (such as q or q[0])")),
        };
        self.bump();
        let mut operand = Operand {
            name,
            index: None,
            pos: t.pos,
            index_pos: t.pos,
        };
        if self.eat_punct("[") {
            let i = self.bump();
            let Tok::Int(text) = i.tok else {
                return Err(at(
                    i.pos,
                    format!("expected an index, found {}", i.tok.describe()),
                ));
            };
            let index = int(text).ok_or_else(|| at(i.pos, format!("index {text} is too large")))?;
            if self.is_punct(":") || self.is_punct(",") {
                return Err(at(
                    self.peek().pos,
                    "index ranges and lists are not supported; index one bit at a time",
                ));
            }
            self.expect_punct("]")?;
            operand.index = Some(index);
            operand.index_pos = i.pos;
        }
        Ok(operand)
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
        let body = if self.eat_punct("{") {
            let mut body = Vec::new();
            while !self.eat_punct("}") {
                if self.peek().tok == Tok::Eof {
                    return Err(self.expected("'}'"));
                }
                body.push(self.statement(false)?);
            }
            body
        } else {
            vec![self.statement(false)?]
        };
        self.depth -= 1;
        if self.peek().tok == Tok::Ident("else") {
            return Err(at(
                self.peek().pos,
                "'else' is not supported; write a second 'if'",
            ));
        }
        let cond = Cond {
            operand,
            not,
            compare,
        };
        Ok(Stmt::If { cond, body, pos })
    }
}

fn register<'a>(quantum: bool, name: &'a str, size: u32, pos: Pos) -> Stmt<'a> {
    if quantum {
        Stmt::QReg { name, size, pos }
    } else {
        Stmt::CReg { name, size, pos }
    }
}

/// Parses an integer literal (underscores allowed) without overflow.
pub(super) fn int<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.contains('_') {
        text.replace('_', "").parse().ok()
    } else {
        text.parse().ok()
    }
}
