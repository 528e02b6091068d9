//! Plot axes: linear or logarithmic, with round tick positions and short tick labels.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// One plot axis, linear or base-10 logarithmic; values are mapped before plotting.
pub(crate) struct Axis {
    pub log: bool,
    pub range: Range<f64>,
    pub ticks: Vec<f64>,
}

impl Axis {
    /// Axis covering `values` (padded by 5%, and down to zero if `from_zero`); logarithmic
    /// instead when `log_span` is given, every value is positive and they span at least that
    /// factor.
    pub fn fit(values: &[f64], from_zero: bool, log_span: Option<f64>) -> Axis {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (min, max) = if min.is_finite() {
            (min, max)
        } else {
            (0.0, 1.0)
        };
        let log = log_span.is_some_and(|span| min > 0.0 && max / min >= span);
        let (lo, hi) = if log {
            (min.log10(), max.log10())
        } else if from_zero {
            (min.min(0.0), max)
        } else {
            (min, max)
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

    pub fn map(&self, value: f64) -> f64 {
        if self.log {
            value.log10()
        } else {
            value
        }
    }

    pub fn label(&self, mapped: f64) -> String {
        let value = if self.log { 10f64.powf(mapped) } else { mapped };
        short_number(value)
    }

    pub fn coord(&self) -> Scale {
        Scale {
            range: self.range.clone(),
            ticks: self.ticks.clone(),
        }
    }
}

/// A linear plotters coordinate (over already mapped values) with our own tick positions.
#[derive(Clone)]
pub(crate) struct Scale {
    range: Range<f64>,
    ticks: Vec<f64>,
}

impl Ranged for Scale {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let fraction = (value - self.range.start) / (self.range.end - self.range.start);
        let pixels = f64::from(limit.1 - limit.0) * fraction;
        limit.0 + pixels.round().clamp(-1e6, 1e6) as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// A number in at most three significant decimals: 1234 → "1234", 2.5 → "2.5".
pub(crate) fn short_number(value: f64) -> String {
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
pub(crate) fn linear_ticks(range: &Range<f64>, target: usize) -> Vec<f64> {
    let raw = (range.end - range.start) / target as f64;
    let power = 10f64.powf(raw.log10().floor());
    // The round step closest to the raw one on a log scale.
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .min_by(|a, b| (a / raw).ln().abs().total_cmp(&(b / raw).ln().abs()))
        .unwrap_or(power);
    let first = (range.start / step).ceil() as i64;
    let last = (range.end / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// Ticks at 1, 2 and 5 times powers of ten, in log10 space.
fn log_ticks(range: &Range<f64>) -> Vec<f64> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_use_round_steps() {
        let close = |ticks: Vec<f64>, expected: &[f64]| {
            ticks.len() == expected.len()
                && ticks
                    .iter()
                    .zip(expected)
                    .all(|(t, e)| (t - e).abs() < 1e-9)
        };
        assert!(close(
            linear_ticks(&(0.0..1.0), 5),
            &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        ));
        assert!(close(
            linear_ticks(&(3.0..97.0), 8),
            &[10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0]
        ));
        assert!(close(
            linear_ticks(&(0.48..1.02), 10),
            &[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0]
        ));
    }

    #[test]
    fn log_axis_only_for_wide_positive_ranges() {
        let wide = Axis::fit(&[0.5, 3.0, 80.0], true, Some(20.0));
        assert!(wide.log);
        assert_eq!(wide.label(wide.map(80.0)), "80");
        let labels: Vec<String> = wide.ticks.iter().map(|t| wide.label(*t)).collect();
        assert_eq!(labels, ["0.5", "1", "2", "5", "10", "20", "50", "100"]);
        assert!(!Axis::fit(&[0.0, 3.0, 80.0], true, Some(20.0)).log);
        assert!(!Axis::fit(&[1.0, 3.0], true, Some(20.0)).log);
        assert!(!Axis::fit(&[0.5, 3.0, 80.0], true, None).log);
        assert_eq!(Axis::fit(&[2.0, 4.0], true, None).range.start, -0.2);
        assert_eq!(Axis::fit(&[2.0, 4.0], false, None).range.start, 1.9);
    }
}
