//! Recursive descent over the tokens (grammar in the module above).

use super::lexer::{tokenize, Tok};
use super::{CmpOp, Condition, Expr, Field, Lit, Literal, Op, OrderBy, Query, QueryError};

/// Parse a query. An empty query (or one of only `ORDER BY`) matches every run.
pub fn parse(query: &str) -> Result<Query, QueryError> {
    let tokens = tokenize(query)?;
    let mut p = Parser {
        query,
        tokens,
        pos: 0,
    };
    let filter = if p.peek().is_none() || p.at_kw("ORDER") || p.at_kw("GROUP") {
        None
    } else {
        Some(p.expr()?)
    };
    let mut order_by = None;
    let mut group_by = None;
    loop {
        if p.at_kw("ORDER") && order_by.is_none() {
            p.pos += 1;
            p.expect_kw("BY")?;
            let field = p.field()?;
            let descending = if p.at_kw("DESC") {
                p.pos += 1;
                true
            } else {
                if p.at_kw("ASC") {
                    p.pos += 1;
                }
                false
            };
            order_by = Some(OrderBy { field, descending });
        } else if p.at_kw("GROUP") && group_by.is_none() {
            p.pos += 1;
            p.expect_kw("BY")?;
            group_by = Some(p.field()?);
        } else {
            break;
        }
    }
    if let Some((tok, at)) = p.tokens.get(p.pos) {
        let hint = if filter.is_some() {
            "expected AND, OR, ORDER BY, GROUP BY or the end of the query"
        } else {
            "expected a condition, ORDER BY or GROUP BY"
        };
        return Err(QueryError::new(
            query,
            *at,
            format!("unexpected {}: {hint}", tok.describe()),
        ));
    }
    Ok(Query {
        filter,
        order_by,
        group_by,
    })
}

struct Parser<'q> {
    query: &'q str,
    tokens: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|(t, _)| t)
    }

    /// Where the next token starts (the end of the query when there is none).
    fn here(&self) -> usize {
        self.tokens
            .get(self.pos)
            .map_or(self.query.len(), |(_, at)| *at)
    }

    fn at_kw(&self, kw: &str) -> bool {
        self.peek().is_some_and(|t| t.is_kw(kw))
    }

    fn error(&self, expected: &str) -> QueryError {
        let found = match self.peek() {
            Some(t) => t.describe(),
            None => "the end of the query".into(),
        };
        QueryError::new(
            self.query,
            self.here(),
            format!("expected {expected}, found {found}"),
        )
    }

    fn expect_kw(&mut self, kw: &str) -> Result<(), QueryError> {
        if self.at_kw(kw) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(kw))
        }
    }

    fn expect(&mut self, tok: Tok, name: &str) -> Result<(), QueryError> {
        if self.peek() == Some(&tok) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(name))
        }
    }

    fn expr(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.and()?;
        while self.at_kw("OR") {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.term()?;
        while self.at_kw("AND") {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, QueryError> {
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let inner = self.expr()?;
            self.expect(Tok::RParen, "`)`")?;
            return Ok(inner);
        }
        let field = self.field()?;
        let op = match self.peek() {
            Some(Tok::Symbol(s)) => {
                let op = match *s {
                    "=" => CmpOp::Eq,
                    "!=" => CmpOp::Ne,
                    "<" => CmpOp::Lt,
                    "<=" => CmpOp::Le,
                    ">" => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                self.pos += 1;
                Op::Cmp(op, self.literal()?)
            }
            Some(t) if t.is_kw("IN") => {
                self.pos += 1;
                self.expect(Tok::LParen, "`(` after IN")?;
                let mut values = vec![self.literal()?];
                while self.peek() == Some(&Tok::Comma) {
                    self.pos += 1;
                    values.push(self.literal()?);
                }
                self.expect(Tok::RParen, "`,` or `)`")?;
                Op::In(values)
            }
            Some(t) if t.is_kw("BETWEEN") => {
                self.pos += 1;
                let low = self.literal()?;
                self.expect_kw("AND")?;
                Op::Between(low, self.literal()?)
            }
            Some(t) if t.is_kw("STARTS_WITH") => {
                self.pos += 1;
                Op::StartsWith(self.literal()?)
            }
            _ => {
                return Err(
                    self.error("an operator (=, !=, <, >, <=, >=, IN, BETWEEN, STARTS_WITH)")
                )
            }
        };
        Ok(Expr::Cond(Condition { field, op }))
    }

    fn field(&mut self) -> Result<Field, QueryError> {
        match self.tokens.get(self.pos) {
            Some((Tok::Word(w), at)) if !is_reserved(w) => {
                let field = Field {
                    name: w.clone(),
                    at: *at,
                };
                self.pos += 1;
                Ok(field)
            }
            _ => Err(self.error("a field name")),
        }
    }

    fn literal(&mut self) -> Result<Literal, QueryError> {
        let Some((tok, at)) = self.tokens.get(self.pos).cloned() else {
            return Err(self.error("a value"));
        };
        let value = match tok {
            Tok::Quoted(s) => Lit::Str(s),
            Tok::Number(n) => {
                if let Ok(i) = n.parse::<i64>() {
                    Lit::Int(i)
                } else {
                    match n.parse::<f64>() {
                        Ok(v) if v.is_finite() => Lit::Float(v),
                        _ => {
                            return Err(QueryError::new(
                                self.query,
                                at,
                                format!("`{n}` is not a number"),
                            ))
                        }
                    }
                }
            }
            Tok::Word(w) if w.eq_ignore_ascii_case("true") => Lit::Bool(true),
            Tok::Word(w) if w.eq_ignore_ascii_case("false") => Lit::Bool(false),
            Tok::Word(w) => {
                return Err(QueryError::new(
                    self.query,
                    at,
                    format!("expected a value, found `{w}`; quote strings, as in '{w}'"),
                ))
            }
            _ => return Err(self.error("a value")),
        };
        self.pos += 1;
        Ok(Literal { value, at })
    }
}

/// Words that cannot name a field.
fn is_reserved(word: &str) -> bool {
    [
        "AND",
        "OR",
        "IN",
        "BETWEEN",
        "STARTS_WITH",
        "ORDER",
        "GROUP",
        "BY",
        "ASC",
        "DESC",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(word))
}
