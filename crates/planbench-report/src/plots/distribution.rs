//! The distribution of seconds per example: one Tukey box plot per planner (sweep) or run.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::Axis;
use super::cost::LOG_SPAN;
use super::legend::{draw_legend, Entry, Marker};
use super::{chart, layout, series, Chart, DrawResult, Figure, Labels};
use crate::analysis::SweepAnalysis;
use crate::stats::quantile_sorted;

/// Tukey box-plot statistics of one sample.
struct BoxStats {
    q1: f64,
    median: f64,
    q3: f64,
    mean: f64,
    whisker_lo: f64,
    whisker_hi: f64,
    outliers: Vec<f64>,
}

impl BoxStats {
    fn of(values: &[f64]) -> Option<BoxStats> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        if sorted.is_empty() {
            return None;
        }
        let q1 = quantile_sorted(&sorted, 0.25);
        let q3 = quantile_sorted(&sorted, 0.75);
        let fence = 1.5 * (q3 - q1);
        let inside = |v: &&f64| **v >= q1 - fence && **v <= q3 + fence;
        Some(BoxStats {
            q1,
            median: quantile_sorted(&sorted, 0.5),
            q3,
            mean: sorted.iter().sum::<f64>() / sorted.len() as f64,
            whisker_lo: sorted.iter().find(inside).copied().unwrap_or(q1),
            whisker_hi: sorted.iter().rev().find(inside).copied().unwrap_or(q3),
            outliers: sorted.iter().filter(|v| !inside(v)).copied().collect(),
        })
    }
}

pub(crate) struct CostDistribution<'a> {
    pub title: &'a str,
    pub analysis: &'a SweepAnalysis,
}

impl Figure for CostDistribution<'_> {
    fn stem(&self) -> &'static str {
        "cost_distribution"
    }

    fn size(&self) -> (u32, u32) {
        (1400, 750)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let all_series = series(self.analysis);
        let samples: Vec<Vec<f64>> = all_series
            .iter()
            .map(|s| {
                s.cells
                    .iter()
                    .flat_map(|c| c.seconds_per_example.iter().copied())
                    .collect()
            })
            .collect();
        let everything: Vec<f64> = samples.iter().flatten().copied().collect();
        let y = Axis::fit(&everything, true, Some(LOG_SPAN));
        let n = all_series.len();
        let x = Axis {
            log: false,
            range: -0.6..(n as f64 - 0.4),
            ticks: (0..n).map(|i| i as f64).collect(),
        };
        let names: Vec<String> = all_series
            .iter()
            .zip(&samples)
            .map(|(s, values)| format!("{} (n = {})", s.name, values.len()))
            .collect();
        let x_ticks = |v: &f64| names.get(v.round() as usize).cloned().unwrap_or_default();
        let y_desc = if y.log {
            "Wall-clock seconds per example (log scale)"
        } else {
            "Wall-clock seconds per example"
        };
        let caption = format!("{}: distribution of seconds per example", self.title);
        let (plot_area, legend_area) = layout(root, &caption)?;
        let mut chart = chart(
            &plot_area,
            &x,
            &y,
            Labels {
                caption: None,
                x_desc: if self.analysis.is_sweep {
                    "Planner (examples of all discriminator accuracies pooled; n = examples)"
                } else {
                    "Run (n = examples)"
                },
                y_desc,
                x_ticks: &x_ticks,
            },
        )?;
        for (i, (s, values)) in all_series.iter().zip(&samples).enumerate() {
            if let Some(stats) = BoxStats::of(values) {
                draw_box(&mut chart, i as f64, &stats, s.color, &y)?;
            }
        }
        let gray = RGBColor(90, 90, 90);
        let entries = [
            Entry::new(
                Marker::Box,
                "box: 25th to 75th percentile; thick line: median",
            ),
            Entry::new(
                Marker::Whisker,
                "whiskers: furthest example within 1.5 × the interquartile range of the box",
            ),
            Entry::new(Marker::Ring(gray), "circles: examples beyond the whiskers"),
            Entry::new(Marker::Cross, "cross: mean"),
        ];
        draw_legend(&legend_area, &entries)
    }
}

fn draw_box<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    at: f64,
    stats: &BoxStats,
    color: RGBColor,
    y: &Axis,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    const HALF: f64 = 0.3;
    let v = |value: f64| y.map(value);
    let corners = [(at - HALF, v(stats.q1)), (at + HALF, v(stats.q3))];
    chart.draw_series([
        Rectangle::new(corners, color.mix(0.25).filled()),
        Rectangle::new(corners, color.stroke_width(2)),
    ])?;
    let line = |from: (f64, f64), to: (f64, f64), width: u32| {
        PathElement::new([from, to], color.stroke_width(width))
    };
    let cap = |value: f64| line((at - HALF / 2.0, v(value)), (at + HALF / 2.0, v(value)), 1);
    chart.draw_series([
        line(
            (at - HALF, v(stats.median)),
            (at + HALF, v(stats.median)),
            3,
        ),
        line((at, v(stats.q1)), (at, v(stats.whisker_lo)), 1),
        line((at, v(stats.q3)), (at, v(stats.whisker_hi)), 1),
        cap(stats.whisker_lo),
        cap(stats.whisker_hi),
    ])?;
    chart.draw_series(
        stats
            .outliers
            .iter()
            .map(|&o| Circle::new((at, v(o)), 3, color.stroke_width(1))),
    )?;
    chart.draw_series(std::iter::once(Cross::new(
        (at, v(stats.mean)),
        6,
        BLACK.stroke_width(2),
    )))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_stats_follow_tukey() {
        let s = BoxStats::of(&[1.0, 2.0, 3.0, 4.0, 5.0, 100.0]).unwrap();
        assert_eq!((s.q1, s.median, s.q3), (2.25, 3.5, 4.75));
        assert_eq!((s.whisker_lo, s.whisker_hi), (1.0, 5.0));
        assert_eq!(s.outliers, [100.0]);
        assert!((s.mean - 115.0 / 6.0).abs() < 1e-12);
        assert!(BoxStats::of(&[]).is_none());
    }
}
