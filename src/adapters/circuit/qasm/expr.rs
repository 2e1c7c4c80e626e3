//! Parameter expressions: numbers, `pi`/`π`/`tau`/`euler`, a gate
//! definition's parameters, `+ - * /`, `**` and `^` (power, right-assoc,
//! binding tighter than unary minus), parentheses and sin cos tan exp ln sqrt
//! arcsin arccos arctan. Both the nesting of parentheses and the height of
//! operator chains that stay symbolic count towards [`MAX_NESTING`], so
//! evaluating and dropping a tree can never exhaust the stack.

use std::f64::consts::{E, PI, TAU};

use super::ast::{BinOp, Expr, Func};
use super::error::at;
use super::lexer::Tok;
use super::parser::{Parser, int};
use crate::domain::Result;

impl Parser<'_> {
    pub(super) fn expr(&mut self) -> Result<Expr> {
        self.chain(&[("+", BinOp::Add), ("-", BinOp::Sub)], Self::term)
    }

    fn term(&mut self) -> Result<Expr> {
        self.chain(&[("*", BinOp::Mul), ("/", BinOp::Div)], Self::unary)
    }

    /// A left-associative chain `a op b op c ...` of one precedence level.
    fn chain(
        &mut self,
        ops: &[(&str, BinOp)],
        next: fn(&mut Self) -> Result<Expr>,
    ) -> Result<Expr> {
        let base = self.depth;
        let mut acc = next(self)?;
        let result = loop {
            let Some(op) = ops
                .iter()
                .find(|(p, _)| self.is_punct(p))
                .map(|(_, op)| *op)
            else {
                break Ok(acc);
            };
            self.bump();
            let rhs = match next(self) {
                Ok(rhs) => rhs,
                Err(e) => break Err(e),
            };
            acc = Expr::bin(op, acc, rhs);
            if !matches!(acc, Expr::Num(_))
                && let Err(e) = self.enter()
            {
                break Err(e);
            }
        };
        self.depth = base;
        result
    }

    fn unary(&mut self) -> Result<Expr> {
        self.enter()?;
        let result = if self.eat_punct("-") {
            self.unary().map(Expr::neg)
        } else if self.eat_punct("+") {
            self.unary()
        } else {
            self.power()
        };
        self.depth -= 1;
        result
    }

    fn power(&mut self) -> Result<Expr> {
        let base = self.primary()?;
        if self.eat_punct("**") || self.eat_punct("^") {
            let exponent = self.unary()?;
            return Ok(Expr::bin(BinOp::Pow, base, exponent));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Expr> {
        let t = self.peek();
        match t.tok {
            Tok::Int(text) | Tok::Float(text) => {
                self.bump();
                int::<f64>(text)
                    .map(Expr::Num)
                    .ok_or_else(|| at(t.pos, format!("'{text}' is not a valid number")))
            }
            Tok::Punct("(") => {
                self.bump();
                let e = self.expr()?;
                self.expect_punct(")")?;
                Ok(e)
            }
            Tok::Ident(name) => {
                self.bump();
                if let Some(i) = self.params.iter().position(|p| *p == name) {
                    return Ok(Expr::Param(i));
                }
                match name {
                    "pi" | "π" => return Ok(Expr::Num(PI)),
                    "tau" | "τ" => return Ok(Expr::Num(TAU)),
                    "euler" | "ℇ" => return Ok(Expr::Num(E)),
                    _ => {}
                }
                match Func::from_name(name) {
                    Some(f) if self.is_punct("(") => {
                        self.bump();
                        let arg = self.expr()?;
                        self.expect_punct(")")?;
                        Ok(Expr::func(f, arg))
                    }
                    _ => Err(at(t.pos, format!("unknown name '{name}' in an expression"))),
                }
            }
            _ => Err(self.expected("an expression")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::ast::Version;
    use super::super::parser::parse;
    use super::*;

    /// Parses `rz(<text>) q;` and returns the folded parameter.
    fn value(text: &str) -> Result<f64> {
        let src = format!("rz({text}) q;");
        let program = parse(&src)?;
        assert_eq!(program.version, Version::V3);
        match &program.stmts[..] {
            [super::super::ast::Stmt::Call(c)] => match c.params[..] {
                [Expr::Num(x)] => Ok(x),
                _ => panic!("not folded: {:?}", c.params),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn precedence_and_functions() {
        assert_eq!(value("1 + 2 * 3").unwrap(), 7.0);
        assert_eq!(value("-2 ** 2").unwrap(), -4.0);
        assert_eq!(value("2 ^ 3 ^ 2").unwrap(), 512.0);
        assert_eq!(value("(1 - 2) - 3").unwrap(), -4.0);
        assert_eq!(value("8 / 2 / 2").unwrap(), 2.0);
        assert_eq!(value("-pi/2").unwrap(), -PI / 2.0);
        assert_eq!(value("π").unwrap(), PI);
        assert_eq!(value("sqrt(4) + cos(0) + ln(1) + exp(0)").unwrap(), 4.0);
        assert_eq!(value("arctan(1)").unwrap(), PI / 4.0);
        assert_eq!(value("1.e-05").unwrap(), 1e-5);
        assert_eq!(value(".5").unwrap(), 0.5);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("{}1{}", "(".repeat(200), ")".repeat(200));
        assert!(value(&deep).unwrap_err().message().contains("nesting"));
        let minus = "-".repeat(10_000) + "1";
        assert!(value(&minus).unwrap_err().message().contains("nesting"));
    }

    #[test]
    fn long_symbolic_chains_are_refused_but_constant_ones_fold() {
        let constant = vec!["1"; 5000].join("+");
        assert_eq!(value(&constant).unwrap(), 5000.0);
        let symbolic = format!("gate g(a) q {{ rz({}) q; }}", vec!["a"; 5000].join("+"));
        assert!(parse(&symbolic).unwrap_err().message().contains("nesting"));
    }
}
