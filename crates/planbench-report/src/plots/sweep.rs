//! Task accuracy against the nominal accuracy of the simulated discriminator, per planner, with
//! confidence bands and each planner's threshold.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{linear_ticks, Axis};
use super::legend::{draw_legend, Entry, Marker};
use super::{
    accuracy_axis, chart, colored_font, layout, percent, series, Chart, DrawResult, Figure, Labels,
    Series, ACCURACY_DESC,
};
use crate::analysis::{CellSummary, SweepAnalysis};

pub(crate) struct AccuracyVsDiscriminator<'a> {
    pub title: &'a str,
    pub analysis: &'a SweepAnalysis,
}

impl Figure for AccuracyVsDiscriminator<'_> {
    fn stem(&self) -> &'static str {
        "accuracy_vs_discriminator"
    }

    fn size(&self) -> (u32, u32) {
        (1400, 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let options = &self.analysis.options;
        let swept: Vec<&CellSummary> = self
            .analysis
            .cells
            .iter()
            .filter(|c| c.accuracy.is_some())
            .collect();
        let accuracies: Vec<f64> = swept.iter().filter_map(|c| c.accuracy).collect();
        let mut x = Axis::fit(&accuracies, false, None);
        x.ticks = linear_ticks(&x.range, 10);
        let y = accuracy_axis(swept.iter().copied());

        let caption = format!("{}: task accuracy vs discriminator accuracy", self.title);
        let (plot_area, legend_area) = layout(root, &caption)?;
        let x_ticks = |v: &f64| format!("{v:.2}");
        let mut chart = chart(
            &plot_area,
            &x,
            &y,
            Labels {
                caption: None,
                x_desc: "Discriminator accuracy (nominal accuracy of the simulated discriminator)",
                y_desc: ACCURACY_DESC,
                x_ticks: &x_ticks,
            },
        )?;

        let mut entries = Vec::new();
        let mut thresholds_drawn = 0;
        for s in series(self.analysis) {
            let points: Vec<&CellSummary> = s
                .cells
                .iter()
                .copied()
                .filter(|c| c.accuracy.is_some())
                .collect();
            draw_curve(&mut chart, &s, &points)?;
            let threshold = self.analysis.thresholds.iter().find(|t| t.planner == s.key);
            let text = match threshold.map(|t| t.threshold) {
                None => s.name.clone(),
                Some(Some(t)) => format!("{}: threshold {t:.2}", s.name),
                Some(None) => match threshold.and_then(|t| t.examples_needed) {
                    Some(n) => format!("{}: not enough examples to decide (need ≈ {n})", s.name),
                    None => format!("{}: no threshold in range", s.name),
                },
            };
            entries.push(Entry::new(Marker::Line(s.color), text));
            if let Some(t) = threshold.and_then(|t| t.threshold) {
                draw_threshold(&mut chart, &s, t, &x, &y, thresholds_drawn)?;
                thresholds_drawn += 1;
            }
        }
        entries.push(Entry::new(
            Marker::Band(RGBColor(80, 80, 80)),
            format!(
                "shaded band: {:.0}% bootstrap confidence interval of task accuracy",
                100.0 * options.confidence
            ),
        ));
        if !self.analysis.thresholds.is_empty() {
            entries.push(Entry::new(
                Marker::Dashed(BLACK),
                format!(
                    "dashed line: threshold, the lowest discriminator accuracy from which the \
                     planner is significantly better than {} at every higher accuracy (exact \
                     McNemar test, p < {})",
                    options.baseline, options.alpha
                ),
            ));
        }
        draw_legend(&legend_area, &entries)
    }
}

/// Confidence band, line and markers of one planner.
fn draw_curve<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: &Series<'_>,
    points: &[&CellSummary],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let at = |c: &CellSummary, v: f64| (c.accuracy.unwrap_or(f64::NAN), percent(v));
    let band: Vec<(f64, f64)> = points
        .iter()
        .map(|c| at(c, c.task_accuracy.lo))
        .chain(points.iter().rev().map(|c| at(c, c.task_accuracy.hi)))
        .collect();
    chart.draw_series(std::iter::once(Polygon::new(
        band,
        s.color.mix(0.15).filled(),
    )))?;
    chart.draw_series(LineSeries::new(
        points.iter().map(|c| at(c, c.task_accuracy.mean)),
        s.color.stroke_width(2),
    ))?;
    chart.draw_series(
        points
            .iter()
            .map(|c| Circle::new(at(c, c.task_accuracy.mean), 4, s.color.filled())),
    )?;
    Ok(())
}

/// Vertical dashed line at threshold `t` with a label; `row` stacks labels from the top.
fn draw_threshold<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: &Series<'_>,
    t: f64,
    x: &Axis,
    y: &Axis,
    row: u32,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart.draw_series(std::iter::once(DashedPathElement::new(
        [(t, y.range.start), (t, y.range.end)],
        8,
        5,
        s.color.stroke_width(2),
    )))?;
    let right_half = t > (x.range.start + x.range.end) / 2.0;
    let offset = 0.006 * (x.range.end - x.range.start);
    let (label_x, h) = if right_half {
        (t - offset, HPos::Right)
    } else {
        (t + offset, HPos::Left)
    };
    let height = y.range.end - y.range.start;
    let label_y = y.range.end - height * (0.02 + 0.05 * f64::from(row));
    chart.draw_series(std::iter::once(Text::new(
        format!("{} ≥ {t:.2}", s.key),
        (label_x, label_y),
        colored_font(15, s.color).pos(Pos::new(h, VPos::Top)),
    )))?;
    Ok(())
}
