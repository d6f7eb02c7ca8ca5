//! Job identifiers: 25 characters of lowercase base36, strictly increasing.
//!
//! Internally an id is a `u128` built as `(ms_timestamp << 80) | counter`;
//! the zero-padded base36 rendering sorts exactly like the number.

const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// Length of a rendered id.
pub const ID_LEN: usize = 25;

/// Render an id as 25 base36 characters.
pub fn format_id(mut v: u128) -> String {
    let mut buf = [b'0'; ID_LEN];
    for slot in buf.iter_mut().rev() {
        *slot = DIGITS[(v % 36) as usize];
        v /= 36;
    }
    buf.iter().map(|&b| b as char).collect()
}

/// True when `s` has the shape of an id (25 bytes of `a-z`/`0-9`).
pub fn is_id_format(s: &str) -> bool {
    s.len() == ID_LEN
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

/// Parse a rendered id back into its number (`None` if malformed or too big).
pub fn parse_id(s: &str) -> Option<u128> {
    if !is_id_format(s) {
        return None;
    }
    let mut v: u128 = 0;
    for b in s.bytes() {
        let d = if b.is_ascii_digit() {
            b - b'0'
        } else {
            b - b'a' + 10
        };
        v = v.checked_mul(36)?.checked_add(u128::from(d))?;
    }
    Some(v)
}

/// Generator of strictly increasing ids.
#[derive(Debug, Default)]
pub struct IdGen {
    last: u128,
}

impl IdGen {
    /// Next id for a job created at `now_ms`.
    pub fn next(&mut self, now_ms: u64) -> u128 {
        let base = u128::from(now_ms) << 80;
        let v = if base > self.last {
            base
        } else {
            self.last.saturating_add(1)
        };
        self.last = v;
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_order() {
        let mut g = IdGen::default();
        let a = g.next(1_795_865_687_590);
        let b = g.next(1_795_865_687_590);
        let c = g.next(1_795_865_687_000);
        assert!(a < b && b < c);
        let (sa, sb, sc) = (format_id(a), format_id(b), format_id(c));
        assert_eq!(sa.len(), 25);
        assert!(sa < sb && sb < sc);
        assert_eq!(parse_id(&sa), Some(a));
        assert_eq!(format_id(u128::MAX).len(), 25);
        assert_eq!(parse_id("zzzzzzzzzzzzzzzzzzzzzzzzz"), None);
        assert_eq!(parse_id("ABC"), None);
    }
}
