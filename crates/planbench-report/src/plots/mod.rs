//! PNG and SVG plots of an analysis, drawn with plotters: task accuracy against discriminator
//! accuracy (sweeps), task accuracy against cost, and the distribution of seconds per example.
//!
//! Text is laid out (for both formats) and rasterised (for PNG) with plotters' `ab_glyph`
//! backend from a TrueType font loaded at run time: the file named by [`FONT_ENV`], else the
//! first of [`FONT_CANDIDATES`] that exists (Debian: package `fonts-dejavu-core`).

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::analysis::{CellSummary, SweepAnalysis};
use crate::report::ReportError;

mod axis;
mod budget;
mod cost;
mod distribution;
mod layout;
mod legend;
mod scatter;
mod style;
mod sweep;

pub(crate) use budget::AccuracyVsBudget;
pub(crate) use cost::AccuracyVsCost;
pub(crate) use distribution::CostDistribution;
pub(crate) use sweep::AccuracyVsDiscriminator;

use axis::{linear_ticks, Axis, Scale};
use style::SeriesStyle;

/// Environment variable naming a TrueType font file for plot text.
pub const FONT_ENV: &str = "PLANBENCH_FONT";

/// Font files tried in order when [`FONT_ENV`] is unset.
pub const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/Library/Fonts/Arial.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
];

const FAMILY: &str = "sans-serif";

/// Loads and registers the plot font once per process; the error says what was tried.
pub(crate) fn ensure_font() -> Result<(), String> {
    static FONT: OnceLock<Result<(), String>> = OnceLock::new();
    FONT.get_or_init(load_font).clone()
}

fn load_font() -> Result<(), String> {
    let path = match std::env::var_os(FONT_ENV) {
        Some(path) => PathBuf::from(path),
        None => FONT_CANDIDATES
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or_else(|| {
                format!(
                    "no TrueType font found for plot text (tried {}); install fonts-dejavu-core \
                     or set {FONT_ENV} to a .ttf file",
                    FONT_CANDIDATES.join(", ")
                )
            })?,
    };
    let bytes = std::fs::read(&path)
        .map_err(|e| format!("cannot read font {} ({FONT_ENV}): {e}", path.display()))?;
    // plotters keeps registered fonts for the whole process, so the bytes live as long.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    for family in [FAMILY, "serif", "monospace"] {
        plotters::style::register_font(family, FontStyle::Normal, bytes)
            .map_err(|_| format!("{} is not a valid TrueType font", path.display()))?;
    }
    Ok(())
}

pub(crate) type DrawResult = Result<(), Box<dyn Error>>;

/// A figure that can be drawn on any plotters backend.
pub(crate) trait Figure {
    /// File stem of the PNG and SVG files.
    fn stem(&self) -> &'static str;
    /// Pixel size of the PNG (and the SVG canvas).
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static;
}

/// Renders `figure` to `<dir>/<stem>.png` and `<dir>/<stem>.svg`. Call [`ensure_font`] first.
pub(crate) fn render(figure: &impl Figure, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let png = dir.join(format!("{}.png", figure.stem()));
    let svg = dir.join(format!("{}.svg", figure.stem()));
    let plot_error = |path: &Path, e: Box<dyn Error>| ReportError::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    draw_on(
        &BitMapBackend::new(&png, figure.size()).into_drawing_area(),
        figure,
    )
    .map_err(|e| plot_error(&png, e))?;
    draw_on(
        &SVGBackend::new(&svg, figure.size()).into_drawing_area(),
        figure,
    )
    .map_err(|e| plot_error(&svg, e))?;
    Ok(vec![png, svg])
}

fn draw_on<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, figure: &impl Figure) -> DrawResult
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    figure.draw(root)?;
    root.present()?;
    Ok(())
}

/// The cells drawn in one style: one planner in a sweep, one run otherwise.
pub(crate) struct Series<'a> {
    /// Planner (sweep) or run label.
    pub key: String,
    /// Legend text.
    pub name: String,
    pub color: RGBColor,
    /// Colour, marker and dash pattern (`style.color == color`).
    pub style: SeriesStyle,
    /// Cells in analysis order (ascending accuracy within a planner).
    pub cells: Vec<&'a CellSummary>,
}

