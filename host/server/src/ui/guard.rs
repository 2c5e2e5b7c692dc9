//! Who may see the UI and who may act through it.
//!
//! * **Sessions.** A session is a cookie `weft_session` (HttpOnly, SameSite=Strict,
//!   `Path=/ui/`, `Secure` with TLS) signed with a key made at start: `kind.expiry.nonce.sig`,
//!   where `sig` is HMAC-SHA256 of the rest. Nothing is stored: a restart logs everyone
//!   out. Without tokens every browser gets an anonymous session on its first page (it
//!   carries the CSRF secret); with tokens, only `POST /ui/login` with an accepted token
//!   makes one, and every page without one redirects to the login page. A request with
//!   an accepted `Authorization: Bearer` header passes too (a proxy that injects one).
//!   The JSON API never reads the cookie.
//! * **Forged posts.** Every POST must come from the same origin (`Sec-Fetch-Site`,
//!   `Origin`) and carry the form field `csrf`, an HMAC of the session cookie; a
//!   SameSite=Strict cookie is not even sent with a cross-site form.
//! * **Read-only.** With `--ui-read-only` every POST but login and logout is 403.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::html;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::layout;
use crate::api::auth::Tokens;
use std::sync::Arc;

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "weft_session";
/// How long a login lasts.
const LOGIN_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// How long an anonymous session (no tokens) lasts.
const ANONYMOUS_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// Largest form a POST may carry (a signal's or update's input included).
const FORM_LIMIT: usize = 4 << 20;

/// The UI's access rules and the key that signs its cookies.
pub(crate) struct Guard {
    key: [u8; 32],
    tokens: Option<Tokens>,
    pub(crate) read_only: bool,
    secure: bool,
}

/// What a page needs to know about who asks: the CSRF token its forms carry, whether
/// actions are shown, whether a logout button is.
#[derive(Debug, Clone)]
pub(crate) struct Viewer {
    pub(crate) csrf: String,
    pub(crate) read_only: bool,
    pub(crate) logged_in: bool,
}

impl Guard {
    pub(crate) fn new(tokens: Option<Tokens>, read_only: bool, secure: bool) -> Guard {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Guard {
            key,
            tokens,
            read_only,
            secure,
        }
    }

    /// A new session cookie's value: `kind` is `login` or `anon`.
    fn session(&self, kind: &str, lifetime: Duration) -> String {
        let expires = unix_now() + lifetime.as_secs();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let unsigned = format!("{kind}.{expires}.{nonce}");
        format!("{unsigned}.{}", hex(&hmac(&self.key, unsigned.as_bytes())))
    }

    /// The kind of a session cookie that this server signed and that has not expired.
    fn verify<'a>(&self, cookie: &'a str) -> Option<&'a str> {
        let (unsigned, sig) = cookie.rsplit_once('.')?;
        let expected = hex(&hmac(&self.key, unsigned.as_bytes()));
        if !bool::from(expected.as_bytes().ct_eq(sig.as_bytes())) {
            return None;
        }
        let mut parts = unsigned.split('.');
        let kind = parts.next()?;
        let expires: u64 = parts.next()?.parse().ok()?;
        (expires > unix_now()).then_some(kind)
    }

    /// The CSRF token of a session.
    fn csrf(&self, session: &str) -> String {
        hex(&hmac(&self.key, format!("csrf:{session}").as_bytes()))
    }

    fn set_cookie(&self, value: &str, lifetime: Duration) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}={value}; Path=/ui/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            lifetime.as_secs()
        ))
        .expect("a cookie of ASCII")
    }

    fn bearer_accepted(&self, headers: &HeaderMap) -> bool {
        let (Some(tokens), Some(value)) = (&self.tokens, headers.get(AUTHORIZATION)) else {
            return false;
        };
        let Ok(value) = value.to_str() else {
            return false;
        };
        match value.trim().split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                tokens.accepts(token.trim())
            }
            _ => false,
        }
    }
}

