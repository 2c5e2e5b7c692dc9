//! Where a time falls on the timeline's width, with idle stretches collapsed: a
//! stretch in which no row is active (nothing running, backing off or marked), longer
//! than a tenth of the run's span and than a second, takes a fixed sliver of the width
//! instead of its share of time, so a run that slept for days still shows what it did
//! around the sleep.

use super::timeline::Timeline;

/// The width (percent) an idle stretch is drawn with.
const IDLE_WIDTH: f64 = 4.0;
/// Shorter stretches stay as they are.
const IDLE_MIN_MS: u64 = 1000;

/// A piecewise-linear map from time to percent of the width.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Scale {
    /// `(from_ms, to_ms, from_pct, to_pct, idle)`, in order, covering the span.
    pieces: Vec<(u64, u64, f64, f64, bool)>,
}

impl Scale {
    /// The scale of `timeline`: idle stretches collapsed unless `show_idle`.
    pub(crate) fn new(timeline: &Timeline, show_idle: bool) -> Scale {
        let (start, end) = (
            timeline.start_ms,
            timeline.end_ms.max(timeline.start_ms + 1),
        );
        let span = end - start;
        let mut idle = if show_idle {
            Vec::new()
        } else {
            idle_stretches(timeline, start, end)
        };
        let mut idle_ms: u64 = idle.iter().map(|(a, b)| b - a).sum();
        // Nothing but idle time (a run that only waited): real time shows it better.
        if idle_ms >= span {
            (idle, idle_ms) = (Vec::new(), 0);
        }
        let idle_pct = IDLE_WIDTH * idle.len() as f64;
        let per_ms = (100.0 - idle_pct) / (span - idle_ms).max(1) as f64;
        let mut pieces = Vec::new();
        let (mut t, mut x) = (start, 0.0);
        for (a, b) in idle {
            let busy_end = x + (a - t) as f64 * per_ms;
            pieces.push((t, a, x, busy_end, false));
            pieces.push((a, b, busy_end, busy_end + IDLE_WIDTH, true));
            (t, x) = (b, busy_end + IDLE_WIDTH);
        }
        pieces.push((t, end, x, 100.0, false));
        Scale { pieces }
    }

    /// Where `ms` falls, in percent.
    pub(crate) fn at(&self, ms: u64) -> f64 {
        for &(from, to, x0, x1, _) in &self.pieces {
            if ms < to {
                let into = ms.saturating_sub(from) as f64 / (to - from).max(1) as f64;
                return x0 + (x1 - x0) * into;
            }
        }
        100.0
    }

    /// The time at `pct` percent of the width.
    pub(crate) fn time_at(&self, pct: f64) -> u64 {
        for &(from, to, x0, x1, _) in &self.pieces {
            if pct <= x1 {
                let share = if x1 > x0 { (pct - x0) / (x1 - x0) } else { 0.0 };
                return from + ((to - from) as f64 * share.clamp(0.0, 1.0)) as u64;
            }
        }
        self.pieces.last().map_or(0, |p| p.1)
    }

    /// The collapsed stretches: `(from_ms, to_ms, from_pct, to_pct)`.
    pub(crate) fn collapsed(&self) -> impl Iterator<Item = (u64, u64, f64, f64)> + '_ {
        self.pieces
            .iter()
            .filter(|p| p.4)
            .map(|&(a, b, x0, x1, _)| (a, b, x0, x1))
    }
}

/// The stretches of `[start, end]` in which no row is active, long enough to collapse.
fn idle_stretches(timeline: &Timeline, start: u64, end: u64) -> Vec<(u64, u64)> {
    let mut busy: Vec<(u64, u64)> = Vec::new();
    for row in &timeline.rows {
        if row.kind != "workflow" {
            busy.push((row.from_ms, row.to_ms.unwrap_or(end)));
        }
        busy.extend(row.backoffs.iter().copied());
        busy.extend(row.marks.iter().map(|m| (m.at_ms, m.at_ms)));
        if let Some(closed) = row.to_ms {
            busy.push((closed, closed));
        }
    }
    busy.push((start, start));
    busy.push((end, end));
    busy.sort_unstable();
    let least = ((end - start) / 10).max(IDLE_MIN_MS);
    let mut idle = Vec::new();
    let mut reached = start;
    for (from, to) in busy {
        if from > reached && from - reached > least {
            idle.push((reached, from));
        }
        reached = reached.max(to);
    }
    idle
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::timeline::model;

    #[test]
    fn a_long_quiet_stretch_is_collapsed_and_times_map_both_ways() {
        // Started at 0 ms, a signal at 1 s, then nothing until a signal at 10 days.
        let day = 86_400_000;
        let input = serde_json::to_value(crate::contract::Payload::json(&serde_json::json!(1)))
            .expect("a payload");
        let events: Vec<crate::history::Event> = serde_json::from_value(serde_json::json!([
            {"ExecutionStarted": {"workflow_type": "wf", "workflow_id": "x", "run_id": "r",
                "module_digest": "d", "time_ms": 0}},
            {"TaskStarted": {"time_ms": 1000}},
            {"Job": {"Signal": {"name": "a", "input": input}}},
            {"TaskStarted": {"time_ms": 10 * day}},
            {"Job": {"Signal": {"name": "b", "input": input}}},
        ]))
        .expect("events in their serde shape");
        let timeline = model(&events, 10 * day, None);
        let scale = Scale::new(&timeline, false);
        let collapsed: Vec<_> = scale.collapsed().collect();
        assert_eq!(collapsed.len(), 1, "{collapsed:?}");
        assert_eq!((collapsed[0].0, collapsed[0].1), (1000, 10 * day));
        assert!(
            scale.at(1000) > 90.0,
            "the busy second takes the width: {}",
            scale.at(1000)
        );
        assert_eq!(scale.at(10 * day), 100.0);
        assert_eq!(scale.time_at(scale.at(500)), 500);
        let only_waited = model(&events[..1], 10 * day, None);
        assert_eq!(Scale::new(&only_waited, false).collapsed().count(), 0);
        let linear = Scale::new(&timeline, true);
        assert_eq!(linear.collapsed().count(), 0);
        assert!(linear.at(1000) < 0.01);
    }
}
