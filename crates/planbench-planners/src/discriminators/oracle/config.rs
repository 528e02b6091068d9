//! The simulated oracle's knobs: which truth it reports, how it goes wrong, and how often it
//! draws.

use planbench_core::{named_enum, OracleLevels, OracleRule};
use serde::{Deserialize, Serialize};

/// Why an oracle configuration was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OracleConfigError {
    /// A probability outside [0, 1] (or not a number).
    #[error("oracle {name} must be a probability in [0, 1], not {value}")]
    NotAProbability { name: &'static str, value: f64 },
    /// A noise level that is negative or not finite.
    #[error("oracle sigma must be finite and at least 0, not {0}")]
    BadSigma(f64),
    /// Knobs of two noise modes, or half of the rates mode.
    #[error("oracle noise: {0}")]
    Conflict(String),
}

/// How often the oracle draws whether a judgement is wrong.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum OracleDraws {
    /// planbench's: one draw per (seed, example, normalized program); a program scored again
    /// gets the same judgement.
    #[default]
    PerCandidate,
    /// The paper's: a fresh draw on every scoring call (its evaluators call `random.random()`
    /// each time), so a wrong judgement of a program scored again may come out right. planbench
    /// keeps it deterministic: the draw is seeded by seed, example, normalized program and how
    /// many times this oracle already scored that program for that example (the first scoring
    /// draws as `per-candidate` does).
    PerCall,
}

named_enum!(OracleDraws, "oracle draws", {
    PerCandidate => "per-candidate",
    PerCall => "per-call",
});

/// How the oracle's judgements depart from the truth ([`planbench_core::OracleTruth`]: the
/// `kept` score, the `flipped` one, and the program's official correctness).
///
/// JSON: `{"mode": "flip", "accuracy": 0.8}`, `{"mode": "rates", "tpr": 0.9, "fpr": 0.2}` or
/// `{"mode": "gaussian", "sigma": 0.1}`; [`OracleNoise::from_parts`] builds one from flat
/// fields.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case", deny_unknown_fields)]
pub enum OracleNoise {
    /// The paper's: the kept score with probability `accuracy`, otherwise the flipped one,
    /// whatever the program.
    Flip { accuracy: f64 },
    /// Beyond the paper: separate rates. A *positive* judgement is the high one for a correct
    /// program and the flipped one for a wrong program: a correct program gets its kept score
    /// with probability `tpr` (else its flipped score), a wrong one gets its flipped score with
    /// probability `fpr` (else its kept score). `tpr = a, fpr = 1 - a` gives exactly the
    /// judgements of `Flip { accuracy: a }` (same draws).
    Rates { tpr: f64, fpr: f64 },
    /// Beyond the paper: the kept score plus Gaussian noise of standard deviation `sigma`
    /// (one deterministic draw, like a flip's), clipped to [0, 1].
    Gaussian { sigma: f64 },
}

impl Default for OracleNoise {
    fn default() -> Self {
        OracleNoise::Flip { accuracy: 1.0 }
    }
}

impl OracleNoise {
    /// The noise of flat configuration fields: `sigma` set gives [`OracleNoise::Gaussian`],
    /// `tpr` and `fpr` set give [`OracleNoise::Rates`], neither gives
    /// [`OracleNoise::Flip`] at `accuracy` (which the other modes ignore). Both modes at once,
    /// or only one of `tpr` and `fpr`, is an error; so is any value out of range.
    pub fn from_parts(
        accuracy: f64,
        tpr: Option<f64>,
        fpr: Option<f64>,
        sigma: Option<f64>,
    ) -> Result<Self, OracleConfigError> {
        let noise = match (tpr, fpr, sigma) {
            (None, None, None) => OracleNoise::Flip { accuracy },
            (None, None, Some(sigma)) => OracleNoise::Gaussian { sigma },
            (Some(tpr), Some(fpr), None) => OracleNoise::Rates { tpr, fpr },
            (_, _, Some(_)) => {
                return Err(OracleConfigError::Conflict(
                    "set sigma or tpr and fpr, not both".into(),
                ))
            }
            _ => {
                return Err(OracleConfigError::Conflict(
                    "tpr and fpr go together".into(),
                ))
            }
        };
        noise.validate()?;
        Ok(noise)
    }

    /// Refuses probabilities outside [0, 1] and negative or non-finite sigmas.
    pub fn validate(&self) -> Result<(), OracleConfigError> {
        let probability = |name: &'static str, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(())
            } else {
                Err(OracleConfigError::NotAProbability { name, value })
            }
        };
        match *self {
            OracleNoise::Flip { accuracy } => probability("accuracy", accuracy),
            OracleNoise::Rates { tpr, fpr } => {
                probability("tpr", tpr)?;
                probability("fpr", fpr)
            }
            OracleNoise::Gaussian { sigma } if sigma.is_finite() && sigma >= 0.0 => Ok(()),
            OracleNoise::Gaussian { sigma } => Err(OracleConfigError::BadSigma(sigma)),
        }
    }

    /// The knobs as `describe()` writes them (`accuracy=0.8`, `tpr=0.9,fpr=0.2`, `sigma=0.1`).
    fn describe(&self) -> String {
        match self {
            OracleNoise::Flip { accuracy } => format!("accuracy={accuracy}"),
            OracleNoise::Rates { tpr, fpr } => format!("tpr={tpr},fpr={fpr}"),
            OracleNoise::Gaussian { sigma } => format!("sigma={sigma}"),
        }
    }
}

