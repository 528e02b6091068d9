//! Task accuracy against one mean cost per example over the planners' budgets: one curve per
//! planner through its runs in budget order, confidence bands (or error bars where bands would
//! cover the plot), each point labelled with its budget, and the Pareto frontier ringed and
//! joined by dashed steps.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::{short_number, Axis};
use super::cost::LOG_SPAN;
use super::layout::{prefer_error_bars, BandPoint};
use super::legend::{draw_legend, Entry, Marker};
use super::scatter::{draw_labels, draw_lines, draw_markers, pixel_points, DataPoint, PixelPoint};
use super::style::{draw_line, SeriesStyle, Shape};
use super::{
    accuracy_axis, chart, draw_error_bar, layout, DrawResult, Figure, Labels, Pixels, ACCURACY_DESC,
};
use crate::budget::{BudgetAnalysis, BudgetPointSummary, CostMeasure};

/// Colour of the frontier's steps.
const FRONTIER: RGBColor = RGBColor(60, 60, 60);

pub(crate) struct AccuracyVsBudget<'a> {
    pub title: &'a str,
    pub analysis: &'a BudgetAnalysis,
    pub measure: CostMeasure,
}

/// One planner's runs that have a value of the measure, in budget order.
struct BudgetSeries<'a> {
    name: String,
    style: SeriesStyle,
    points: Vec<&'a BudgetPointSummary>,
}

impl AccuracyVsBudget<'_> {
    /// Whether `point` is drawn: every run, but on FLOPs only those with FLOPs.
    fn has_value(&self, point: &BudgetPointSummary) -> bool {
        self.measure != CostMeasure::Flops || point.summary.flops > 0.0
    }

    fn series(&self) -> Vec<BudgetSeries<'_>> {
        let mut out: Vec<BudgetSeries> = Vec::new();
        let mut planners: Vec<&str> = Vec::new();
        for p in &self.analysis.points {
            let planner = p.summary.planner.as_str();
            if !planners.contains(&planner) {
                planners.push(planner);
            }
            if !self.has_value(p) {
                continue;
            }
            match out.last_mut() {
                Some(s) if s.points[0].summary.planner == planner => s.points.push(p),
                _ => {
                    let mut name = planner.to_string();
                    if self.analysis.options.baselines.iter().any(|b| b == planner) {
                        name.push_str(" (baseline)");
                    }
                    if let Some(b) = &p.budget {
                        name.push_str(&format!(", budget: {}", b.axis));
                    }
                    // Styles follow the planner's place among all planners, so one planner
                    // looks the same on every measure.
                    out.push(BudgetSeries {
                        name,
                        style: SeriesStyle::nth(planners.len() - 1),
                        points: vec![p],
                    });
                }
            }
        }
        out
    }

    fn data_points(&self, series: &[BudgetSeries<'_>]) -> Vec<Vec<DataPoint>> {
        series
            .iter()
            .map(|s| {
                s.points
                    .iter()
                    .map(|p| DataPoint {
                        x: self.measure.of(&p.summary),
                        accuracy: p.summary.task_accuracy,
                        label: p.budget.as_ref().map(|b| short_number(b.value)),
                        ringed: p.pareto.contains(&self.measure),
                    })
                    .collect()
            })
            .collect()
    }
}

impl Figure for AccuracyVsBudget<'_> {
    fn stem(&self) -> &'static str {
        match self.measure {
            CostMeasure::Tokens => "accuracy_vs_tokens",
            CostMeasure::Flops => "accuracy_vs_flops",
            CostMeasure::Seconds => "accuracy_vs_seconds",
            CostMeasure::Calls => "accuracy_vs_calls",
        }
    }

    fn size(&self) -> (u32, u32) {
        (1400, 800)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let all_series = self.series();
        let data = self.data_points(&all_series);
        let costs: Vec<f64> = data.iter().flatten().map(|p| p.x).collect();
        let x = Axis::fit(&costs, true, Some(LOG_SPAN));
        let y = accuracy_axis(
            all_series
                .iter()
                .flat_map(|s| s.points.iter())
                .map(|p| &p.summary),
        );
        let caption = format!(
            "{}: task accuracy vs {} per example",
            self.title,
            self.measure.name()
        );
        let (plot_area, legend_area) = layout(root, &caption)?;
        let x_desc = if x.log {
            format!("{} (log scale)", self.measure.describe())
        } else {
            self.measure.describe().to_string()
        };
        let x_ticks = |v: &f64| x.label(*v);
        let chart = chart(
            &plot_area,
            &x,
            &y,
            Labels {
                caption: None,
                x_desc: &x_desc,
                y_desc: ACCURACY_DESC,
                x_ticks: &x_ticks,
            },
        )?;
        let pixels = Pixels::of(&chart);
        let area = &pixels.area;
        let (points, dodged) = pixel_points(&chart, &data, &x);
        let styles: Vec<SeriesStyle> = all_series.iter().map(|s| s.style).collect();

        let bands = use_bands(&points, area.dim_in_pixel());
        if bands {
            for (style, ps) in styles.iter().zip(&points) {
                draw_band(area, style.color, ps)?;
            }
        }
        // A band says little with fewer points: such planners get error bars.
        for (style, ps) in styles.iter().zip(&points) {
            if !bands || ps.len() < BAND_POINTS {
                for p in ps {
                    draw_error_bar(area, p.centre.0, p.span, style.color, 1)?;
                }
            }
        }
        draw_frontier(area, &points)?;
        draw_lines(area, &styles, &points)?;
        draw_markers(area, &styles, &points)?;
        draw_labels(area, &styles, &points)?;

        let mut entries: Vec<Entry> = all_series
            .iter()
            .map(|s| {
                let marker = if s.points.len() > 1 {
                    Marker::Series(s.style)
                } else {
                    Marker::Point(s.style)
                };
                Entry::new(marker, s.name.clone())
            })
            .collect();
        let confidence = 100.0 * self.analysis.options.stats.confidence;
        entries.push(if bands {
            Entry::new(
                Marker::Band(RGBColor(80, 80, 80)),
                format!(
                    "shaded band: {confidence:.0}% bootstrap confidence interval of task \
                     accuracy (a vertical bar for a planner with fewer than {BAND_POINTS} runs)"
                ),
            )
        } else {
            Entry::new(
                Marker::Whisker,
                format!(
                    "vertical bar: {confidence:.0}% bootstrap confidence interval of task accuracy"
                ),
            )
        });
        entries.push(Entry::new(
            Marker::Ring(BLACK),
            format!(
                "ringed point: Pareto-optimal, no other run has at least its accuracy at no \
                 more {} per example",
                self.measure.name()
            ),
        ));
        entries.push(Entry::new(
            Marker::Dashed(FRONTIER),
            "dashed steps: the Pareto frontier, the best accuracy reached at each cost",
        ));
        entries.push(Entry::new(
            Marker::Sample("8".into()),
            "number by a point: the run's budget on its planner's budget axis; lines join one \
             planner's runs in order of budget",
        ));
        if dodged {
            entries.push(Entry::new(
                Marker::Dodge,
                "where planners share a column they are drawn slightly apart sideways, so that \
                 none hides another",
            ));
        }
        draw_legend(&legend_area, &entries)
    }
}

