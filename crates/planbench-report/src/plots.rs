//! PNG and SVG plots of an analysis, drawn with plotters.
//!
//! Text is laid out (for both formats) and rasterised (for PNG) with plotters' `ab_glyph`
//! backend from a TrueType font loaded at run time: the file named by [`FONT_ENV`], else the
//! first of [`FONT_CANDIDATES`] that exists (Debian: package `fonts-dejavu-core`).

use std::error::Error;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::combinators::WithKeyPoints;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::analysis::{CellSummary, PlannerThreshold, SweepAnalysis};
use crate::report::ReportError;
use crate::stats::quantile_sorted;

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

type DrawResult = Result<(), Box<dyn Error>>;

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
    draw_on(&BitMapBackend::new(&png, figure.size()).into_drawing_area(), figure)
        .map_err(|e| plot_error(&png, e))?;
    draw_on(&SVGBackend::new(&svg, figure.size()).into_drawing_area(), figure)
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

/// The cells drawn in one colour: one planner in a sweep, one run otherwise.
pub(crate) struct Series<'a> {
    /// Planner (sweep) or run label.
    pub key: String,
    /// Legend text.
    pub name: String,
    pub color: RGBColor,
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
                out.push(Series {
                    key: key.clone(),
                    name,
                    color: PALETTE[out.len() % PALETTE.len()],
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

/// One plot axis, linear or base-10 logarithmic; values are mapped before plotting.
struct Axis {
    log: bool,
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl Axis {
    /// Axis covering `values` (padded by 5%); logarithmic when `allow_log`, every value is
    /// positive and they span at least a factor of `log_span`.
    fn fit(values: &[f64], allow_log: bool, log_span: f64) -> Axis {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (min, max) = if min.is_finite() {
            (min, max)
        } else {
            (0.0, 1.0)
        };
        let log = allow_log && min > 0.0 && max / min >= log_span;
        let (lo, hi) = if log {
            (min.log10(), max.log10())
        } else {
            (min.min(0.0), max)
        };
        let pad = if hi > lo { (hi - lo) * 0.05 } else { 0.5 };
        let range = (lo - pad)..(hi + pad);
        let ticks = if log {
            log_ticks(&range)
        } else {
            linear_ticks(&range, 6)
        };
        Axis { log, range, ticks }
    }

    fn map(&self, value: f64) -> f64 {
        if self.log {
            value.log10()
        } else {
            value
        }
    }

    fn label(&self, mapped: f64) -> String {
        let value = if self.log { 10f64.powf(mapped) } else { mapped };
        short_number(value)
    }

    fn coord(&self) -> WithKeyPoints<RangedCoordf64> {
        self.range.clone().with_key_points(self.ticks.clone())
    }
}

fn short_number(value: f64) -> String {
    let magnitude = value.abs();
    if magnitude == 0.0 {
        "0".to_string()
    } else if magnitude >= 100.0 {
        format!("{value:.0}")
    } else if magnitude >= 1.0 {
        trim_zeros(format!("{value:.2}"))
    } else {
        trim_zeros(format!("{value:.3}"))
    }
}

fn trim_zeros(s: String) -> String {
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// About `target` ticks at multiples of 1, 2 or 5 times a power of ten.
fn linear_ticks(range: &std::ops::Range<f64>, target: usize) -> Vec<f64> {
    let raw = (range.end - range.start) / target as f64;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    let first = (range.start / step).ceil() as i64;
    let last = (range.end / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// Ticks at 1, 2 and 5 times powers of ten, in log10 space.
fn log_ticks(range: &std::ops::Range<f64>) -> Vec<f64> {
    let mut ticks = Vec::new();
    for exponent in (range.start.floor() as i32)..=(range.end.ceil() as i32) {
        for m in [1.0f64, 2.0, 5.0] {
            let t = f64::from(exponent) + m.log10();
            if range.contains(&t) {
                ticks.push(t);
            }
        }
    }
    ticks
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<WithKeyPoints<RangedCoordf64>, WithKeyPoints<RangedCoordf64>>,
>;

/// A chart with labelled axes on `area`.
fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    caption: &str,
    x: &'a Axis,
    y: &'a Axis,
    x_desc: &str,
    y_desc: &str,
    x_formatter: &'a dyn Fn(&f64) -> String,
) -> Result<Chart<'a, DB>, Box<dyn Error>>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .caption(caption, font(22))
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(76)
        .build_cartesian_2d(x.coord(), y.coord())?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(font(17))
        .label_style(font(14))
        .x_label_formatter(x_formatter)
        .y_label_formatter(&|v| y.label(*v))
        .bold_line_style(BLACK.mix(0.12))
        .draw()?;
    Ok(chart)
}

fn draw_legend<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    position: SeriesLabelPosition,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(position)
        .label_font(font(15))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .draw()?;
    Ok(())
}

/// Adds a legend entry that explains a visual convention rather than a series.
fn legend_note<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    text: String,
    marker: impl Fn((i32, i32)) -> DynElement<'static, DB, (i32, i32)> + 'static,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label(text)
        .legend(marker);
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
    let mut axis = Axis::fit(&values, false, f64::INFINITY);
    axis.range = axis.range.start.max(0.0)..axis.range.end.min(100.0).max(axis.range.start + 1.0);
    axis.ticks = linear_ticks(&axis.range, 8);
    axis
}

/// Plot 1: task accuracy against nominal discriminator accuracy, with bands and thresholds.
pub(crate) struct AccuracyVsDiscriminator<'a> {
    pub title: &'a str,
    pub analysis: &'a SweepAnalysis,
}

impl AccuracyVsDiscriminator<'_> {
    fn threshold_of(&self, key: &str) -> Option<&PlannerThreshold> {
        self.analysis.thresholds.iter().find(|t| t.planner == key)
    }
}

impl Figure for AccuracyVsDiscriminator<'_> {
    fn stem(&self) -> &'static str {
        "accuracy_vs_discriminator"
    }

    fn size(&self) -> (u32, u32) {
        (1200, 800)
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
        let mut x = Axis::fit(&accuracies, false, f64::INFINITY);
        x.range = (x.range.start.max(0.0) - 0.01)..(x.range.end.min(1.0) + 0.01);
        x.ticks = linear_ticks(&x.range, 10);
        let y = accuracy_axis(swept.iter().copied());
        let caption = format!("{}: task accuracy vs discriminator accuracy", self.title);
        let x_label = |v: &f64| format!("{v:.2}");
        let mut chart = chart(
            root,
            &caption,
            &x,
            &y,
            "Discriminator accuracy (nominal accuracy of the simulated discriminator)",
            "Task accuracy (% of examples solved)",
            &x_label,
        )?;

        let all_series = series(self.analysis);
        let mut label_row = 0;
        for s in &all_series {
            let points: Vec<&CellSummary> =
                s.cells.iter().copied().filter(|c| c.accuracy.is_some()).collect();
            let Some(threshold) = self.threshold_of(&s.key) else {
                draw_accuracy_curve(&mut chart, s, &points, s.name.clone())?;
                continue;
            };
            let legend = match threshold.threshold {
                Some(t) => format!("{} (threshold {t:.2})", s.name),
                None => format!("{} (no threshold in range)", s.name),
            };
            draw_accuracy_curve(&mut chart, s, &points, legend)?;
            if let Some(t) = threshold.threshold {
                let color = s.color;
                chart.draw_series(std::iter::once(DashedPathElement::new(
                    [(t, y.range.start), (t, y.range.end)],
                    8,
                    5,
                    color.stroke_width(2),
                )))?;
                // Labels stack downwards from the top so that several thresholds stay readable.
                let right_half = t > (x.range.start + x.range.end) / 2.0;
                let (dx, h) = if right_half {
                    (-0.004, HPos::Right)
                } else {
                    (0.004, HPos::Left)
                };
                let height = y.range.end - y.range.start;
                let label_y = y.range.end - height * (0.02 + 0.05 * f64::from(label_row));
                label_row += 1;
                chart.draw_series(std::iter::once(Text::new(
                    format!("{} ≥ {t:.2}", s.key),
                    (t + dx, label_y),
                    colored_font(15, color).pos(Pos::new(h, VPos::Top)),
                )))?;
            }
        }
        let conf = format!("{:.0}%", 100.0 * options.confidence);
        legend_note(
            &mut chart,
            format!("shaded band: {conf} bootstrap CI"),
            |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], BLACK.mix(0.15).filled()).into_dyn(),
        )?;
        if !self.analysis.thresholds.is_empty() {
            legend_note(
                &mut chart,
                format!(
                    "dashed line: threshold, better than {} from here on (McNemar p < {})",
                    options.baseline, options.alpha
                ),
                |(x, y)| {
                    DashedPathElement::new([(x, y), (x + 20, y)], 5, 3, BLACK.stroke_width(2))
                        .into_dyn()
                },
            )?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

fn draw_accuracy_curve<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: &Series<'_>,
    points: &[&CellSummary],
    legend: String,
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
    chart.draw_series(std::iter::once(Polygon::new(band, s.color.mix(0.15).filled())))?;
    let color = s.color;
    chart
        .draw_series(LineSeries::new(
            points.iter().map(|c| at(c, c.task_accuracy.mean)),
            color.stroke_width(2),
        ))?
        .label(legend)
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    chart.draw_series(
        points
            .iter()
            .map(|c| Circle::new(at(c, c.task_accuracy.mean), 4, color.filled())),
    )?;
    Ok(())
}

