//! The syntax tree the parser produces and the lowering walks. Parameter
//! expressions are folded to numbers wherever they hold no gate parameter.

use super::error::Pos;

/// A parameter expression. Names are resolved while parsing: constants become
/// numbers, a gate definition's parameters become [`Expr::Param`].
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    /// The i-th parameter of the enclosing gate definition.
    Param(usize),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Func(Func, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Sin,
    Cos,
    Tan,
    Exp,
    Ln,
    Sqrt,
    Asin,
    Acos,
    Atan,
}

impl Func {
    pub fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "sin" => Func::Sin,
            "cos" => Func::Cos,
            "tan" => Func::Tan,
            "exp" => Func::Exp,
            "ln" => Func::Ln,
            "sqrt" => Func::Sqrt,
            "arcsin" | "asin" => Func::Asin,
            "arccos" | "acos" => Func::Acos,
            "arctan" | "atan" => Func::Atan,
            _ => return None,
        })
    }

    fn apply(self, x: f64) -> f64 {
        match self {
            Func::Sin => x.sin(),
            Func::Cos => x.cos(),
            Func::Tan => x.tan(),
            Func::Exp => x.exp(),
            Func::Ln => x.ln(),
            Func::Sqrt => x.sqrt(),
            Func::Asin => x.asin(),
            Func::Acos => x.acos(),
            Func::Atan => x.atan(),
        }
    }
}

impl Expr {
    /// Builds `-e`, folding a number at once.
    pub fn neg(e: Expr) -> Expr {
        match e {
            Expr::Num(x) => Expr::Num(-x),
            e => Expr::Neg(Box::new(e)),
        }
    }

    /// Builds `a op b`, folding two numbers at once.
    pub fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
        match (a, b) {
            (Expr::Num(x), Expr::Num(y)) => Expr::Num(op.apply(x, y)),
            (a, b) => Expr::Bin(op, Box::new(a), Box::new(b)),
        }
    }

    pub fn func(f: Func, e: Expr) -> Expr {
        match e {
            Expr::Num(x) => Expr::Num(f.apply(x)),
            e => Expr::Func(f, Box::new(e)),
        }
    }

    /// Evaluates with the enclosing definition's parameter values. The parser
    /// limits nesting, so the recursion is bounded.
    pub fn eval(&self, params: &[f64]) -> f64 {
        match self {
            Expr::Num(x) => *x,
            Expr::Param(i) => params.get(*i).copied().unwrap_or(f64::NAN),
            Expr::Neg(e) => -e.eval(params),
            Expr::Bin(op, a, b) => op.apply(a.eval(params), b.eval(params)),
            Expr::Func(f, e) => f.apply(e.eval(params)),
        }
    }
}

impl BinOp {
    fn apply(self, x: f64, y: f64) -> f64 {
        match self {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            BinOp::Div => x / y,
            BinOp::Pow => x.powf(y),
        }
    }
}

/// `q`, `q[3]` or `$3`.
#[derive(Debug, Clone, PartialEq)]
pub struct Operand<'a> {
    pub name: &'a str,
    pub index: Option<u32>,
    pub pos: Pos,
    /// Where the index stands, for "out of range" messages.
    pub index_pos: Pos,
}

/// A gate call such as `rz(pi/2) q[0];` or `cx q, r;`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call<'a> {
    pub name: &'a str,
    pub params: Vec<Expr>,
    pub args: Vec<Operand<'a>>,
    pub pos: Pos,
    /// `inv @` applied an odd number of times.
    pub inverse: bool,
    /// Control qubits added by `ctrl @` / `ctrl(n) @` (they come first).
    pub controls: u32,
}

/// `gate name(params) qubits { body }`; the body holds calls and barriers only.
#[derive(Debug, Clone, PartialEq)]
pub struct GateDef<'a> {
    pub name: &'a str,
    pub num_params: usize,
    pub qubits: Vec<(&'a str, Pos)>,
    pub body: Vec<Stmt<'a>>,
    pub pos: Pos,
}

/// The test of an `if`: `c == 3`, `c[0]`, `!c[0]`, `c[1] == 0`, `c[1] != 1`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond<'a> {
    pub operand: Operand<'a>,
    /// A leading `!`.
    pub not: bool,
    /// `== value` (true) or `!= value` (false), and where the value stands.
    pub compare: Option<(bool, u64, Pos)>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt<'a> {
    Include {
        file: &'a str,
        pos: Pos,
    },
    QReg {
        name: &'a str,
        size: u32,
        pos: Pos,
    },
    CReg {
        name: &'a str,
        size: u32,
        pos: Pos,
    },
    Gate(GateDef<'a>),
    Call(Call<'a>),
    Measure {
        qubits: Operand<'a>,
        target: Option<Operand<'a>>,
        pos: Pos,
    },
    Reset {
        target: Operand<'a>,
        pos: Pos,
    },
    /// No operands means every qubit.
    Barrier {
        targets: Vec<Operand<'a>>,
        pos: Pos,
    },
    If {
        cond: Cond<'a>,
        body: Vec<Stmt<'a>>,
        /// The `else` branch and where `else` stands.
        otherwise: Option<(Vec<Stmt<'a>>, Pos)>,
        pos: Pos,
    },
}

/// Which language the version line asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2,
    V3,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Program<'a> {
    pub version: Version,
    pub stmts: Vec<Stmt<'a>>,
}
