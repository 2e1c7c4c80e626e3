//! Recursive-descent parser for the OpenQASM 2 and 3 subset we accept. One
//! grammar serves both versions (OpenQASM 3 kept `qreg`, `creg` and
//! `measure a -> b`); the version only changes which include file and which
//! extra gates the lowering knows. Nesting is limited, so no input can exhaust
//! the stack.

use super::ast::{Operand, Program, Stmt, Version};
use super::error::{Pos, at};
use super::lexer::{Lexer, Tok, Token};
use crate::domain::{Error, Result};

mod stmt;

/// Deepest nesting of parentheses, operators and `if` blocks we follow.
pub const MAX_NESTING: usize = 64;

pub struct Parser<'a> {
    lexer: Lexer<'a>,
    /// The current token and the one after it.
    ahead: [Token<'a>; 2],
    /// The first error of the lexer; the parser saw end of input there.
    lex_error: Option<Error>,
    pub(super) depth: usize,
    /// Parameter names of the gate definition being parsed.
    pub(super) params: Vec<&'a str>,
}

/// Parses a whole OpenQASM program.
pub fn parse(src: &str) -> Result<Program<'_>> {
    let eof = Token {
        tok: Tok::Eof,
        pos: Pos::default(),
    };
    let mut p = Parser {
        lexer: Lexer::new(src),
        ahead: [eof; 2],
        lex_error: None,
        depth: 0,
        params: Vec::new(),
    };
    p.bump();
    p.bump();
    let result = p.program();
    // A lexer error ends the token stream early; it is the real cause of
    // whatever the parser then made of the end of input.
    match p.lex_error.take() {
        Some(e) => Err(e),
        None => result,
    }
}

impl<'a> Parser<'a> {
    fn program(&mut self) -> Result<Program<'a>> {
        let version = self.version()?;
        let mut stmts = Vec::new();
        while self.peek().tok != Tok::Eof {
            stmts.push(self.statement(false)?);
        }
        Ok(Program { version, stmts })
    }

    pub(super) fn peek(&self) -> Token<'a> {
        self.ahead[0]
    }

    /// The token after the current one.
    pub(super) fn peek_next(&self) -> Token<'a> {
        self.ahead[1]
    }

    /// Moves on one token and returns the one that was current.
    pub(super) fn bump(&mut self) -> Token<'a> {
        let next = match self.lexer.next_token() {
            Ok(t) => t,
            Err(e) => {
                self.lex_error.get_or_insert(e);
                Token {
                    tok: Tok::Eof,
                    pos: self.lexer.pos(),
                }
            }
        };
        let current = self.ahead[0];
        self.ahead = [self.ahead[1], next];
        current
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
