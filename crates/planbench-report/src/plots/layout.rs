//! Keeping plot elements apart: sideways dodging of coinciding series, the choice between
//! confidence bands and error bars, and a greedy vertical nudge that keeps labels from
//! overlapping.

/// An axis-aligned pixel rectangle: left, top, width, height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rect {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl Rect {
    /// Whether the two rectangles share some area (touching edges do not count).
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + other.h
            && other.y < self.y + self.h
    }

    fn shifted(&self, dy: i32) -> Rect {
        Rect {
            y: self.y + dy,
            ..*self
        }
    }
}

/// Sideways offsets of `n` series, `step` apart and centred on zero.
pub(crate) fn dodge_offsets(n: usize, step: f64) -> Vec<f64> {
    let centre = (n as f64 - 1.0) / 2.0;
    (0..n).map(|i| (i as f64 - centre) * step).collect()
}

/// Whether two different series have a point at the same place, within `tolerance` in each
/// coordinate (in whatever units the points are in).
pub(crate) fn any_coincide(series: &[Vec<(f64, f64)>], tolerance: (f64, f64)) -> bool {
    series.iter().enumerate().any(|(i, a)| {
        series[i + 1..].iter().any(|b| {
            a.iter().any(|p| {
                b.iter()
                    .any(|q| (p.0 - q.0).abs() <= tolerance.0 && (p.1 - q.1).abs() <= tolerance.1)
            })
        })
    })
}

/// One point of a confidence band: x, lower and upper bound.
pub(crate) type BandPoint = (f64, f64, f64);

/// Average fraction of the height of the plot that the union of `bands` covers, over 200
/// columns across `x` (a band covers only columns within its own x extent, interpolating
/// linearly between its points, which must be sorted by x).
pub(crate) fn band_coverage(bands: &[Vec<BandPoint>], x: (f64, f64), y: (f64, f64)) -> f64 {
    const COLUMNS: usize = 200;
    let height = y.1 - y.0;
    if height <= 0.0 || x.1 <= x.0 {
        return 0.0;
    }
    let mut total = 0.0;
    for column in 0..COLUMNS {
        let at = x.0 + (x.1 - x.0) * (column as f64 + 0.5) / COLUMNS as f64;
        let mut spans: Vec<(f64, f64)> = bands
            .iter()
            .filter_map(|band| interval_at(band, at))
            .map(|(lo, hi)| (lo.max(y.0), hi.min(y.1)))
            .filter(|(lo, hi)| hi > lo)
            .collect();
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut covered = 0.0;
        let mut reach = f64::NEG_INFINITY;
        for (lo, hi) in spans {
            let start = lo.max(reach);
            if hi > start {
                covered += hi - start;
            }
            reach = reach.max(hi);
        }
        total += covered / height;
    }
    total / COLUMNS as f64
}

fn interval_at(band: &[BandPoint], x: f64) -> Option<(f64, f64)> {
    let lerp = |a: f64, b: f64, t: f64| a + (b - a) * t;
    band.windows(2).find_map(|w| {
        let (a, b) = (w[0], w[1]);
        (a.0 <= x && x <= b.0 && b.0 > a.0).then(|| {
            let t = (x - a.0) / (b.0 - a.0);
            (lerp(a.1, b.1, t), lerp(a.2, b.2, t))
        })
    })
}

/// Bands cover more than this fraction of the plot: error bars instead.
pub(crate) const MAX_BAND_COVERAGE: f64 = 0.4;

/// Whether confidence intervals should be drawn as error bars rather than bands: when a series
/// has fewer than three points (a band says little) or the bands would cover more than
/// [`MAX_BAND_COVERAGE`] of the plot.
pub(crate) fn prefer_error_bars(bands: &[Vec<BandPoint>], x: (f64, f64), y: (f64, f64)) -> bool {
    bands.iter().any(|b| b.len() < 3) || band_coverage(bands, x, y) > MAX_BAND_COVERAGE
}

