//! How a series looks: colour, marker shape and dash pattern, so that series stay apart when
//! they coincide; and drawing those markers and dashed lines in pixel space.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::DrawResult;

/// Marker shapes, cycled through by series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Plus,
}

const SHAPES: [Shape; 6] = [
    Shape::Circle,
    Shape::Square,
    Shape::TriangleUp,
    Shape::Diamond,
    Shape::TriangleDown,
    Shape::Plus,
];

/// Dash patterns as alternating on/off lengths in pixels; empty is a solid line.
const DASHES: [&[f64]; 6] = [
    &[],
    &[11.0, 5.0],
    &[2.5, 4.0],
    &[11.0, 4.0, 2.5, 4.0],
    &[18.0, 6.0],
    &[5.0, 3.0],
];

/// Tableau 10, the matplotlib default cycle.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Colour, marker and dash pattern of one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SeriesStyle {
    pub color: RGBColor,
    pub shape: Shape,
    pub dash: &'static [f64],
    /// Line width in pixels: the first series is drawn widest and first, so a series on top
    /// of it leaves it visible at both sides.
    pub width: u32,
}

impl SeriesStyle {
    /// The style of the `index`-th series.
    pub fn nth(index: usize) -> SeriesStyle {
        SeriesStyle {
            color: PALETTE[index % PALETTE.len()],
            shape: SHAPES[index % SHAPES.len()],
            dash: DASHES[index % DASHES.len()],
            width: if index == 0 { 5 } else { 2 },
        }
    }
}

/// Vertices of `shape` of about `radius` pixels around the origin.
pub(crate) fn outline(shape: Shape, radius: f64) -> Vec<(i32, i32)> {
    let r = radius;
    let points: Vec<(f64, f64)> = match shape {
        Shape::Circle => (0..16)
            .map(|i| {
                let angle = f64::from(i) * std::f64::consts::PI / 8.0;
                (r * angle.cos(), r * angle.sin())
            })
            .collect(),
        Shape::Square => {
            let s = 0.85 * r;
            vec![(-s, -s), (s, -s), (s, s), (-s, s)]
        }
        Shape::TriangleUp => vec![(0.0, -1.2 * r), (1.1 * r, 0.8 * r), (-1.1 * r, 0.8 * r)],
        Shape::TriangleDown => vec![(0.0, 1.2 * r), (1.1 * r, -0.8 * r), (-1.1 * r, -0.8 * r)],
        Shape::Diamond => {
            let d = 1.25 * r;
            vec![(0.0, -d), (d, 0.0), (0.0, d), (-d, 0.0)]
        }
        Shape::Plus => {
            let (t, p) = (0.4 * r, 1.15 * r);
            vec![
                (-t, -p),
                (t, -p),
                (t, -t),
                (p, -t),
                (p, t),
                (t, t),
                (t, p),
                (-t, p),
                (-t, t),
                (-p, t),
                (-p, -t),
                (-t, -t),
            ]
        }
    };
    points
        .into_iter()
        .map(|(x, y)| (x.round() as i32, y.round() as i32))
        .collect()
}

/// Draws a filled marker with a white rim at pixel `at` of `area`.
pub(crate) fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    at: (i32, i32),
    shape: Shape,
    color: RGBColor,
    radius: f64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let points: Vec<(i32, i32)> = outline(shape, radius)
        .into_iter()
        .map(|(x, y)| (at.0 + x, at.1 + y))
        .collect();
    area.draw(&Polygon::new(points.clone(), color.filled()))?;
    let mut rim = points;
    rim.push(rim[0]);
    area.draw(&PathElement::new(rim, WHITE.stroke_width(1)))?;
    Ok(())
}

/// The visible pieces of a polyline drawn with dash `pattern` (on/off lengths in pixels,
/// continued across vertices); the whole polyline, one piece per segment, when it is empty.
pub(crate) fn dash_segments(points: &[(f64, f64)], pattern: &[f64]) -> Vec<[(f64, f64); 2]> {
    let mut out = Vec::new();
    if pattern.is_empty() || pattern.iter().any(|&p| p <= 0.0) {
        out.extend(points.windows(2).map(|w| [w[0], w[1]]));
        return out;
    }
    let (mut index, mut left) = (0, pattern[0]);
    for w in points.windows(2) {
        let (a, b) = (w[0], w[1]);
        let length = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let at = |t: f64| {
            (
                a.0 + (b.0 - a.0) * t / length,
                a.1 + (b.1 - a.1) * t / length,
            )
        };
        let mut t = 0.0;
        while t < length {
            let step = left.min(length - t);
            if index % 2 == 0 {
                out.push([at(t), at(t + step)]);
            }
            t += step;
            left -= step;
            if left <= 1e-9 {
                index = (index + 1) % pattern.len();
                left = pattern[index];
            }
        }
    }
    out
}

/// Draws a polyline through pixel `points` of `area` in `style`'s colour, dash and width.
pub(crate) fn draw_line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[(i32, i32)],
    style: &SeriesStyle,
    alpha: f64,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let exact: Vec<(f64, f64)> = points
        .iter()
        .map(|&(x, y)| (f64::from(x), f64::from(y)))
        .collect();
    let stroke = style.color.mix(alpha).stroke_width(style.width);
    let round = |(x, y): (f64, f64)| (x.round() as i32, y.round() as i32);
    if style.dash.is_empty() {
        area.draw(&PathElement::new(points.to_vec(), stroke))?;
        return Ok(());
    }
    for [a, b] in dash_segments(&exact, style.dash) {
        area.draw(&PathElement::new(vec![round(a), round(b)], stroke))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dashes_follow_the_pattern_across_vertices() {
        let straight = dash_segments(&[(0.0, 0.0), (30.0, 0.0)], &[10.0, 5.0]);
        assert_eq!(
            straight,
            [[(0.0, 0.0), (10.0, 0.0)], [(15.0, 0.0), (25.0, 0.0)]]
        );
        // The pattern carries over a corner: 8 on the first leg, 2 more on the second.
        let corner = dash_segments(&[(0.0, 0.0), (8.0, 0.0), (8.0, 20.0)], &[10.0, 5.0]);
        assert_eq!(
            corner,
            [
                [(0.0, 0.0), (8.0, 0.0)],
                [(8.0, 0.0), (8.0, 2.0)],
                [(8.0, 7.0), (8.0, 17.0)]
            ]
        );
        assert_eq!(dash_segments(&[(0.0, 0.0), (5.0, 5.0)], &[]).len(), 1);
        assert!(dash_segments(&[(1.0, 1.0)], &[3.0, 3.0]).is_empty());
    }

    #[test]
    fn series_differ_in_shape_and_dash() {
        let styles: Vec<SeriesStyle> = (0..6).map(SeriesStyle::nth).collect();
        for (i, a) in styles.iter().enumerate() {
            for b in &styles[i + 1..] {
                assert!(a.shape != b.shape && a.dash != b.dash && a.color != b.color);
            }
        }
        assert!(styles[0].width > styles[1].width);
        for shape in SHAPES {
            let points = outline(shape, 5.0);
            assert!(points.len() >= 3);
            assert!(points.iter().all(|&(x, y)| x.abs() <= 7 && y.abs() <= 7));
        }
    }
}