/// Middleware over every UI route: sessions, login, forged posts, read-only mode; and
/// the headers every UI answer carries.
pub(crate) async fn check(
    State(guard): State<Arc<Guard>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = admit(&guard, request, next).await;
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-security-policy", super::assets::CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key("cache-control") {
        headers.insert("cache-control", HeaderValue::from_static("no-store"));
    }
    response
}

async fn admit(guard: &Guard, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let open = path.starts_with("/ui/assets/") || path == "/ui/login";
    let session = cookie(request.headers(), SESSION_COOKIE).filter(|c| {
        guard
            .verify(c)
            .is_some_and(|kind| guard.tokens.is_none() || kind == "login")
    });
    let bearer = guard.bearer_accepted(request.headers());
    if guard.tokens.is_some() && session.is_none() && !bearer && !open {
        if request.method() == Method::GET {
            return Redirect::to("/ui/login").into_response();
        }
        return refuse(
            StatusCode::UNAUTHORIZED,
            "log in first: this server requires a token",
        );
    }
    // Without tokens, a browser's first page opens an anonymous session for its CSRF
    // secret.
    let new_session = (session.is_none() && guard.tokens.is_none() && !bearer)
        .then(|| guard.session("anon", ANONYMOUS_LIFETIME));
    let session = session
        .map(str::to_string)
        .or_else(|| new_session.clone())
        .unwrap_or_default();
    let viewer = Viewer {
        csrf: guard.csrf(&session),
        read_only: guard.read_only,
        logged_in: guard.tokens.is_some(),
    };
    let mut request = request;
    if request.method() == Method::POST && path != "/ui/login" {
        if guard.read_only && path != "/ui/logout" {
            return refuse(
                StatusCode::FORBIDDEN,
                "this server's UI is read-only (--ui-read-only)",
            );
        }
        if let Some(reason) = cross_site(request.headers()) {
            return refuse(StatusCode::FORBIDDEN, reason);
        }
        if !bearer {
            request = match with_csrf_checked(request, &viewer.csrf).await {
                Ok(request) => request,
                Err(refusal) => return refusal,
            };
        }
    }
    request.extensions_mut().insert(viewer);
    let mut response = next.run(request).await;
    if let Some(value) = new_session {
        response
            .headers_mut()
            .append(SET_COOKIE, guard.set_cookie(&value, ANONYMOUS_LIFETIME));
    }
    response
}

/// Why a request comes from another site, if it does. A browser that hides the origin
/// (`Origin: null`, as from a sandboxed frame) must say it is the same origin through
/// `Sec-Fetch-Site`.
fn cross_site(headers: &HeaderMap) -> Option<&'static str> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let site = header("sec-fetch-site");
    if site.is_some_and(|site| site != "same-origin" && site != "none") {
        return Some("refused: the form was posted from another site");
    }
    match (header(ORIGIN.as_str()), header(HOST.as_str())) {
        (Some("null"), _) if site != Some("same-origin") => {
            Some("refused: the form was posted from an unknown origin")
        }
        (Some("null"), _) => None,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h);
            (origin_host != host).then_some("refused: the form was posted from another origin")
        }
        _ => None,
    }
}

