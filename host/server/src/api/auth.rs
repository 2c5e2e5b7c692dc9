//! Bearer tokens: with a token list, every route of the API answers only requests
//! that carry `Authorization: Bearer <token>` with one of the tokens, and 401 with an
//! [`ApiErrorBody`](super::types::ApiErrorBody) (code `unauthorized`) to the others.
//!
//! The server keeps only the SHA-256 of each token and compares a presented token's
//! digest with every one of them in constant time, so neither the time an answer takes
//! nor its content tells how much of a token was right.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConstantTimeEq};

use super::server::ApiError;
use super::types::ErrorCode;

/// The environment variable `weft server` reads tokens from (separated by newlines or
/// commas). Tokens are never taken from the command line, where `ps` would show them.
pub const TOKENS_ENV: &str = "WEFT_SERVER_TOKENS";

/// The tokens a server accepts.
#[derive(Clone)]
pub struct Tokens {
    digests: Arc<Vec<[u8; 32]>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tokens({} accepted)", self.digests.len())
    }
}

/// The token sources name no usable token.
#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    #[error("cannot read --tokens-file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{source_name} holds no token; put one token per line (lines starting with `#` are comments), or leave it out to serve without tokens")]
    Empty { source_name: String },
    #[error("{source_name}, token {index}: a token has no spaces or control characters")]
    Malformed { source_name: String, index: usize },
}

impl Tokens {
    /// The tokens of `--tokens-file` and of [`TOKENS_ENV`] together; `None` when
    /// neither is given. A source that is given but holds no token is an error (it
    /// would otherwise refuse every request).
    pub fn load(file: Option<&Path>, env: Option<&str>) -> Result<Option<Tokens>, TokensError> {
        let mut tokens = Vec::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| TokensError::Read {
                path: path.to_path_buf(),
                source,
            })?;
            tokens.extend(parse(&format!("--tokens-file {}", path.display()), &text)?);
        }
        if let Some(text) = env {
            tokens.extend(parse(TOKENS_ENV, &text.replace(',', "\n"))?);
        }
        if file.is_none() && env.is_none() {
            return Ok(None);
        }
        Ok(Some(Tokens::new(tokens.iter().map(String::as_str))))
    }

    /// Accept exactly these tokens.
    pub fn new<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Tokens {
        let digests = tokens.into_iter().map(digest).collect();
        Tokens {
            digests: Arc::new(digests),
        }
    }

    /// How many tokens are accepted.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether `presented` is one of the tokens, in time that depends only on the
    /// number of tokens.
    pub fn accepts(&self, presented: &str) -> bool {
        let presented = digest(presented);
        let mut found = Choice::from(0);
        for accepted in self.digests.iter() {
            found |= accepted.ct_eq(&presented);
        }
        found.into()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

fn parse(source_name: &str, text: &str) -> Result<Vec<String>, TokensError> {
    let tokens: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    if let Some(index) = tokens
        .iter()
        .position(|t| t.chars().any(|c| c.is_whitespace() || c.is_control()))
    {
        return Err(TokensError::Malformed {
            source_name: source_name.to_string(),
            index: index + 1,
        });
    }
    if tokens.is_empty() {
        return Err(TokensError::Empty {
            source_name: source_name.to_string(),
        });
    }
    Ok(tokens)
}

/// Middleware: pass the request on when it carries an accepted token, answer 401
/// otherwise.
pub(super) async fn require_token(
    State(tokens): State<Tokens>,
    request: Request,
    next: Next,
) -> Response {
    let header = request.headers().get(AUTHORIZATION);
    let refusal = match header.map(|v| v.to_str().map(bearer)) {
        None => "this server requires a bearer token: send `Authorization: Bearer <token>` (the weft CLI: --token or WEFT_TOKEN)",
        Some(Ok(Some(token))) if tokens.accepts(token) => return next.run(request).await,
        Some(Ok(Some(_))) => "the bearer token is not one this server accepts (check --token or WEFT_TOKEN against the server's --tokens-file or WEFT_SERVER_TOKENS)",
        Some(Ok(None) | Err(_)) => "the Authorization header is not `Bearer <token>`",
    };
    let mut response = ApiError::new(ErrorCode::Unauthorized, refusal).into_response();
    response.headers_mut().insert(
        WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer realm=\"weft\""),
    );
    response
}

/// The token of an `Authorization: Bearer <token>` header value.
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_one_per_line_with_comments_and_from_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        std::fs::write(&file, "# ops team\nalpha-1\n\n  beta-2  \n").unwrap();
        let tokens = Tokens::load(Some(&file), Some("gamma-3,delta-4"))
            .unwrap()
            .unwrap();
        assert_eq!(tokens.len(), 4);
        for t in ["alpha-1", "beta-2", "gamma-3", "delta-4"] {
            assert!(tokens.accepts(t), "{t}");
        }
        for t in ["", "alpha", "alpha-1 ", "# ops team", "ALPHA-1"] {
            assert!(!tokens.accepts(t), "{t:?}");
        }
        assert!(Tokens::load(None, None).unwrap().is_none());
    }

    #[test]
    fn an_empty_or_unreadable_source_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        std::fs::write(&file, "# nothing yet\n\n").unwrap();
        let e = Tokens::load(Some(&file), None).unwrap_err().to_string();
        assert!(
            e.contains("--tokens-file") && e.contains("holds no token"),
            "{e}"
        );
        let e = Tokens::load(None, Some(" , ")).unwrap_err().to_string();
        assert!(e.starts_with("WEFT_SERVER_TOKENS holds no token"), "{e}");
        let e = Tokens::load(Some(&dir.path().join("nope")), None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("cannot read --tokens-file"), "{e}");
        std::fs::write(&file, "two words\n").unwrap();
        let e = Tokens::load(Some(&file), None).unwrap_err().to_string();
        assert!(e.contains("token 1: a token has no spaces"), "{e}");
    }

    #[test]
    fn the_header_must_be_a_bearer_token() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer   abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
        assert_eq!(bearer("Bearer "), None);
    }
}
