//! Task accuracy against the nominal accuracy of the simulated discriminator, per planner, with
//! confidence intervals (bands, or error bars where bands would cover the plot) and each
//! planner's threshold. Planners that coincide are drawn slightly apart sideways.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::{linear_ticks, Axis};
use super::layout::{any_coincide, dodge_offsets, prefer_error_bars, BandPoint};
use super::legend::{draw_legend, Entry, Marker};
use super::style::{draw_line, draw_marker};
use super::{
    accuracy_axis, chart, colored_font, draw_error_bar, layout, percent, series, Chart, DrawResult,
    Figure, Labels, Pixels, Series, ACCURACY_DESC,
};
use crate::analysis::{CellSummary, SweepAnalysis};
use crate::tables::not_enough_examples;

/// Sideways distance between dodged planners, as a fraction of the x axis.
const DODGE: f64 = 0.012;

pub(crate) struct AccuracyVsDiscriminator<'a> {
    pub title: &'a str,
    pub analysis: &'a SweepAnalysis,
}

/// One planner's points: (discriminator accuracy, task accuracy %, CI low %, CI high %).
type Curve = Vec<(f64, f64, f64, f64)>;

fn curve(s: &Series<'_>) -> Curve {
    s.cells
        .iter()
        .filter_map(|c| {
            let a = c.task_accuracy;
            Some((c.accuracy?, percent(a.mean), percent(a.lo), percent(a.hi)))
        })
        .collect()
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

        let all_series = series(self.analysis);
        let curves: Vec<Curve> = all_series.iter().map(curve).collect();
        let x_span = (x.range.start, x.range.end);
        let y_span = (y.range.start, y.range.end);
        let bands: Vec<Vec<BandPoint>> = curves
            .iter()
            .map(|c| c.iter().map(|p| (p.0, p.2, p.3)).collect())
            .collect();
        let error_bars = prefer_error_bars(&bands, x_span, y_span);
        let means: Vec<Vec<(f64, f64)>> = curves
            .iter()
            .map(|c| c.iter().map(|p| (p.0, p.1)).collect())
            .collect();
        let coincide = any_coincide(&means, (1e-9, 0.012 * (y_span.1 - y_span.0)));
        let dodged = error_bars || coincide;
        let offsets = if dodged {
            dodge_offsets(all_series.len(), DODGE * (x_span.1 - x_span.0))
        } else {
            vec![0.0; all_series.len()]
        };

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
        if !error_bars {
            for (s, (c, dx)) in all_series.iter().zip(curves.iter().zip(&offsets)) {
                draw_band(&mut chart, s, c, *dx)?;
            }
        }
        draw_curves(&chart, &all_series, &curves, &offsets, error_bars)?;

        let mut entries = Vec::new();
        let mut thresholds_drawn = 0;
        for s in &all_series {
            let threshold = self.analysis.thresholds.iter().find(|t| t.planner == s.key);
            let text = match threshold.map(|t| (t.threshold, t.examples_needed)) {
                None => s.name.clone(),
                Some((Some(t), _)) => format!("{}: threshold {t:.2}", s.name),
                Some((None, Some(n))) => {
                    format!("{}: {}", s.name, not_enough_examples(n))
                }
                Some((None, None)) => format!("{}: no threshold in range", s.name),
            };
            entries.push(Entry::new(Marker::Series(s.style), text));
            if let Some(t) = threshold.and_then(|t| t.threshold) {
                draw_threshold(&mut chart, s, t, &x, &y, thresholds_drawn)?;
                thresholds_drawn += 1;
            }
        }
        let confidence = 100.0 * options.confidence;
        entries.push(if error_bars {
            Entry::new(
                Marker::Whisker,
                format!(
                    "vertical bar: {confidence:.0}% bootstrap confidence interval of task accuracy"
                ),
            )
        } else {
            Entry::new(
                Marker::Band(RGBColor(80, 80, 80)),
                format!(
                    "shaded band: {confidence:.0}% bootstrap confidence interval of task accuracy"
                ),
            )
        });
        if dodged {
            entries.push(Entry::new(
                Marker::Dodge,
                "planners are drawn slightly apart sideways at each discriminator accuracy, so \
                 that none hides another",
            ));
        }
        if !self.analysis.thresholds.is_empty() {
            entries.push(Entry::new(
                Marker::Dashed(BLACK),
                format!(
                    "dashed vertical line: threshold, the lowest discriminator accuracy from \
                     which the planner is significantly better than {} at every higher accuracy \
                     (exact McNemar test, {}, p < {})",
                    options.baseline,
                    options.alternative.describe(),
                    options.alpha
                ),
            ));
        }
        draw_legend(&legend_area, &entries)
    }
}

/// Shaded confidence band of one planner, shifted `dx` sideways.
fn draw_band<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: &Series<'_>,
    points: &Curve,
    dx: f64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let band: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (p.0 + dx, p.2))
        .chain(points.iter().rev().map(|p| (p.0 + dx, p.3)))
        .collect();
    chart.draw_series(std::iter::once(Polygon::new(
        band,
        s.color.mix(0.12).filled(),
    )))?;
    Ok(())
}

/// A marker centre and the (top, bottom) of its confidence interval, in pixels.
type PixelPoint = ((i32, i32), (i32, i32));

/// Error bars (if chosen), then every planner's line, then every marker on top.
fn draw_curves<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    all_series: &[Series<'_>],
    curves: &[Curve],
    offsets: &[f64],
    error_bars: bool,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let pixels = Pixels::of(chart);
    let area = &pixels.area;
    // Per series: (marker centre, (CI top, CI bottom)) in pixels.
    let drawn: Vec<Vec<PixelPoint>> = curves
        .iter()
        .zip(offsets)
        .map(|(c, dx)| {
            c.iter()
                .map(|&(a, mean, lo, hi)| {
                    let span = (pixels.at((a, hi)).1, pixels.at((a, lo)).1);
                    (pixels.at((a + dx, mean)), span)
                })
                .collect()
        })
        .collect();
    if error_bars {
        for (s, points) in all_series.iter().zip(&drawn) {
            for &(centre, span) in points {
                draw_error_bar(area, centre.0, span, s.color, 2)?;
            }
        }
    }
    for (s, points) in all_series.iter().zip(&drawn) {
        let line: Vec<(i32, i32)> = points.iter().map(|p| p.0).collect();
        draw_line(area, &line, &s.style, 1.0)?;
    }
    for (s, points) in all_series.iter().zip(&drawn) {
        for &(centre, _) in points {
            draw_marker(area, centre, s.style.shape, s.color, 5.5)?;
        }
    }
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
