//! The UI's static files, embedded in the binary: htmx (vendored, BSD-0, see
//! `assets/htmx.LICENSE`), `app.js` and `app.css`. Pages link them with `?v=` and a
//! digest of their bytes, so they can be cached forever.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// The content security policy of every UI answer: nothing but this server's own
/// scripts, styles and images; no inline script, no eval, no frames.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; \
    form-action 'self'";

const FILES: [(&str, &str, &[u8]); 3] = [
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/htmx.min.js"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("assets/app.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_bytes!("assets/app.css"),
    ),
];

/// The path a page links `name` by: its digest changes whenever its bytes do.
pub(crate) fn href(name: &str) -> String {
    static VERSION: OnceLock<String> = OnceLock::new();
    let version = VERSION.get_or_init(|| {
        let mut digest = Sha256::new();
        for (_, _, bytes) in FILES {
            digest.update(bytes);
        }
        digest.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    });
    format!("/ui/assets/{name}?v={version}")
}

pub(crate) async fn serve(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => (
            [
                (CONTENT_TYPE, *content_type),
                (CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}
