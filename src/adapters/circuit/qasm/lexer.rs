//! Splits OpenQASM source text into tokens, each with its line and column.
//! Comments and whitespace are dropped here; the parser never sees them.

use super::error::{Pos, at};
use crate::domain::Result;

/// One token; text-carrying variants borrow from the source.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Tok<'a> {
    Ident(&'a str),
    /// Digits only (underscores allowed between digits).
    Int(&'a str),
    /// A number with a point or an exponent, e.g. `1.e-05`, `.5`.
    Float(&'a str),
    /// The text between double quotes.
    Str(&'a str),
    /// A physical qubit such as `$3`, with the `$`.
    Hardware(&'a str),
    Punct(&'static str),
    Eof,
}

impl Tok<'_> {
    /// How the token is named in "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("'{s}'"),
            Tok::Int(s) | Tok::Float(s) => format!("number {s}"),
            Tok::Str(s) => format!("string \"{s}\""),
            Tok::Hardware(s) => format!("'{s}'"),
            Tok::Punct(p) => format!("'{p}'"),
            Tok::Eof => "end of input".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Token<'a> {
    pub tok: Tok<'a>,
    pub pos: Pos,
}

/// The punctuation `rest` starts with, two characters before one so that
/// `==` wins over `=`.
fn punct(rest: &str) -> Option<&'static str> {
    let b = rest.as_bytes();
    let first = *b.first()?;
    let second = b.get(1).copied().unwrap_or(0);
    Some(match (first, second) {
        (b'*', b'*') => "**",
        (b'=', b'=') => "==",
        (b'!', b'=') => "!=",
        (b'-', b'>') => "->",
        (b'<', b'=') => "<=",
        (b'>', b'=') => ">=",
        (b'&', b'&') => "&&",
        (b'|', b'|') => "||",
        (b'<', b'<') => "<<",
        (b'>', b'>') => ">>",
        (b';', _) => ";",
        (b',', _) => ",",
        (b'(', _) => "(",
        (b')', _) => ")",
        (b'[', _) => "[",
        (b']', _) => "]",
        (b'{', _) => "{",
        (b'}', _) => "}",
        (b'=', _) => "=",
        (b'+', _) => "+",
        (b'-', _) => "-",
        (b'*', _) => "*",
        (b'/', _) => "/",
        (b'^', _) => "^",
        (b'!', _) => "!",
        (b'@', _) => "@",
        (b':', _) => ":",
        (b'<', _) => "<",
        (b'>', _) => ">",
        _ => return None,
    })
}

/// Hands out the tokens of a text one at a time, so that no token list is
/// ever built; after the end it keeps returning [`Tok::Eof`].
pub struct Lexer<'a> {
    src: &'a str,
    i: usize,
    line: u32,
    col: u32,
}

/// Tokenises the whole text; the last token is always [`Tok::Eof`].
#[cfg(test)]
pub fn tokenize(src: &str) -> Result<Vec<Token<'_>>> {
    let mut lx = Lexer::new(src);
    let mut out = Vec::new();
    loop {
        let t = lx.next_token()?;
        out.push(t);
        if t.tok == Tok::Eof {
            return Ok(out);
        }
    }
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a str) -> Self {
        Lexer {
            src,
            // A byte-order mark, as some Windows editors write, is not text.
            i: if src.starts_with('\u{feff}') { 3 } else { 0 },
            line: 1,
            col: 1,
        }
    }

    pub fn next_token(&mut self) -> Result<Token<'a>> {
        let lx = self;
        let src = lx.src;
        lx.skip_blank()?;
        let pos = lx.pos();
        let Some(c) = lx.peek() else {
            return Ok(Token { tok: Tok::Eof, pos });
        };
        let tok = if c.is_ascii_digit()
            || (c == '.' && lx.peek_at(1).is_some_and(|d| d.is_ascii_digit()))
        {
            lx.number(pos)?
        } else if c == '_' || c.is_alphabetic() {
            Tok::Ident(lx.take_while(|c| c == '_' || c.is_alphanumeric()))
        } else if c == '"' {
            lx.string(pos)?
        } else if c == '$' {
            let start = lx.i;
            lx.bump();
            if lx.take_while(|c| c.is_ascii_digit()).is_empty() {
                return Err(at(pos, "expected digits after '$'"));
            }
            Tok::Hardware(src.get(start..lx.i).unwrap_or("$"))
        } else {
            let p =
                punct(lx.rest()).ok_or_else(|| at(pos, format!("unexpected character '{c}'")))?;
            // Punctuation is ASCII and never a newline.
            lx.i += p.len();
            lx.col = lx.col.saturating_add(p.len() as u32);
            Tok::Punct(p)
        };
        Ok(Token { tok, pos })
    }

    pub fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.i..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        match self.src.as_bytes().get(self.i) {
            Some(b) if b.is_ascii() => Some(char::from(*b)),
            Some(_) => self.rest().chars().next(),
            None => None,
        }
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.col = 1;
        } else {
            self.col = self.col.saturating_add(1);
        }
        Some(c)
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let start = self.i;
        let bytes = self.src.as_bytes();
        loop {
            match bytes.get(self.i) {
                // Fast path: ASCII other than a newline moves one column.
                Some(&b) if b.is_ascii() && b != b'\n' => {
                    if !f(char::from(b)) {
                        break;
                    }
                    self.i += 1;
                    self.col = self.col.saturating_add(1);
                }
                _ => match self.peek() {
                    Some(c) if f(c) => {
                        self.bump();
                    }
                    _ => break,
                },
            }
        }
        self.src.get(start..self.i).unwrap_or("")
    }

    fn skip_blank(&mut self) -> Result<()> {
        loop {
            match self.src.as_bytes().get(self.i) {
                Some(b' ' | b'\t' | b'\r') => {
                    self.i += 1;
                    self.col = self.col.saturating_add(1);
                    continue;
                }
                Some(b'/' | b'\n') => {}
                Some(b) if b.is_ascii() => return Ok(()),
                _ => {}
            }
            let rest = self.rest();
            if rest.starts_with("//") {
                self.take_while(|c| c != '\n');
            } else if rest.starts_with("/*") {
                let pos = self.pos();
                match rest.find("*/") {
                    Some(end) => {
                        // Walk through the comment so lines and columns stay right.
                        let stop = self.i + end + 2;
                        while self.i < stop && self.bump().is_some() {}
                    }
                    None => return Err(at(pos, "unterminated comment: '/*' without '*/'")),
                }
            } else if self.peek().is_some_and(char::is_whitespace) {
                self.bump();
            } else {
                return Ok(());
            }
        }
    }

    fn number(&mut self, pos: Pos) -> Result<Tok<'a>> {
        let start = self.i;
        let digits = |c: char| c.is_ascii_digit() || c == '_';
        self.take_while(digits);
        let mut float = false;
        if self.peek() == Some('.') {
            float = true;
            self.bump();
            self.take_while(digits);
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            float = true;
            self.bump();
            if matches!(self.peek(), Some('+' | '-')) {
                self.bump();
            }
            if self.take_while(|c| c.is_ascii_digit()).is_empty() {
                return Err(at(pos, "expected digits in the exponent of a number"));
            }
        }
        let text = self.src.get(start..self.i).unwrap_or("");
        Ok(if float {
            Tok::Float(text)
        } else {
            Tok::Int(text)
        })
    }

    fn string(&mut self, pos: Pos) -> Result<Tok<'a>> {
        self.bump();
        let text = self.take_while(|c| c != '"' && c != '\n');
        if self.bump() != Some('"') {
            return Err(at(pos, "unterminated string"));
        }
        Ok(Tok::Str(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok<'_>> {
        tokenize(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn numbers_in_all_their_forms() {
        assert_eq!(
            kinds("1.e-05 .5 2 1.4900000000000002 3E2"),
            vec![
                Tok::Float("1.e-05"),
                Tok::Float(".5"),
                Tok::Int("2"),
                Tok::Float("1.4900000000000002"),
                Tok::Float("3E2"),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn comments_are_skipped_and_positions_kept() {
        let toks = tokenize("// a\n/* b\n c */ x ==π;").unwrap();
        assert_eq!(toks[0].tok, Tok::Ident("x"));
        assert_eq!(toks[0].pos, Pos { line: 3, col: 7 });
        assert_eq!(toks[1].tok, Tok::Punct("=="));
        assert_eq!(toks[2].tok, Tok::Ident("π"));
        assert_eq!(toks[3].pos, Pos { line: 3, col: 12 });
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(
            tokenize("/* open")
                .unwrap_err()
                .message()
                .starts_with("line 1, column 1")
        );
        assert!(
            tokenize("x # y")
                .unwrap_err()
                .message()
                .contains("unexpected character '#'")
        );
        assert!(tokenize("\"abc").is_err());
        assert!(tokenize("1e+").is_err());
    }
}