/// Vertical offsets that keep `labels` (pixel boxes at their wanted places) from overlapping
/// each other and `obstacles`: each label in turn takes the smallest shift, trying
/// 0, −step, +step, −2·step, … up to `max_shift`, that clears the labels placed before it and
/// every obstacle, and stays within `bounds` (top, bottom); 0 when none does.
pub(crate) fn nudge_labels(
    labels: &[Rect],
    obstacles: &[Rect],
    bounds: (i32, i32),
    step: i32,
    max_shift: i32,
) -> Vec<i32> {
    let mut placed: Vec<Rect> = Vec::with_capacity(labels.len());
    let mut shifts = Vec::with_capacity(labels.len());
    let step = step.max(1);
    for label in labels {
        let candidates =
            std::iter::once(0).chain((1..=max_shift / step).flat_map(|k| [-k * step, k * step]));
        let free = |dy: &i32| {
            let moved = label.shifted(*dy);
            moved.y >= bounds.0
                && moved.y + moved.h <= bounds.1
                && !placed.iter().chain(obstacles).any(|r| r.overlaps(&moved))
        };
        let dy = candidates.clone().find(free).unwrap_or(0);
        placed.push(label.shifted(dy));
        shifts.push(dy);
    }
    shifts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rect(x: i32, y: i32, w: i32, h: i32) -> Rect {
        Rect { x, y, w, h }
    }

    #[test]
    fn dodge_is_centred() {
        assert_eq!(dodge_offsets(3, 2.0), [-2.0, 0.0, 2.0]);
        assert_eq!(dodge_offsets(2, 1.0), [-0.5, 0.5]);
        assert_eq!(dodge_offsets(1, 1.0), [0.0]);
    }

    #[test]
    fn coinciding_series_are_found() {
        let a = vec![(0.5, 40.0), (0.7, 50.0)];
        let b = vec![(0.5, 30.0), (0.7, 50.5)];
        assert!(any_coincide(&[a.clone(), b.clone()], (1e-9, 1.0)));
        assert!(!any_coincide(&[a.clone(), b], (1e-9, 0.1)));
        // One series never coincides with itself.
        assert!(!any_coincide(&[a], (1.0, 100.0)));
    }

    #[test]
    fn band_coverage_of_hand_drawn_bands() {
        // A band over the lower half of the plot, the whole width: half the plot.
        let lower = vec![(0.0, 0.0, 50.0), (1.0, 0.0, 50.0)];
        assert!(
            (band_coverage(std::slice::from_ref(&lower), (0.0, 1.0), (0.0, 100.0)) - 0.5).abs()
                < 1e-9
        );
        // Overlapping bands count once: [0, 50] ∪ [25, 75] = 75%.
        let middle = vec![(0.0, 25.0, 75.0), (1.0, 25.0, 75.0)];
        let both = [lower.clone(), middle];
        assert!((band_coverage(&both, (0.0, 1.0), (0.0, 100.0)) - 0.75).abs() < 1e-9);
        // A band over half the width covers a quarter.
        let left = vec![(0.0, 0.0, 50.0), (0.5, 0.0, 50.0)];
        assert!((band_coverage(&[left], (0.0, 1.0), (0.0, 100.0)) - 0.25).abs() < 1e-9);
        // A widening band: from 0 to 40 wide, 20% on average.
        let widening = vec![(0.0, 50.0, 50.0), (1.0, 30.0, 70.0)];
        assert!((band_coverage(&[widening], (0.0, 1.0), (0.0, 100.0)) - 0.2).abs() < 1e-9);
        assert!(prefer_error_bars(&both, (0.0, 1.0), (0.0, 100.0)));
        let narrow = vec![(0.0, 45.0, 55.0), (0.5, 45.0, 55.0), (1.0, 45.0, 55.0)];
        assert!(!prefer_error_bars(
            std::slice::from_ref(&narrow),
            (0.0, 1.0),
            (0.0, 100.0)
        ));
        // Two points are too few for a band.
        assert!(prefer_error_bars(
            &[narrow[..2].to_vec()],
            (0.0, 1.0),
            (0.0, 100.0)
        ));
    }

    #[test]
    fn labels_are_nudged_apart() {
        // Three labels wanted at the same place: the first stays, the others move up and down.
        let same = [rect(0, 100, 30, 10); 3];
        assert_eq!(nudge_labels(&same, &[], (0, 500), 2, 60), [0, -10, 10]);
        // A label far from the others stays put.
        let apart = [rect(0, 100, 30, 10), rect(100, 100, 30, 10)];
        assert_eq!(nudge_labels(&apart, &[], (0, 500), 2, 60), [0, 0]);
        // Obstacles are avoided too, and the plot bounds respected: the label cannot go up.
        let obstacle = [rect(0, 100, 30, 10)];
        assert_eq!(
            nudge_labels(&[rect(0, 95, 30, 10)], &obstacle, (92, 500), 1, 60),
            [15]
        );
        // No room at all: the label stays where it wanted to be.
        assert_eq!(
            nudge_labels(&[rect(0, 0, 30, 10)], &[rect(0, 0, 30, 10)], (0, 10), 1, 60),
            [0]
        );
        let a = rect(0, 0, 10, 10);
        assert!(a.overlaps(&rect(9, 9, 5, 5)));
        assert!(!a.overlaps(&rect(10, 0, 5, 5)));
    }
}
