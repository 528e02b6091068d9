//! Checks of sampling parameters, shared by the backends.

use planbench_core::{GenError, SamplingParams};

/// Refuses sampling parameters that no backend can honour (`n` = 0 included: callers that
/// answer it with no completions check it first).
pub(crate) fn check(params: &SamplingParams) -> Result<(), GenError> {
    let problem = if params.n == 0 {
        "n must be at least 1"
    } else if !(params.temperature.is_finite() && params.temperature >= 0.0) {
        "temperature must be a finite number ≥ 0"
    } else if !(params.top_p > 0.0 && params.top_p <= 1.0) {
        "top_p must be in (0, 1]"
    } else if params.top_k == Some(0) {
        "top_k must be at least 1 (leave it unset for no top-k cut)"
    } else if params.max_tokens == 0 {
        "max_tokens must be at least 1"
    } else {
        return Ok(());
    };
    Err(GenError::InvalidRequest(problem.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_unusable_params() {
        let ok = SamplingParams::default();
        assert!(check(&ok).is_ok());
        assert!(check(&SamplingParams {
            top_k: Some(1),
            ..ok.clone()
        })
        .is_ok());
        for bad in [
            SamplingParams { n: 0, ..ok.clone() },
            SamplingParams {
                temperature: -1.0,
                ..ok.clone()
            },
            SamplingParams {
                temperature: f32::NAN,
                ..ok.clone()
            },
            SamplingParams {
                top_p: 0.0,
                ..ok.clone()
            },
            SamplingParams {
                top_k: Some(0),
                ..ok.clone()
            },
            SamplingParams {
                max_tokens: 0,
                ..ok.clone()
            },
        ] {
            assert!(
                matches!(check(&bad), Err(GenError::InvalidRequest(_))),
                "{bad:?}"
            );
        }
    }
}
