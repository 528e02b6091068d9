//! A legend drawn in its own column beside the plot, so it never covers data.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::style::{self, SeriesStyle};
use super::{colored_font, font, DrawResult};

/// The symbol drawn before a legend text.
pub(crate) enum Marker {
    /// A series: a short line in its dash pattern with its marker shape in the middle.
    Series(SeriesStyle),
    /// A series drawn as markers only (no line).
    Point(SeriesStyle),
    /// Two markers side by side with arrows apart: series dodged sideways.
    Dodge,
    Dashed(RGBColor),
    Band(RGBColor),
    Ring(RGBColor),
    Box,
    Whisker,
    Cross,
    /// A short sample text, e.g. a point annotation.
    Sample(String),
}

/// One legend line: a marker and its (wrapped) explanation.
pub(crate) struct Entry {
    pub marker: Marker,
    pub text: String,
}

impl Entry {
    pub fn new(marker: Marker, text: impl Into<String>) -> Entry {
        Entry {
            marker,
            text: text.into(),
        }
    }
}

const MARKER_WIDTH: i32 = 40;
const LINE_HEIGHT: i32 = 19;

/// Draws `entries` top-down in `area`, wrapping texts to its width.
pub(crate) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let style = font(15);
    let text_x = 12 + MARKER_WIDTH + 10;
    let max_width = area.dim_in_pixel().0 as i32 - text_x - 8;
    let mut y = 56;
    for entry in entries {
        draw_marker(area, &entry.marker, (12, y + LINE_HEIGHT / 2 - 1))?;
        for line in wrap(area, &entry.text, &style, max_width)? {
            area.draw(&Text::new(line, (text_x, y), style.clone()))?;
            y += LINE_HEIGHT;
        }
        y += 9;
    }
    Ok(())
}

/// Greedy word wrap by measured text width.
fn wrap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
    max_width: i32,
) -> Result<Vec<String>, Box<dyn std::error::Error>>
where
    DB::ErrorType: 'static,
{
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        let fits = area.estimate_text_size(&candidate, style)?.0 as i32 <= max_width;
        if fits || current.is_empty() {
            current = candidate;
        } else {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    Ok(lines)
}

fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    marker: &Marker,
    (x, y): (i32, i32),
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let mid = x + MARKER_WIDTH / 2;
    let row = [(x, y), (x + MARKER_WIDTH, y)];
    match marker {
        Marker::Series(series) => {
            let thin = SeriesStyle {
                width: series.width.min(3),
                ..*series
            };
            style::draw_line(area, &row, &thin, 1.0)?;
            style::draw_marker(area, (mid, y), series.shape, series.color, 5.0)?;
        }
        Marker::Dodge => {
            let gray = RGBColor(90, 90, 90);
            style::draw_marker(area, (mid - 8, y), style::Shape::Circle, gray, 4.5)?;
            style::draw_marker(area, (mid + 8, y), style::Shape::Square, gray, 4.5)?;
            for (from, to) in [(mid - 2, x), (mid + 2, x + MARKER_WIDTH)] {
                area.draw(&PathElement::new([(from, y + 9), (to, y + 9)], gray))?;
            }
        }
        Marker::Point(series) => {
            style::draw_marker(area, (mid, y), series.shape, series.color, 5.0)?
        }
        Marker::Dashed(color) => {
            area.draw(&DashedPathElement::new(row, 6, 4, color.stroke_width(2)))?
        }
        Marker::Band(color) => area.draw(&Rectangle::new(
            [(x, y - 7), (x + MARKER_WIDTH, y + 7)],
            color.mix(0.2).filled(),
        ))?,
        Marker::Ring(color) => area.draw(&Circle::new((mid, y), 4, color.stroke_width(1)))?,
        Marker::Box => {
            let corners = [(x + 3, y - 7), (x + MARKER_WIDTH - 3, y + 7)];
            area.draw(&Rectangle::new(corners, BLACK.stroke_width(1)))?;
            area.draw(&PathElement::new(
                [(x + 3, y), (x + MARKER_WIDTH - 3, y)],
                BLACK.stroke_width(3),
            ))?;
        }
        Marker::Whisker => {
            area.draw(&PathElement::new([(mid, y - 8), (mid, y + 8)], BLACK))?;
            area.draw(&PathElement::new(
                [(mid - 5, y - 8), (mid + 5, y - 8)],
                BLACK,
            ))?;
        }
        Marker::Cross => area.draw(&Cross::new((mid, y), 5, BLACK.stroke_width(2)))?,
        Marker::Sample(text) => area.draw(&Text::new(
            text.clone(),
            (x, y - 7),
            colored_font(12, RGBColor(90, 90, 90)),
        ))?,
    }
    Ok(())
}
