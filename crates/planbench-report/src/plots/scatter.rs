//! Series of task-accuracy points with confidence intervals at pixel positions: dodged
//! sideways where series share a column, labels merged where one series' points coincide and
//! nudged apart otherwise, and drawn as error bars, lines, markers and labels.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::axis::Axis;
use super::layout::{any_coincide, dodge_offsets, nudge_labels, Rect};
use super::style::{draw_line, draw_marker, SeriesStyle};
use super::{colored_font, draw_error_bar, percent, Chart, DrawResult, Pixels};
use crate::stats::Interval;

/// One point to draw: its cost (before the axis maps it), task accuracy with its interval
/// (fractions), an optional label, and whether it is ringed.
pub(crate) struct DataPoint {
    pub x: f64,
    pub accuracy: Interval,
    pub label: Option<String>,
    pub ringed: bool,
}

/// One drawn point, in pixels of the plotting area.
pub(crate) struct PixelPoint {
    pub centre: (i32, i32),
    /// Top and bottom of the confidence interval.
    pub span: (i32, i32),
    pub label: Option<String>,
    pub ringed: bool,
}

/// Sideways distance in pixels between dodged series.
const DODGE_PIXELS: f64 = 11.0;

/// Marker radius in pixels.
const MARKER_RADIUS: f64 = 5.5;

/// Pixel positions of every series' points (in input order) and whether they were dodged:
/// moved sideways, series by series, because points of different series would share a column.
pub(crate) fn pixel_points<DB: DrawingBackend>(
    chart: &Chart<'_, DB>,
    series: &[Vec<DataPoint>],
    x: &Axis,
) -> (Vec<Vec<PixelPoint>>, bool) {
    let pixels = Pixels::of(chart);
    let mut points: Vec<Vec<PixelPoint>> = series
        .iter()
        .map(|s| {
            s.iter()
                .map(|p| {
                    let px = x.map(p.x);
                    let a = p.accuracy;
                    PixelPoint {
                        centre: pixels.at((px, percent(a.mean))),
                        span: (
                            pixels.at((px, percent(a.hi))).1,
                            pixels.at((px, percent(a.lo))).1,
                        ),
                        label: p.label.clone(),
                        ringed: p.ringed,
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
    let dodged = any_coincide(&columns, (DODGE_PIXELS, f64::INFINITY));
    if dodged {
        for (s, dx) in points
            .iter_mut()
            .zip(dodge_offsets(series.len(), DODGE_PIXELS))
        {
            for p in s {
                p.centre.0 += dx.round() as i32;
            }
        }
    }
    (points, dodged)
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

/// A thin error bar at every point of every series.
pub(crate) fn draw_error_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    styles: &[SeriesStyle],
    points: &[Vec<PixelPoint>],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    for (style, ps) in styles.iter().zip(points) {
        for p in ps {
            draw_error_bar(area, p.centre.0, p.span, style.color, 1)?;
        }
    }
    Ok(())
}

/// A line through each series' points in their order, in its dash pattern (at most 2 px wide,
/// so the markers stay visible).
pub(crate) fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    styles: &[SeriesStyle],
    points: &[Vec<PixelPoint>],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    for (style, ps) in styles.iter().zip(points) {
        let line: Vec<(i32, i32)> = ps.iter().map(|p| p.centre).collect();
        let thin = SeriesStyle {
            width: style.width.min(2),
            ..*style
        };
        draw_line(area, &line, &thin, 0.7)?;
    }
    Ok(())
}

/// Every series' markers, with a black ring around ringed points.
pub(crate) fn draw_markers<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    styles: &[SeriesStyle],
    points: &[Vec<PixelPoint>],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    for (style, ps) in styles.iter().zip(points) {
        for p in ps {
            if p.ringed {
                area.draw(&Circle::new(p.centre, RING_RADIUS, BLACK.stroke_width(2)))?;
            }
            draw_marker(area, p.centre, style.shape, style.color, MARKER_RADIUS)?;
        }
    }
    Ok(())
}

/// Radius in pixels of the ring around a ringed point.
const RING_RADIUS: i32 = 10;

/// Half the side of the square a drawn point covers, ring included.
fn marker_half_size(p: &PixelPoint) -> i32 {
    if p.ringed {
        RING_RADIUS + 2
    } else {
        7
    }
}

const LABEL_SIZE: u32 = 12;

/// Labels right of their points, nudged vertically so that none covers another or a marker,
/// with a thin leader line where a label moved away from its point.
pub(crate) fn draw_labels<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    styles: &[SeriesStyle],
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
    for (s, ps) in styles.iter().zip(points) {
        for p in ps {
            if let Some(text) = &p.label {
                let (w, h) = area.estimate_text_size(text, &style)?;
                let (w, h) = (w as i32, h as i32);
                // Right of the point (and its ring), or left of it where the right would
                // leave the panel.
                let gap = marker_half_size(p) + 3;
                let right = p.centre.0 + gap;
                let x = if right + w > width {
                    p.centre.0 - gap - w
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
        .map(|p| {
            let half = marker_half_size(p);
            Rect {
                x: p.centre.0 - half,
                y: p.centre.1 - half,
                w: 2 * half,
                h: 2 * half,
            }
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
        // A pale backing keeps the label readable over lines and bars.
        area.draw(&Rectangle::new(
            [(b.x - 1, top), (b.x + b.w + 1, top + b.h)],
            WHITE.mix(0.75).filled(),
        ))?;
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
            ringed: false,
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
