//! Ids in URL paths: the API's client and the web UI put workflow, run and schedule
//! ids into paths, where each must stay one segment.

/// `id` as one path segment: every byte but the unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) percent-encoded, so an id may hold `/`, `?`, spaces, markup.
///
/// ```
/// assert_eq!(weft_api::paths::segment("batch-1/item-3"), "batch-1%2Fitem-3");
/// assert_eq!(weft_api::paths::segment("<b> x"), "%3Cb%3E%20x");
/// ```
pub fn segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
