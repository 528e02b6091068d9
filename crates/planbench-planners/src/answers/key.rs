//! Execution values as keys with Python's `==`, so that they can be sorted and counted.

use planbench_core::Value;

/// A value under Python's `==`: an integral float that fits an `i64` is that integer
/// (`18.0 == 18`), other floats are their bits, text and bytes are themselves, `None` is
/// itself. The order (derived) is only a canonical order for sorting, not Python's `<`.
///
/// NaN keys equal each other here; [`super::values_equal`] excludes them for answers, and
/// SQLite never returns NaN (it stores NULL instead).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Key {
    None,
    Int(i64),
    Float(u64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Key {
    /// The key of `value`.
    pub fn of(value: &Value) -> Key {
        match value {
            Value::Null => Key::None,
            Value::Integer(i) => Key::Int(*i),
            Value::Real(r) => match integral(*r) {
                Some(i) => Key::Int(i),
                None => Key::Float(r.to_bits()),
            },
            Value::Text(s) => Key::Text(s.clone()),
            Value::Blob(b) => Key::Bytes(b.clone()),
        }
    }
}

/// `f` as an `i64` when it is an integer in the `i64` range (exactly, as Python compares).
fn integral(f: f64) -> Option<i64> {
    // -2^63 is exact in f64, and so is 2^63, the first value past i64::MAX.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    (f.fract() == 0.0 && (-TWO_63..TWO_63).contains(&f)).then_some(f as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_floats_are_integers() {
        assert_eq!(Key::of(&Value::Real(4.0)), Key::Int(4));
        assert_eq!(Key::of(&Value::Real(i64::MIN as f64)), Key::Int(i64::MIN));
        assert!(matches!(Key::of(&Value::Real(9.3e18)), Key::Float(_)));
        assert!(matches!(
            Key::of(&Value::Real(f64::INFINITY)),
            Key::Float(_)
        ));
        assert!(matches!(Key::of(&Value::Real(0.5)), Key::Float(_)));
    }
}
