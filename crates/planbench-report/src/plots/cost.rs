//! Task accuracy against mean cost per example (seconds and LLM calls), with error bars,
//! dodged series and nudged accuracy labels.

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
}
