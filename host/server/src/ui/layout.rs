//! The page shell (head, navigation, footer) and the small pieces every page shows:
//! status badges, times, durations, links to executions, the CSRF field.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::assets::href;
use super::guard::Viewer;
use crate::api::types::ExecutionStatus;

/// Where a page sits in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Executions,
    Batches,
    Schedules,
    Modules,
    Start,
    Import,
}

/// A whole page: head, navigation, `body`.
pub(crate) fn page(viewer: &Viewer, section: Section, title: &str, body: Markup) -> Markup {
    let nav = [
        (Section::Executions, "/ui/executions", "Executions"),
        (Section::Batches, "/ui/batches", "Batches"),
        (Section::Schedules, "/ui/schedules", "Schedules"),
        (Section::Modules, "/ui/modules", "Modules"),
        (Section::Start, "/ui/start", "Start a workflow"),
        (Section::Import, "/ui/import", "Import a history"),
    ];
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                header.top {
                    a.brand href="/ui/executions" { "weft" }
                    nav {
                        @for (s, path, name) in nav {
                            @if !matches!(s, Section::Start | Section::Import) || !viewer.read_only {
                                a class=[(s == section).then_some("active")] href=(path) { (name) }
                            }
                        }
                    }
                    @if viewer.read_only { span.badge.muted { "read-only" } }
                    @if viewer.logged_in {
                        form method="post" action="/ui/logout" {
                            (csrf_field(viewer))
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page without navigation (login, errors).
pub(crate) fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body { main { h1 { (title) } (body) } }
        }
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="htmx-config" content=r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}"#;
            title { (title) " · weft" }
            link rel="stylesheet" href=(href("app.css"));
            script src=(href("htmx.min.js")) defer {}
            script src=(href("app.js")) defer {}
        }
    }
}

/// The hidden field every form that posts carries.
pub(crate) fn csrf_field(viewer: &Viewer) -> Markup {
    html! { input type="hidden" name="csrf" value=(viewer.csrf); }
}

/// `id` as one path segment (a `/` in a workflow id becomes `%2F`).
pub(crate) use weft_api::paths::segment;

/// `text` for a query string value.
pub(crate) fn query_value(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The page of execution `id` (a workflow id or a run id).
pub(crate) fn execution_href(id: &str) -> String {
    format!("/ui/executions/{}", segment(id))
}

pub(crate) fn status_badge(status: ExecutionStatus) -> Markup {
    let name = status_name(status);
    html! { span.badge.(name) { (name) } }
}

/// The status as the UI and the API's JSON name it (`running`, `timed-out`, …).
pub(crate) fn status_name(status: ExecutionStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', "-")))
        .unwrap_or_else(|| format!("{status:?}").to_lowercase())
}

/// A time in UTC, to the second, in a `<time>` element.
pub(crate) fn time(ms: u64) -> Markup {
    html! { time datetime=(rfc3339(ms)) { (utc(ms)) } }
}

pub(crate) fn utc(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| format!("{ms} ms"))
}

fn rfc3339(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// A duration for people: `850 ms`, `12.3 s`, `4 min 5 s`, `3 h 2 min`, `12 d 4 h`.
pub(crate) fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        60_000..3_600_000 => format!("{} min {} s", s / 60, s % 60),
        3_600_000..86_400_000 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

/// A JSON value, pretty-printed, in a `<pre>`.
pub(crate) fn json_block(value: &serde_json::Value) -> Markup {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    html! { pre.json { (text) } }
}

/// Text cut to `max` characters, with an ellipsis when cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A non-breaking separator for inline lists.
pub(crate) fn dot() -> Markup {
    PreEscaped(" · ".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_one_path_segment() {
        assert_eq!(segment("batch-1/item-3"), "batch-1%2Fitem-3");
        assert_eq!(segment("<script>x"), "%3Cscript%3Ex");
        assert_eq!(segment("a b?c#d"), "a%20b%3Fc%23d");
        assert_eq!(segment("plain_id-1.2~"), "plain_id-1.2~");
    }

    #[test]
    fn durations_read_like_a_person_says_them() {
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(12_300), "12.3 s");
        assert_eq!(duration(245_000), "4 min 5 s");
        assert_eq!(duration(3 * 86_400_000 + 7_200_000), "3 d 2 h");
        assert_eq!(truncate("abcdef", 3), "abc…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