/// Fewest runs of a planner drawn with a band rather than error bars.
const BAND_POINTS: usize = 3;

/// Bands (for the planners with at least [`BAND_POINTS`] runs) unless no planner has that many
/// or their bands would cover too much of the plot.
fn use_bands(points: &[Vec<PixelPoint>], (width, height): (u32, u32)) -> bool {
    let bands: Vec<Vec<BandPoint>> = points
        .iter()
        .filter(|ps| ps.len() >= BAND_POINTS)
        .map(|ps| {
            let mut band: Vec<BandPoint> = ps
                .iter()
                .map(|p| {
                    (
                        f64::from(p.centre.0),
                        f64::from(p.span.0),
                        f64::from(p.span.1),
                    )
                })
                .collect();
            band.sort_by(|a, b| a.0.total_cmp(&b.0));
            band
        })
        .collect();
    !bands.is_empty()
        && !prefer_error_bars(&bands, (0.0, f64::from(width)), (0.0, f64::from(height)))
}

/// The shaded confidence band of one planner through its points in budget order.
fn draw_band<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    color: RGBColor,
    points: &[PixelPoint],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    if points.len() < BAND_POINTS {
        return Ok(());
    }
    let outline: Vec<(i32, i32)> = points
        .iter()
        .map(|p| (p.centre.0, p.span.0))
        .chain(points.iter().rev().map(|p| (p.centre.0, p.span.1)))
        .collect();
    area.draw(&Polygon::new(outline, color.mix(0.12).filled()))?;
    Ok(())
}

/// Dashed steps through the ringed (Pareto-optimal) points by ascending cost: across at the
/// accuracy reached so far, then up to the next point.
fn draw_frontier<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    points: &[Vec<PixelPoint>],
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    let mut optimal: Vec<(i32, i32)> = points
        .iter()
        .flatten()
        .filter(|p| p.ringed)
        .map(|p| p.centre)
        .collect();
    optimal.sort_by_key(|&(x, y)| (x, std::cmp::Reverse(y)));
    let steps = frontier_steps(&optimal);
    let style = SeriesStyle {
        color: FRONTIER,
        shape: Shape::Circle,
        dash: &[6.0, 4.0],
        width: 2,
    };
    draw_line(area, &steps, &style, 0.8)
}

/// The staircase through `points` (sorted by x): each point, then across to the next one's x.
fn frontier_steps(points: &[(i32, i32)]) -> Vec<(i32, i32)> {
    let mut steps: Vec<(i32, i32)> = Vec::with_capacity(2 * points.len());
    for (i, &p) in points.iter().enumerate() {
        if i > 0 {
            steps.push((p.0, steps[steps.len() - 1].1));
        }
        steps.push(p);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontier_steps_go_across_then_up() {
        // Pixel y grows downwards: higher accuracy is a smaller y.
        let steps = frontier_steps(&[(10, 90), (40, 60), (80, 20)]);
        assert_eq!(steps, [(10, 90), (40, 90), (40, 60), (80, 60), (80, 20)]);
        assert!(frontier_steps(&[]).is_empty());
    }

    fn drawn(points: &[(i32, i32, i32)]) -> Vec<PixelPoint> {
        points
            .iter()
            .map(|&(x, top, bottom)| PixelPoint {
                centre: (x, (top + bottom) / 2),
                span: (top, bottom),
                label: None,
                ringed: false,
            })
            .collect()
    }

    #[test]
    fn bands_only_where_narrow_and_a_planner_has_three_runs() {
        let size = (1000, 500);
        // Narrow intervals (10 of 500 pixels) along a curve: bands.
        let narrow = drawn(&[(100, 200, 210), (500, 150, 160), (900, 100, 110)]);
        let single = drawn(&[(300, 0, 500)]);
        assert!(use_bands(&[narrow, single], size));
        // Intervals over most of the height: error bars.
        let wide = drawn(&[(100, 0, 400), (500, 50, 450), (900, 100, 500)]);
        assert!(!use_bands(&[wide], size));
        // Nobody has three runs: error bars.
        let two = drawn(&[(300, 200, 210), (600, 200, 210)]);
        assert!(!use_bands(&[two], size));
    }
}
