//! Cost plots: task accuracy against mean cost per example, and the distribution of seconds
//! per example.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Axis;
use super::layout::{any_coincide, dodge_offsets, nudge_labels, Rect};
use super::legend::{draw_legend, Entry, Marker};
use super::style::{draw_line, draw_marker, SeriesStyle};
use super::{
    accuracy_axis, chart, colored_font, draw_error_bar, layout, percent, series, Chart, DrawResult,
    Figure, Labels, Pixels, Series, ACCURACY_DESC,
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

/// Sideways distance in pixels between dodged series.
const DODGE_PIXELS: f64 = 11.0;

/// One drawn point of the cost plot, in pixels of the plotting area.
struct PixelPoint {
    centre: (i32, i32),
    /// Top and bottom of the confidence interval.
    span: (i32, i32),
    label: Option<String>,
}

/// Pixel positions of every series' points, dodged sideways when points of different series
/// would share a column.
fn pixel_points<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    all_series: &[Series<'_>],
    x: &Axis,
    cost: fn(&CellSummary) -> f64,
    is_sweep: bool,
) -> Vec<Vec<PixelPoint>> {
    let pixels = Pixels::of(chart);
    let to_pixel = |point| pixels.at(point);
    let mut points: Vec<Vec<PixelPoint>> = all_series
        .iter()
        .map(|s| {
            s.cells
                .iter()
                .map(|c| {
                    let px = x.map(cost(c));
                    let a = c.task_accuracy;
                    PixelPoint {
                        centre: to_pixel((px, percent(a.mean))),
                        span: (
                            to_pixel((px, percent(a.hi))).1,
                            to_pixel((px, percent(a.lo))).1,
                        ),
                        label: c
                            .accuracy
                            .filter(|_| is_sweep)
                            .map(|acc| format!("{acc:.2}")),
                    }
                })
                .collect()
        })
        .collect();
    for s in &mut points {
        merge_labels(s);
    }
    let columns: Vec<Vec<(f64, f64)>> = points
        .iter()
        .map(|s| {
            s.iter()
                .map(|p| (f64::from(p.centre.0), f64::from(p.centre.1)))
                .collect()
        })
        .collect();
    // Points of two series in one column (their bars would overlap) get dodged.
    if any_coincide(&columns, (DODGE_PIXELS, f64::INFINITY)) {
        for (s, dx) in points
            .iter_mut()
            .zip(dodge_offsets(all_series.len(), DODGE_PIXELS))
        {
            for p in s {
                p.centre.0 += dx.round() as i32;
            }
        }
    }
    points
}

/// Gives points of one series drawn at the same place one label: "0.50, 0.60" or, for more
/// than two, "0.50–1.00 (6 runs)".
fn merge_labels(points: &mut [PixelPoint]) {
    for i in 0..points.len() {
        let Some(first) = points[i].label.clone() else {
            continue;
        };
        let centre = points[i].centre;
        let mut same = vec![first];
        for p in points[i + 1..].iter_mut() {
            let close = (p.centre.0 - centre.0).abs() <= 1 && (p.centre.1 - centre.1).abs() <= 1;
            if close {
                same.extend(p.label.take());
            }
        }
        points[i].label = Some(match same.as_slice() {
            [one] => one.clone(),
            [a, b] => format!("{a}, {b}"),
            [a, .., z] => format!("{a}–{z} ({} runs)", same.len()),
            [] => String::new(),
        });
    }
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
    let points = pixel_points(chart, all_series, x, cost, is_sweep);
    for (s, ps) in all_series.iter().zip(&points) {
        for p in ps {
            draw_error_bar(area, p.centre.0, p.span, s.color, 1)?;
        }
    }
    if is_sweep {
        for (s, ps) in all_series.iter().zip(&points) {
            let line: Vec<(i32, i32)> = ps.iter().map(|p| p.centre).collect();
            let thin = SeriesStyle {
                width: s.style.width.min(2),
                ..s.style
            };
            draw_line(area, &line, &thin, 0.7)?;
        }
    }
    for (s, ps) in all_series.iter().zip(&points) {
        for p in ps {
            draw_marker(area, p.centre, s.style.shape, s.color, 5.5)?;
        }
    }
    draw_labels(area, all_series, &points)
}

const LABEL_SIZE: u32 = 12;

/// Accuracy labels right of their points, nudged vertically so that none covers another or a
/// marker, with a thin leader line where a label moved away from its point.
fn draw_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    all_series: &[Series<'_>],
    points: &[Vec<PixelPoint>],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let style = colored_font(LABEL_SIZE, BLACK);
    let (width, height) = area.dim_in_pixel();
    let (width, height) = (width as i32, height as i32);
    let mut labels = Vec::new();
    let mut boxes = Vec::new();
    for (s, ps) in all_series.iter().zip(points) {
        for p in ps {
            if let Some(text) = &p.label {
                let (w, h) = area.estimate_text_size(text, &style)?;
                let (w, h) = (w as i32, h as i32);
                // Right of the point, or left of it where the right would leave the panel.
                let right = p.centre.0 + 9;
                let x = if right + w > width {
                    p.centre.0 - 9 - w
                } else {
                    right
                };
                boxes.push(Rect {
                    x,
                    y: p.centre.1 - h / 2,
                    w,
                    h,
                });
                labels.push((s.color, p.centre, text.clone()));
            }
        }
    }
    let markers: Vec<Rect> = points
        .iter()
        .flatten()
        .map(|p| Rect {
            x: p.centre.0 - 7,
            y: p.centre.1 - 7,
            w: 14,
            h: 14,
        })
        .collect();
    let shifts = nudge_labels(&boxes, &markers, (0, height), 2, 60);
    for (((color, centre, text), b), dy) in labels.into_iter().zip(&boxes).zip(shifts) {
        let top = b.y + dy;
        if dy.abs() > 6 {
            let (from, to) = if b.x > centre.0 {
                (centre.0 + 6, b.x - 1)
            } else {
                (centre.0 - 6, b.x + b.w + 1)
            };
            let leader = vec![(from, centre.1), (to, top + b.h / 2)];
            area.draw(&PathElement::new(leader, color.mix(0.6).stroke_width(1)))?;
        }
        area.draw(&Text::new(
            text,
            (b.x, top),
            colored_font(LABEL_SIZE, color).pos(Pos::new(HPos::Left, VPos::Top)),
        ))?;
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

    fn point(x: i32, y: i32, label: &str) -> PixelPoint {
        PixelPoint {
            centre: (x, y),
            span: (y - 5, y + 5),
            label: Some(label.into()),
        }
    }

    #[test]
    fn labels_of_points_at_one_place_merge() {
        let mut points = vec![
            point(10, 10, "0.50"),
            point(10, 10, "0.60"),
            point(30, 10, "0.70"),
            point(11, 10, "0.80"),
        ];
        merge_labels(&mut points);
        let labels: Vec<Option<&str>> = points.iter().map(|p| p.label.as_deref()).collect();
        assert_eq!(
            labels,
            [Some("0.50–0.80 (3 runs)"), None, Some("0.70"), None]
        );
        let mut two = vec![point(0, 0, "0.90"), point(0, 0, "1.00")];
        merge_labels(&mut two);
        assert_eq!(two[0].label.as_deref(), Some("0.90, 1.00"));
    }

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