/// The request again, once its form's `csrf` field matched `expected`.
async fn with_csrf_checked(request: Request, expected: &str) -> Result<Request, Response> {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| refuse(StatusCode::PAYLOAD_TOO_LARGE, "the form is too large"))?;
    let presented = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if !bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(refuse(
            StatusCode::FORBIDDEN,
            "refused: the form's CSRF token is missing or stale; reload the page and try again",
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn refuse(status: StatusCode, message: &str) -> Response {
    super::UiError::new(status, message).into_response()
}

/// The value of cookie `name` in a request's headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub(crate) async fn login_page(State(ui): State<super::Ui>) -> Response {
    if ui.guard.tokens.is_none() {
        return Redirect::to("/ui/executions").into_response();
    }
    login_form(None).into_response()
}

fn login_form(error: Option<&str>) -> maud::Markup {
    layout::bare(
        "Log in",
        html! {
            form.login method="post" action="/ui/login" {
                h1 { "weft" }
                @if let Some(error) = error { div.error role="alert" { (error) } }
                label for="token" { "Token" }
                input #token type="password" name="token" autocomplete="current-password" required autofocus;
                button type="submit" { "Log in" }
            }
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    token: String,
}

pub(crate) async fn login(
    State(ui): State<super::Ui>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let guard = &ui.guard;
    let Some(tokens) = &guard.tokens else {
        return Redirect::to("/ui/executions").into_response();
    };
    if let Some(reason) = cross_site(&headers) {
        return refuse(StatusCode::FORBIDDEN, reason);
    }
    if !tokens.accepts(form.token.trim()) {
        let page = login_form(Some("That token is not one this server accepts."));
        return (StatusCode::UNAUTHORIZED, page).into_response();
    }
    let session = guard.session("login", LOGIN_LIFETIME);
    let mut response = Redirect::to("/ui/executions").into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, guard.set_cookie(&session, LOGIN_LIFETIME));
    response
}

pub(crate) async fn logout(State(ui): State<super::Ui>, _: Extension<Viewer>) -> Response {
    let mut response = Redirect::to("/ui/login").into_response();
    response
        .headers_mut()
        .insert(SET_COOKIE, ui.guard.set_cookie("", Duration::ZERO));
    response
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// HMAC-SHA256 (RFC 2104) of `message` under a 32-byte key.
fn hmac(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    let mut inner_pad = [0x36u8; 64];
    let mut outer_pad = [0x5cu8; 64];
    for (i, k) in key.iter().enumerate() {
        inner_pad[i] ^= k;
        outer_pad[i] ^= k;
    }
    let inner = Sha256::new()
        .chain_update(inner_pad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(outer_pad)
        .chain_update(inner)
        .finalize()
        .into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_and_sessions_verify_only_when_signed() {
        // RFC 4231 test case 1: a 20-byte key, which HMAC pads with zeros to the block
        // as this 32-byte key is.
        let mut key = [0u8; 32];
        key[..20].copy_from_slice(&[0x0b; 20]);
        assert_eq!(
            hex(&hmac(&key, b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );

        let guard = Guard::new(Some(Tokens::new(["t1"])), false, false);
        let session = guard.session("login", LOGIN_LIFETIME);
        assert_eq!(guard.verify(&session), Some("login"));
        let forged = session.replacen("login", "anon", 1);
        assert_eq!(guard.verify(&forged), None);
        let other = Guard::new(None, false, false);
        assert_eq!(other.verify(&session), None, "another server's key");
        assert_ne!(guard.csrf(&session), guard.csrf(&forged));
        let expired = {
            let unsigned = format!("login.{}.n", unix_now() - 1);
            format!("{unsigned}.{}", hex(&hmac(&guard.key, unsigned.as_bytes())))
        };
        assert_eq!(guard.verify(&expired), None);
    }

    #[test]
    fn cross_site_posts_are_recognised() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("127.0.0.1:7233"));
        assert_eq!(cross_site(&headers), None);
        headers.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:7233"));
        assert_eq!(cross_site(&headers), None);
        headers.insert(ORIGIN, HeaderValue::from_static("http://evil.example"));
        assert!(cross_site(&headers).is_some());
        headers.remove(ORIGIN);
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(cross_site(&headers).is_some());
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert_eq!(cross_site(&headers), None);
        headers.insert(ORIGIN, HeaderValue::from_static("null"));
        assert_eq!(cross_site(&headers), None);
        headers.remove("sec-fetch-site");
        assert!(
            cross_site(&headers).is_some(),
            "a hidden origin must say same-origin"
        );
    }
}
