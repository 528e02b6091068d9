//! Task accuracy against mean cost per example (seconds and LLM calls), with error bars,
//! dodged series and nudged accuracy labels (drawn by [`super::scatter`]).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::Axis;
use super::legend::{draw_legend, Entry, Marker};
use super::scatter::{
    draw_error_bars, draw_labels, draw_lines, draw_markers, pixel_points, DataPoint,
};
use super::style::SeriesStyle;
use super::{
    accuracy_axis, chart, layout, series, Chart, DrawResult, Figure, Labels, Pixels, Series,
    ACCURACY_DESC,
};
use crate::analysis::{CellSummary, SweepAnalysis};

/// A cost axis becomes logarithmic when its values span this factor.
pub(crate) const LOG_SPAN: f64 = 20.0;

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
            let chart = chart(
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
            draw_cost_points(
                &chart,
                &all_series,
                &x,
                measure.value,
                self.analysis.is_sweep,
            )?;
        }

        let mut entries: Vec<Entry> = all_series
            .iter()
            .map(|s| {
                let marker = if self.analysis.is_sweep {
                    Marker::Series(s.style)
                } else {
                    Marker::Point(s.style)
                };
                Entry::new(marker, s.name.clone())
            })
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
                "number by a point: nominal discriminator accuracy of that run (a thin line leads \
                 to it where it had to move aside); lines join one planner's runs in order of \
                 discriminator accuracy; where planners share a column they are drawn slightly \
                 apart sideways",
            ));
        }
        draw_legend(&legend_area, &entries)
    }
}

/// The points of every series on one cost measure, labelled with their nominal discriminator
/// accuracy in a sweep.
fn data_points(
    all_series: &[Series<'_>],
    cost: fn(&CellSummary) -> f64,
    is_sweep: bool,
) -> Vec<Vec<DataPoint>> {
    all_series
        .iter()
        .map(|s| {
            s.cells
                .iter()
                .map(|c| DataPoint {
                    x: cost(c),
                    accuracy: c.task_accuracy,
                    label: c
                        .accuracy
                        .filter(|_| is_sweep)
                        .map(|acc| format!("{acc:.2}")),
                    ringed: false,
                })
                .collect()
        })
        .collect()
}

/// Error bars, lines (sweeps), markers and nudged accuracy labels of one panel.
fn draw_cost_points<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    all_series: &[Series<'_>],
    x: &Axis,
    cost: fn(&CellSummary) -> f64,
    is_sweep: bool,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let pixels = Pixels::of(chart);
    let area = &pixels.area;
    let (points, _) = pixel_points(chart, &data_points(all_series, cost, is_sweep), x);
    let styles: Vec<SeriesStyle> = all_series.iter().map(|s| s.style).collect();
    draw_error_bars(area, &styles, &points)?;
    if is_sweep {
        draw_lines(area, &styles, &points)?;
    }
    draw_markers(area, &styles, &points)?;
    draw_labels(area, &styles, &points)
}
