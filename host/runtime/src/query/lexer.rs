//! Tokens of the filter language, each with its byte offset.

use super::QueryError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A bare or backquoted name: a field or a keyword.
    Word(String),
    Quoted(String),
    Number(String),
    Symbol(&'static str),
    LParen,
    RParen,
    Comma,
}

impl Tok {
    /// The token as an error message names it.
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("`{w}`"),
            Tok::Quoted(s) => format!("the string '{s}'"),
            Tok::Number(n) => format!("the number {n}"),
            Tok::Symbol(s) => format!("`{s}`"),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::Comma => "`,`".into(),
        }
    }

    /// Whether this is the keyword `kw` (any case).
    pub(super) fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(kw))
    }
}

pub(super) fn tokenize(query: &str) -> Result<Vec<(Tok, usize)>, QueryError> {
    let bytes = query.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => {
                out.push((Tok::LParen, i));
                i += 1;
            }
            b')' => {
                out.push((Tok::RParen, i));
                i += 1;
            }
            b',' => {
                out.push((Tok::Comma, i));
                i += 1;
            }
            b'=' => {
                out.push((Tok::Symbol("="), i));
                i += 1;
            }
            b'!' if bytes.get(i + 1) == Some(&b'=') => {
                out.push((Tok::Symbol("!="), i));
                i += 2;
            }
            b'<' | b'>' => {
                let sym = match (c, bytes.get(i + 1)) {
                    (b'<', Some(b'=')) => "<=",
                    (b'>', Some(b'=')) => ">=",
                    (b'<', Some(b'>')) => "!=",
                    (b'<', _) => "<",
                    _ => ">",
                };
                let len = if sym.len() == 2 { 2 } else { 1 };
                out.push((Tok::Symbol(sym), i));
                i += len;
            }
            b'\'' | b'"' | b'`' => {
                let mut text = String::new();
                let mut j = i + 1;
                loop {
                    let Some(ch) = query[j..].chars().next() else {
                        return Err(QueryError::new(
                            query,
                            start,
                            format!("this {} is never closed", quote_name(c)),
                        ));
                    };
                    j += ch.len_utf8();
                    if ch as u32 == u32::from(c) {
                        // A doubled quote stands for one.
                        if bytes.get(j) == Some(&c) {
                            text.push(ch);
                            j += 1;
                            continue;
                        }
                        break;
                    }
                    text.push(ch);
                }
                let tok = if c == b'`' {
                    Tok::Word(text)
                } else {
                    Tok::Quoted(text)
                };
                out.push((tok, start));
                i = j;
            }
            b'0'..=b'9' | b'-' | b'+' | b'.' => {
                let mut j = i + 1;
                while j < bytes.len()
                    && (bytes[j].is_ascii_digit()
                        || matches!(bytes[j], b'.' | b'e' | b'E')
                        || (matches!(bytes[j], b'-' | b'+') && matches!(bytes[j - 1], b'e' | b'E')))
                {
                    j += 1;
                }
                out.push((Tok::Number(query[i..j].to_string()), start));
                i = j;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let mut j = i + 1;
                while j < bytes.len()
                    && (bytes[j].is_ascii_alphanumeric() || matches!(bytes[j], b'_' | b'.'))
                {
                    j += 1;
                }
                out.push((Tok::Word(query[i..j].to_string()), start));
                i = j;
            }
            _ => {
                let ch = query[i..].chars().next().expect("in bounds");
                return Err(QueryError::new(
                    query,
                    i,
                    format!("unexpected character `{ch}`"),
                ));
            }
        }
    }
    Ok(out)
}

fn quote_name(c: u8) -> &'static str {
    match c {
        b'\'' => "single-quoted string",
        b'"' => "double-quoted string",
        _ => "backquoted name",
    }
}
