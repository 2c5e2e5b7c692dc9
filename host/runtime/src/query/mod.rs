//! The list filter language: a subset of Temporal's visibility queries.
//!
//! ```text
//! query     = [ expr ] [ "ORDER BY" field [ "ASC" | "DESC" ] ] [ "GROUP BY" field ]
//! expr      = and { "OR" and }
//! and       = term { "AND" term }
//! term      = "(" expr ")" | condition
//! condition = field ( cmp literal
//!                   | "IN" "(" literal { "," literal } ")"
//!                   | "BETWEEN" literal "AND" literal
//!                   | "STARTS_WITH" literal )
//! cmp       = "=" | "!=" | "<>" | "<" | ">" | "<=" | ">="
//! literal   = 'text' | "text" | integer | decimal | true | false
//! ```
//!
//! Keywords are case-insensitive; a field is a built-in (`WorkflowId`, `WorkflowType`,
//! `ExecutionStatus`, `StartTime`, `CloseTime`, `RunId`, `Priority`) or a custom search attribute,
//! optionally in backquotes. Datetimes are RFC 3339 strings. [`parse`] gives the syntax
//! tree ([`Query`]); [`typed::resolve`] checks it against the attribute types the store
//! knows and gives what the storage plans and evaluates ([`typed::Filter`]).
//! Errors carry the column, and show the query with a caret under it.

mod lexer;
mod parser;
pub mod typed;

#[cfg(test)]
mod tests;

pub use parser::parse;

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub filter: Option<Expr>,
    pub order_by: Option<OrderBy>,
    pub group_by: Option<Field>,
}

/// A boolean expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cond(Condition),
}

/// A field name and where it was written (0-based byte offset).
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub at: usize,
}

/// A literal and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub value: Lit,
    pub at: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
}

pub use crate::storage::plan::CmpOp;

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Cmp(CmpOp, Literal),
    In(Vec<Literal>),
    Between(Literal, Literal),
    StartsWith(Literal),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: Field,
    pub op: Op,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderBy {
    pub field: Field,
    pub descending: bool,
}

/// A query that cannot be read or does not fit the store's attributes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} (column {column})\n  {query}\n  {caret}^")]
pub struct QueryError {
    pub message: String,
    /// 1-based column of the offending character.
    pub column: usize,
    pub query: String,
    caret: String,
}

impl QueryError {
    pub(crate) fn new(query: &str, at: usize, message: impl Into<String>) -> QueryError {
        let at = at.min(query.len());
        let column = query[..at].chars().count() + 1;
        QueryError {
            message: message.into(),
            column,
            query: query.to_string(),
            caret: " ".repeat(column - 1),
        }
    }
}