/// Plot 2: task accuracy against mean cost per example, one panel per cost measure.
pub(crate) struct AccuracyVsCost<'a> {
    pub title: &'a str,
    pub analysis: &'a SweepAnalysis,
}

impl Figure for AccuracyVsCost<'_> {
    fn stem(&self) -> &'static str {
        "accuracy_vs_cost"
    }

    fn size(&self) -> (u32, u32) {
        (1500, 700)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let heading = format!("{}: task accuracy vs cost per example", self.title);
        let body = root.titled(&heading, font(24))?;
        let panels = body.split_evenly((1, 2));
        let all_series = series(self.analysis);
        let measures: [(&str, &str, fn(&CellSummary) -> f64); 2] = [
            ("Time", "Wall-clock seconds per example", |c| c.seconds),
            ("LLM calls", "LLM calls per example", |c| c.llm_calls),
        ];
        for (i, (panel, (name, desc, cost))) in panels.iter().zip(measures).enumerate() {
            let costs: Vec<f64> = self.analysis.cells.iter().map(cost).collect();
            let x = Axis::fit(&costs, true, 20.0);
            let y = accuracy_axis(self.analysis.cells.iter());
            let x_desc = if x.log {
                format!("{desc} (log scale)")
            } else {
                desc.to_string()
            };
            let x_label = |v: &f64| x.label(*v);
            let caption = format!("Accuracy vs {}", name.to_lowercase());
            let mut chart = chart(
                panel,
                &caption,
                &x,
                &y,
                &x_desc,
                "Task accuracy (% of examples solved)",
                &x_label,
            )?;
            for s in &all_series {
                draw_cost_points(&mut chart, s, &x, cost, self.analysis.is_sweep)?;
            }
            if i == 0 {
                let conf = format!("{:.0}%", 100.0 * self.analysis.options.confidence);
                let note = if self.analysis.is_sweep {
                    format!("bars: {conf} CI; numbers: discriminator accuracy")
                } else {
                    format!("bars: {conf} CI")
                };
                legend_note(&mut chart, note, |(x, y)| {
                    PathElement::new([(x + 10, y - 6), (x + 10, y + 6)], BLACK).into_dyn()
                })?;
                draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
            }
        }
        Ok(())
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
    chart
        .draw_series(LineSeries::new(
            s.cells.iter().map(|c| point(c)),
            color.mix(0.6).stroke_width(1),
        ))?
        .label(s.name.clone())
        .legend(move |(x, y)| Circle::new((x + 10, y), 5, color.filled()));
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
    chart.draw_series(s.cells.iter().map(|c| Circle::new(point(c), 5, color.filled())))?;
    if is_sweep {
        chart.draw_series(s.cells.iter().filter_map(|c| {
            let accuracy = c.accuracy?;
            Some(Text::new(
                format!("{accuracy:.2}"),
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

/// Plot 3: distribution of seconds per example, one box per series.
pub(crate) struct CostDistribution<'a> {
    pub title: &'a str,
    pub analysis: &'a SweepAnalysis,
}

impl Figure for CostDistribution<'_> {
    fn stem(&self) -> &'static str {
        "cost_distribution"
    }

    fn size(&self) -> (u32, u32) {
        (1200, 750)
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
        let y = Axis::fit(&everything, true, 50.0);
        let n = all_series.len();
        let x = Axis {
            log: false,
            range: -0.6..(n as f64 - 0.4),
            ticks: (0..n).map(|i| i as f64).collect(),
        };
        let names: Vec<String> = all_series.iter().map(|s| s.name.clone()).collect();
        let x_label = |v: &f64| names.get(v.round() as usize).cloned().unwrap_or_default();
        let caption = format!("{}: seconds per example", self.title);
        let x_desc = if self.analysis.is_sweep {
            "Planner (examples of all discriminator accuracies pooled)"
        } else {
            "Run"
        };
        let y_desc = if y.log {
            "Wall-clock seconds per example (log scale)"
        } else {
            "Wall-clock seconds per example"
        };
        let mut chart = chart(root, &caption, &x, &y, x_desc, y_desc, &x_label)?;
        for (i, (s, values)) in all_series.iter().zip(&samples).enumerate() {
            if let Some(stats) = BoxStats::of(values) {
                draw_box(&mut chart, i as f64, &stats, s.color, &y)?;
            }
        }
        legend_note(
            &mut chart,
            "box: 25th to 75th percentile, line: median".into(),
            |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], BLACK.stroke_width(1)).into_dyn(),
        )?;
        legend_note(
            &mut chart,
            "whiskers: furthest example within 1.5 × IQR; circles: outliers".into(),
            |(x, y)| PathElement::new([(x + 10, y - 6), (x + 10, y + 6)], BLACK).into_dyn(),
        )?;
        legend_note(&mut chart, "cross: mean".into(), |(x, y)| {
            Cross::new((x + 10, y), 5, BLACK.stroke_width(2)).into_dyn()
        })?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
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
    chart.draw_series([
        Rectangle::new(
            [(at - HALF, v(stats.q1)), (at + HALF, v(stats.q3))],
            color.mix(0.25).filled(),
        ),
        Rectangle::new(
            [(at - HALF, v(stats.q1)), (at + HALF, v(stats.q3))],
            color.stroke_width(2),
        ),
    ])?;
    let line = |points: [(f64, f64); 2], width: u32| {
        PathElement::new(points, color.stroke_width(width))
    };
    chart.draw_series([
        line([(at - HALF, v(stats.median)), (at + HALF, v(stats.median))], 3),
        line([(at, v(stats.q1)), (at, v(stats.whisker_lo))], 1),
        line([(at, v(stats.q3)), (at, v(stats.whisker_hi))], 1),
        line([(at - HALF / 2.0, v(stats.whisker_lo)), (at + HALF / 2.0, v(stats.whisker_lo))], 1),
        line([(at - HALF / 2.0, v(stats.whisker_hi)), (at + HALF / 2.0, v(stats.whisker_hi))], 1),
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
    fn linear_ticks_use_round_steps() {
        assert_eq!(linear_ticks(&(0.0..1.0), 5), [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]);
        assert_eq!(linear_ticks(&(3.0..97.0), 8), [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]);
    }

    #[test]
    fn log_axis_only_for_wide_positive_ranges() {
        let wide = Axis::fit(&[0.5, 3.0, 80.0], true, 20.0);
        assert!(wide.log);
        assert_eq!(wide.label(wide.map(80.0)), "80");
        let labels: Vec<String> = wide.ticks.iter().map(|t| wide.label(*t)).collect();
        assert_eq!(labels, ["0.5", "1", "2", "5", "10", "20", "50"]);
        assert!(!Axis::fit(&[0.0, 3.0, 80.0], true, 20.0).log);
        assert!(!Axis::fit(&[1.0, 3.0], true, 20.0).log);
    }

    #[test]
    fn box_stats_follow_tukey() {
        let s = BoxStats::of(&[1.0, 2.0, 3.0, 4.0, 5.0, 100.0]).unwrap();
        assert_eq!((s.q1, s.median, s.q3), (2.25, 3.5, 4.75));
        assert_eq!((s.whisker_lo, s.whisker_hi), (1.0, 5.0));
        assert_eq!(s.outliers, [100.0]);
        assert!(BoxStats::of(&[]).is_none());
    }
}
