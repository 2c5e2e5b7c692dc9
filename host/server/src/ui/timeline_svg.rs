//! The timeline drawn as SVG: one `<g class="row">` per row with `data-kind`,
//! `data-seq` and `data-outcome`, an accessible name and a native tooltip; labels on
//! the left, bars on the right with x in percent of the width (responsive without
//! script; idle stretches collapsed by [`Scale`]); backoffs red, pending spans faded, a
//! timer's planned firing dashed.

use maud::{html, Markup};

use super::layout::{duration, execution_href};
use super::timeline::{Row, Timeline};
use super::timeline_scale::Scale;

const ROW_HEIGHT: u64 = 24;
const AXIS_HEIGHT: u64 = 22;
const BAR_HEIGHT: u64 = 14;
/// Where the bars start, in percent of the width (the labels take the rest).
const LABELS: f64 = 28.0;

/// The chart of `timeline`; `show_idle` draws idle stretches at their real length.
pub(crate) fn render(timeline: &Timeline, show_idle: bool) -> Markup {
    let scale = Scale::new(timeline, show_idle);
    let span = timeline.end_ms.saturating_sub(timeline.start_ms).max(1);
    let height = AXIS_HEIGHT + ROW_HEIGHT * timeline.rows.len() as u64 + 4;
    let label = format!(
        "Timeline: {} rows over {}",
        timeline.rows.len(),
        duration(span)
    );
    let chart = |x: f64| LABELS + (100.0 - LABELS) * x / 100.0;
    html! {
        svg.timeline xmlns="http://www.w3.org/2000/svg" width="100%" height=(height) role="img" aria-label=(label) {
            g.axis {
                @for i in 0..=4u32 {
                    @let x = 25.0 * f64::from(i);
                    line x1=(pct(chart(x))) x2=(pct(chart(x))) y1=(AXIS_HEIGHT - 4) y2=(height) {}
                    text x=(pct(chart(x))) y="14" text-anchor=(match i { 0 => "start", 4 => "end", _ => "middle" }) {
                        "+" (duration(scale.time_at(x).saturating_sub(timeline.start_ms)))
                    }
                }
                @for (from, to, x0, x1) in scale.collapsed() {
                    rect.idle x=(pct(chart(x0))) width=(pct(chart(x1) - chart(x0))) y=(AXIS_HEIGHT - 4) height=(height) {
                        title { "idle for " (duration(to - from)) }
                    }
                    text.idle x=(pct(chart((x0 + x1) / 2.0))) y=(AXIS_HEIGHT + 8) text-anchor="middle" { "⋯ " (duration(to - from)) " ⋯" }
                }
            }
            @for (i, row) in timeline.rows.iter().enumerate() {
                (render_row(timeline, &scale, row, AXIS_HEIGHT + ROW_HEIGHT * i as u64))
            }
        }
    }
}

fn render_row(timeline: &Timeline, scale: &Scale, row: &Row, y: u64) -> Markup {
    let at = |ms: u64| pct(scale.at(ms));
    let from = scale.at(row.from_ms);
    let to = scale.at(row.to_ms.unwrap_or(timeline.end_ms));
    let width = (to - from).max(0.4);
    let bar_y = y + (ROW_HEIGHT - BAR_HEIGHT) / 2;
    let described = row.describe(timeline.end_ms);
    let mut title = described.clone();
    for mark in &row.marks {
        title.push_str(&format!(
            "\n+{}: {}",
            duration(mark.at_ms.saturating_sub(timeline.start_ms)),
            mark.title
        ));
    }
    html! {
        g.row data-kind=(row.kind) data-seq=(row.seq) data-outcome=(row.outcome) data-local=[row.local.then_some("true")]
            role="img" aria-label=(described) {
            title { (title) }
            text x="4" y=(y + 16) {
                @if let Some(run) = &row.child_run {
                    a href=(execution_href(run)) { (short(&row.label)) }
                } @else {
                    (short(&row.label))
                }
            }
            svg x=(pct(LABELS)) width=(pct(100.0 - LABELS)) y="0" height=(y + ROW_HEIGHT) overflow="visible" {
                rect.bar.pending[row.to_ms.is_none()] x=(pct(from)) y=(bar_y) width=(pct(width)) height=(BAR_HEIGHT) rx="2" {}
                @for (start, end) in &row.backoffs {
                    rect.backoff x=(at(*start)) y=(bar_y) width=(pct((scale.at(*end) - scale.at(*start)).max(0.2))) height=(BAR_HEIGHT) {}
                }
                @if let (Some(planned), None) = (row.planned_ms, row.to_ms) {
                    @if planned <= timeline.end_ms {
                        line.planned x1=(at(planned)) x2=(at(planned)) y1=(bar_y - 2) y2=(bar_y + BAR_HEIGHT + 2) {}
                    }
                }
                @if row.to_ms.is_some() {
                    rect class=(format!("end {}", row.outcome)) x=(pct(to)) y=(bar_y) width="3" height=(BAR_HEIGHT) transform="translate(-3 0)" {}
                }
                @for mark in &row.marks {
                    circle class=(format!("mark {}", mark.kind)) cx=(at(mark.at_ms)) cy=(bar_y + BAR_HEIGHT / 2) r="4" {
                        title { (mark.title) }
                    }
                }
            }
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.3}%", x.clamp(0.0, 100.0))
}

fn short(label: &str) -> String {
    super::layout::truncate(label, 34)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::timeline::model;

    #[test]
    fn rows_carry_their_kind_and_seq_and_text_is_escaped() {
        let events: Vec<crate::history::Event> = serde_json::from_value(serde_json::json!([
            {"ExecutionStarted": {"workflow_type": "<b>wf</b>", "workflow_id": "x", "run_id": "r",
                "module_digest": "d", "time_ms": 1000}},
            {"TaskStarted": {"time_ms": 1000}},
            {"Command": {"command": {"StartTimer": {"seq": 3, "duration_ms": 60000}}, "location": null}},
        ]))
        .expect("events in their serde shape");
        let svg = render(&model(&events, 31_000, None), false).into_string();
        assert!(svg.starts_with(r#"<svg class="timeline""#), "{svg}");
        assert!(
            svg.contains(r#"data-kind="workflow" data-seq="0""#),
            "{svg}"
        );
        assert!(
            svg.contains(r#"data-kind="timer" data-seq="3" data-outcome="pending""#),
            "{svg}"
        );
        assert!(
            svg.contains("&lt;b&gt;wf&lt;/b&gt;") && !svg.contains("<b>wf"),
            "{svg}"
        );
        assert!(
            svg.contains("+30.0 s"),
            "the axis spans the run so far: {svg}"
        );
    }
}
