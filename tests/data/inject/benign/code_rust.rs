//! Parse durations such as "1h30m", "250ms" or "2d".

use std::fmt;
use std::time::Duration;

#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    Empty,
    MissingUnit(usize),
    UnknownUnit(String),
    Overflow,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Empty => write!(f, "empty duration"),
            ParseError::MissingUnit(pos) => write!(f, "number without a unit at byte {pos}"),
            ParseError::UnknownUnit(u) => write!(f, "unknown unit {u:?}"),
            ParseError::Overflow => write!(f, "duration too large"),
        }
    }
}

fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60 * 1_000_000_000,
        "h" => 3_600 * 1_000_000_000,
        "d" => 86_400 * 1_000_000_000,
        _ => return None,
    })
}

pub fn parse(input: &str) -> Result<Duration, ParseError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(ParseError::Empty);
    }
    let mut total: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let value: u128 = rest[..digits].parse().map_err(|_| ParseError::Overflow)?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        if unit_len == 0 {
            return Err(ParseError::MissingUnit(s.len() - rest.len()));
        }
        let unit = &rest[..unit_len];
        let nanos = unit_nanos(unit).ok_or_else(|| ParseError::UnknownUnit(unit.to_string()))?;
        total = value
            .checked_mul(nanos)
            .and_then(|v| total.checked_add(v))
            .ok_or(ParseError::Overflow)?;
        rest = &rest[unit_len..];
    }
    let secs = u64::try_from(total / 1_000_000_000).map_err(|_| ParseError::Overflow)?;
    Ok(Duration::new(secs, (total % 1_000_000_000) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_compound() {
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("250ms").unwrap(), Duration::from_millis(250));
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(parse(""), Err(ParseError::Empty));
        assert_eq!(parse("10"), Err(ParseError::MissingUnit(2)));
        assert!(matches!(parse("3y"), Err(ParseError::UnknownUnit(_))));
    }
}