pub(crate) fn series(analysis: &SweepAnalysis) -> Vec<Series<'_>> {
    let mut out: Vec<Series> = Vec::new();
    for cell in &analysis.cells {
        let key = if analysis.is_sweep {
            &cell.planner
        } else {
            &cell.label
        };
        match out.iter_mut().find(|s| &s.key == key) {
            Some(s) => s.cells.push(cell),
            None => {
                let mut name = key.clone();
                if cell.planner == analysis.options.baseline {
                    name.push_str(" (baseline)");
                } else if !analysis.is_sweep && cell.label != cell.planner {
                    name = format!("{} ({})", cell.label, cell.planner);
                }
                let style = SeriesStyle::nth(out.len());
                out.push(Series {
                    key: key.clone(),
                    name,
                    color: style.color,
                    style,
                    cells: vec![cell],
                });
            }
        }
    }
    out
}

fn font(size: u32) -> TextStyle<'static> {
    colored_font(size, BLACK)
}

fn colored_font(size: u32, color: impl Color) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&color)
}

/// Legend column width in pixels.
const LEGEND_WIDTH: i32 = 330;

type Area<DB> = DrawingArea<DB, Shift>;

/// Draws the figure title and splits the rest into the plot area and the legend column.
fn layout<DB: DrawingBackend>(
    root: &Area<DB>,
    title: &str,
) -> Result<(Area<DB>, Area<DB>), Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let body = root.margin(10, 0, 0, 0).titled(title, font(24))?;
    let width = body.dim_in_pixel().0 as i32;
    Ok(body.split_horizontally(width - LEGEND_WIDTH))
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Scale, Scale>>;

/// Axis descriptions and tick labels of a chart.
struct Labels<'a> {
    caption: Option<&'a str>,
    x_desc: &'a str,
    y_desc: &'a str,
    x_ticks: &'a dyn Fn(&f64) -> String,
}

/// A chart with a light grid and labelled axes on `area`.
fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: &Axis,
    y: &'a Axis,
    labels: Labels<'a>,
) -> Result<Chart<'a, DB>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let mut builder = ChartBuilder::on(area);
    if let Some(caption) = labels.caption {
        builder.caption(caption, font(20));
    }
    let mut chart = builder
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(76)
        .build_cartesian_2d(x.coord(), y.coord())?;
    chart
        .configure_mesh()
        .x_desc(labels.x_desc)
        .y_desc(labels.y_desc)
        .axis_desc_style(font(17))
        .label_style(font(14))
        .x_label_formatter(labels.x_ticks)
        .y_label_formatter(&|v| y.label(*v))
        .bold_line_style(BLACK.mix(0.12))
        .draw()?;
    Ok(chart)
}

/// A chart's plotting area in pixel coordinates, and the mapping of data points into them.
struct Pixels<'c, 'a, DB: DrawingBackend> {
    chart: &'c Chart<'a, DB>,
    base: (i32, i32),
    area: Area<DB>,
}

impl<'c, 'a, DB: DrawingBackend> Pixels<'c, 'a, DB> {
    fn of(chart: &'c Chart<'a, DB>) -> Self {
        let plotting = chart.plotting_area();
        Pixels {
            chart,
            base: plotting.get_base_pixel(),
            area: plotting.strip_coord_spec(),
        }
    }

    /// Pixel of data point `point` within `area`.
    fn at(&self, point: (f64, f64)) -> (i32, i32) {
        let (x, y) = self.chart.backend_coord(&point);
        (x - self.base.0, y - self.base.1)
    }
}

/// Draws a vertical error bar with caps from pixel `top` down to `bottom` at pixel column `x`,
/// `width` pixels wide.
fn draw_error_bar<DB: DrawingBackend>(
    area: &Area<DB>,
    x: i32,
    (top, bottom): (i32, i32),
    color: RGBColor,
    width: u32,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let stroke = color.mix(0.8).stroke_width(width);
    area.draw(&PathElement::new(vec![(x, top), (x, bottom)], stroke))?;
    for y in [top, bottom] {
        area.draw(&PathElement::new(vec![(x - 4, y), (x + 4, y)], stroke))?;
    }
    Ok(())
}

fn percent(fraction: f64) -> f64 {
    100.0 * fraction
}

/// Y axis of task accuracy in percent, covering every interval of `cells`.
fn accuracy_axis<'a>(cells: impl Iterator<Item = &'a CellSummary>) -> Axis {
    let mut values = Vec::new();
    for c in cells {
        values.extend([percent(c.task_accuracy.lo), percent(c.task_accuracy.hi)]);
    }
    let mut axis = Axis::fit(&values, false, None);
    let start = axis.range.start.max(0.0);
    axis.range = start..axis.range.end.min(100.0).max(start + 1.0);
    axis.ticks = linear_ticks(&axis.range, 8);
    axis
}

const ACCURACY_DESC: &str = "Task accuracy (% of examples solved)";