/// Everything that decides a simulated oracle's scores, besides the run seed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OracleConfig {
    /// How judgements go wrong; default: always right (`flip` at accuracy 1).
    pub noise: OracleNoise,
    /// How the true score is computed (the paper's soft scores, or exact correctness).
    pub rule: OracleRule,
    /// Which score levels the task reports: planbench's `unit` (default; a wrong judgement is
    /// `1 - score`) or the paper's evaluators' levels (`paper`).
    pub levels: OracleLevels,
    /// One draw per candidate (planbench, default) or per scoring call (the paper).
    pub draws: OracleDraws,
}

impl Default for OracleConfig {
    fn default() -> Self {
        Self {
            noise: OracleNoise::default(),
            rule: OracleRule::Paper,
            levels: OracleLevels::Unit,
            draws: OracleDraws::PerCandidate,
        }
    }
}

impl OracleConfig {
    /// The description of an oracle with this configuration and `seed`. The knobs at their
    /// defaults (`levels=unit`, `draws=per-candidate`) are left out, so the flip oracle reads
    /// `oracle(accuracy=0.8,rule=paper,seed=3)` as it always did (run ids depend on it).
    pub(crate) fn describe(&self, seed: u64) -> String {
        let mut knobs = vec![self.noise.describe(), format!("rule={}", self.rule)];
        if self.levels != OracleLevels::Unit {
            knobs.push(format!("levels={}", self.levels));
        }
        if self.draws != OracleDraws::PerCandidate {
            knobs.push(format!("draws={}", self.draws));
        }
        knobs.push(format!("seed={seed}"));
        format!("oracle({})", knobs.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_fields_pick_one_mode_and_bad_values_are_errors() {
        assert_eq!(
            OracleNoise::from_parts(0.8, None, None, None),
            Ok(OracleNoise::Flip { accuracy: 0.8 })
        );
        assert_eq!(
            OracleNoise::from_parts(0.8, Some(0.9), Some(0.1), None),
            Ok(OracleNoise::Rates { tpr: 0.9, fpr: 0.1 })
        );
        assert_eq!(
            OracleNoise::from_parts(0.8, None, None, Some(0.2)),
            Ok(OracleNoise::Gaussian { sigma: 0.2 })
        );
        assert!(matches!(
            OracleNoise::from_parts(0.8, Some(0.9), None, None),
            Err(OracleConfigError::Conflict(_))
        ));
        assert!(matches!(
            OracleNoise::from_parts(0.8, Some(0.9), Some(0.1), Some(0.2)),
            Err(OracleConfigError::Conflict(_))
        ));
        let error = OracleNoise::from_parts(0.8, Some(1.5), Some(0.1), None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "oracle tpr must be a probability in [0, 1], not 1.5"
        );
        assert!(OracleNoise::from_parts(f64::NAN, None, None, None).is_err());
        assert!(OracleNoise::from_parts(0.8, None, None, Some(-1.0)).is_err());
        assert!(OracleNoise::from_parts(0.8, None, None, Some(f64::INFINITY)).is_err());
    }

    #[test]
    fn descriptions_name_every_knob_that_is_not_the_default() {
        let flip = OracleConfig {
            noise: OracleNoise::Flip { accuracy: 0.8 },
            ..OracleConfig::default()
        };
        assert_eq!(flip.describe(3), "oracle(accuracy=0.8,rule=paper,seed=3)");
        let paper = OracleConfig {
            noise: OracleNoise::Rates {
                tpr: 0.9,
                fpr: 0.25,
            },
            rule: OracleRule::Exact,
            levels: OracleLevels::Paper,
            draws: OracleDraws::PerCall,
        };
        assert_eq!(
            paper.describe(1),
            "oracle(tpr=0.9,fpr=0.25,rule=exact,levels=paper,draws=per-call,seed=1)"
        );
        let gaussian = OracleConfig {
            noise: OracleNoise::Gaussian { sigma: 0.1 },
            ..OracleConfig::default()
        };
        assert_eq!(gaussian.describe(0), "oracle(sigma=0.1,rule=paper,seed=0)");
    }

    #[test]
    fn configurations_round_trip_through_json() {
        let config = OracleConfig {
            noise: OracleNoise::Rates { tpr: 0.9, fpr: 0.2 },
            levels: OracleLevels::Paper,
            draws: OracleDraws::PerCall,
            ..OracleConfig::default()
        };
        let json = serde_json::to_value(config).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "noise": {"mode": "rates", "tpr": 0.9, "fpr": 0.2},
                "rule": "paper", "levels": "paper", "draws": "per-call"
            })
        );
        assert_eq!(
            serde_json::from_value::<OracleConfig>(json).unwrap(),
            config
        );
        let partial: OracleConfig = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(partial, OracleConfig::default());
        assert!(
            serde_json::from_value::<OracleConfig>(serde_json::json!({"draws": "often"})).is_err()
        );
    }
}
