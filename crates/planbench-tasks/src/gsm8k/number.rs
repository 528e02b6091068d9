//! Numbers: GSM8K gold answers, the strict `#### <number>` answer line, and the numeric equality
//! that judges answers.

use planbench_core::Value;

/// A gold answer: the number after `#### ` with its thousands separators removed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    /// Parses a plain decimal number (`-12`, `3.5`, `1,234`); commas are ignored. Exponents,
    /// `inf` and `nan` are not numbers here.
    pub fn parse(text: &str) -> Option<Number> {
        let cleaned: String = text.trim().chars().filter(|&c| c != ',').collect();
        let digits = cleaned.strip_prefix('-').unwrap_or(&cleaned);
        let plain = !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
            && digits.matches('.').count() <= 1
            && digits != ".";
        if !plain {
            return None;
        }
        if let Ok(i) = cleaned.parse::<i64>() {
            return Some(Number::Int(i));
        }
        cleaned
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Number::Float)
    }

    /// The number as an execution value.
    pub fn to_value(self) -> Value {
        match self {
            Number::Int(i) => Value::Integer(i),
            Number::Float(f) => Value::Real(f),
        }
    }

    /// Python's `value == gold`, which is what the paper's evaluation computes: ints and floats
    /// compare by exact numeric value (`18.0 == 18`), anything else (text, None) is unequal.
    pub fn equals(self, value: &Value) -> bool {
        match (value, self) {
            (Value::Integer(a), Number::Int(b)) => *a == b,
            (Value::Integer(a), Number::Float(b)) => int_equals_float(*a, b),
            (Value::Real(a), Number::Int(b)) => int_equals_float(b, *a),
            (Value::Real(a), Number::Float(b)) => *a == b,
            _ => false,
        }
    }
}

/// Exact comparison of an integer and a float, as Python does it (no rounding of either side).
fn int_equals_float(i: i64, f: f64) -> bool {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    f.fract() == 0.0 && (-TWO_63..TWO_63).contains(&f) && f as i64 == i
}

/// The first match of lm-evaluation-harness' strict GSM8K filter, the regular expression
/// `#### (\-?[0-9\.\,]+)`: returns the captured text and the byte offset where the match ends.
pub fn strict_answer(text: &str) -> Option<(&str, usize)> {
    const MARK: &str = "#### ";
    for (start, _) in text.match_indices(MARK) {
        let rest = &text[start + MARK.len()..];
        let sign = usize::from(rest.starts_with('-'));
        let body = rest[sign..]
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.' || *b == b',')
            .count();
        if body > 0 {
            let end = sign + body;
            return Some((&rest[..end], start + MARK.len() + end));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_gold_numbers() {
        assert_eq!(Number::parse("1,234"), Some(Number::Int(1234)));
        assert_eq!(Number::parse(" -5 "), Some(Number::Int(-5)));
        assert_eq!(Number::parse("2.50"), Some(Number::Float(2.5)));
        for bad in ["", "-", ".", "1e5", "inf", "1.2.3", "12a"] {
            assert_eq!(Number::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn compares_like_python() {
        assert!(Number::Int(18).equals(&Value::Real(18.0)));
        assert!(Number::Int(18).equals(&Value::Integer(18)));
        assert!(Number::Float(2.5).equals(&Value::Real(2.5)));
        assert!(!Number::Int(18).equals(&Value::Real(18.000001)));
        assert!(!Number::Int(18).equals(&Value::Text("18".into())));
        assert!(!Number::Int(0).equals(&Value::Null));
        assert!(!Number::Int(i64::MAX).equals(&Value::Real(f64::INFINITY)));
    }

    #[test]
    fn strict_pattern_takes_the_first_valid_match() {
        assert_eq!(
            strict_answer("so #### 1,000.\nmore").map(|m| m.0),
            Some("1,000.")
        );
        assert_eq!(strict_answer("#### -3").map(|m| m.0), Some("-3"));
        assert_eq!(strict_answer("#### x #### 7").map(|m| m.0), Some("7"));
        assert_eq!(strict_answer("##### 5").map(|m| m.0), Some("5"));
        assert_eq!(strict_answer("####5"), None);
        assert_eq!(strict_answer("#### -x"), None);
    }
}
