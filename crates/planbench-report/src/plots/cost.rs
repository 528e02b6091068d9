//! Cost plots: task accuracy against mean cost per example, and the distribution of seconds
//! per example.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Axis;
use super::legend::{draw_legend, Entry, Marker};
use super::{
    accuracy_axis, chart, colored_font, layout, percent, series, Chart, DrawResult, Figure, Labels,
    Series, ACCURACY_DESC,
};
use crate::analysis::{CellSummary, SweepAnalysis};
use crate::stats::quantile_sorted;

/// A cost axis becomes logarithmic when its values span this factor.
const LOG_SPAN: f64 = 20.0;

pub(crate) struct AccuracyVsCost<'a> {
    pub title: &'a str,
    pub analysis: &'a SweepAnalysis,
}

/// One cost measure: panel caption, axis description, and how to read it off a cell.
struct Measure {
    caption: &'static str,
    desc: &'static str,
    value: fn(&CellSummary) -> f64,
}

const MEASURES: [Measure; 2] = [
    Measure {
        caption: "Accuracy vs time",
        desc: "Wall-clock seconds per example",
        value: |c| c.seconds,
    },
    Measure {
        caption: "Accuracy vs LLM calls",
        desc: "LLM calls per example",
        value: |c| c.llm_calls,
    },
];

impl Figure for AccuracyVsCost<'_> {
    fn stem(&self) -> &'static str {
        "accuracy_vs_cost"
    }

    fn size(&self) -> (u32, u32) {
        (1600, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let caption = format!("{}: task accuracy vs cost per example", self.title);
        let (plot_area, legend_area) = layout(root, &caption)?;
        let all_series = series(self.analysis);
        let y = accuracy_axis(self.analysis.cells.iter());
        for (panel, measure) in plot_area.split_evenly((1, 2)).iter().zip(&MEASURES) {
            let costs: Vec<f64> = self.analysis.cells.iter().map(measure.value).collect();
            let x = Axis::fit(&costs, true, Some(LOG_SPAN));
            let x_desc = if x.log {
                format!("{} (log scale)", measure.desc)
            } else {
                measure.desc.to_string()
            };
            let x_ticks = |v: &f64| x.label(*v);
            let mut chart = chart(
                panel,
                &x,
                &y,
                Labels {
                    caption: Some(measure.caption),
                    x_desc: &x_desc,
                    y_desc: ACCURACY_DESC,
                    x_ticks: &x_ticks,
                },
            )?;
            for s in &all_series {
                draw_cost_points(&mut chart, s, &x, measure.value, self.analysis.is_sweep)?;
            }
        }

        let mut entries: Vec<Entry> = all_series
            .iter()
            .map(|s| Entry::new(Marker::Dot(s.color), s.name.clone()))
            .collect();
        entries.push(Entry::new(
            Marker::Whisker,
            format!(
                "vertical bar: {:.0}% bootstrap confidence interval of task accuracy",
                100.0 * self.analysis.options.confidence
            ),
        ));
        if self.analysis.is_sweep {
            entries.push(Entry::new(
                Marker::Sample("0.90".into()),
                "number by a point: nominal discriminator accuracy of that run; lines join one \
                 planner's runs in order of discriminator accuracy",
            ));
        }
        draw_legend(&legend_area, &entries)
    }
}

fn draw_cost_points<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: &Series<'_>,
    x: &Axis,
    cost: fn(&CellSummary) -> f64,
    is_sweep: bool,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let color = s.color;
    let point = |c: &CellSummary| (x.map(cost(c)), percent(c.task_accuracy.mean));
    if is_sweep {
        chart.draw_series(LineSeries::new(
            s.cells.iter().map(|c| point(c)),
            color.mix(0.5).stroke_width(1),
        ))?;
    }
    chart.draw_series(s.cells.iter().map(|c| {
        let px = x.map(cost(c));
        PathElement::new(
            [
                (px, percent(c.task_accuracy.lo)),
                (px, percent(c.task_accuracy.hi)),
            ],
            color.mix(0.7).stroke_width(1),
        )
    }))?;
    chart.draw_series(
        s.cells
            .iter()
            .map(|c| Circle::new(point(c), 5, color.filled())),
    )?;
    if is_sweep {
        chart.draw_series(s.cells.iter().filter_map(|c| {
            Some(Text::new(
                format!("{:.2}", c.accuracy?),
                point(c),
                colored_font(12, color).pos(Pos::new(HPos::Left, VPos::Bottom)),
            ))
        }))?;
    }
    Ok(())
}

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
