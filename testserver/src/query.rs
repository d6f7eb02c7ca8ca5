//! Query-string grammar (§3.9): closed parameter sets, comma sets, ranges.

use std::collections::BTreeSet;

use crate::ids::is_id_format;
use crate::model::Status;

/// Decode `application/x-www-form-urlencoded` pairs (`+` = space, `%XX`,
/// invalid UTF-8 replaced by U+FFFD).
pub fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

/// serde-style "expected ..." list of field names.
fn expected(fields: &[&str]) -> String {
    match fields {
        [] => "there are no fields".to_string(),
        [a] => format!("expected `{a}`"),
        [a, b] => format!("expected `{a}` or `{b}`"),
        _ => {
            let list: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
            format!("expected one of {}", list.join(", "))
        }
    }
}

/// Check a pair list against a closed set of names; returns the values by
/// name (in `allowed` order). Errors are serde-like detail strings.
pub fn closed(
    pairs: Vec<(String, String)>,
    allowed: &[&str],
) -> Result<Vec<Option<String>>, String> {
    let mut out: Vec<Option<String>> = vec![None; allowed.len()];
    for (k, v) in pairs {
        match allowed.iter().position(|a| *a == k) {
            None => return Err(format!("{k}: unknown field `{k}`, {}", expected(allowed))),
            Some(i) => {
                if out[i].is_some() {
                    return Err(format!("duplicate field `{k}`"));
                }
                out[i] = Some(v);
            }
        }
    }
    Ok(out)
}

/// Split a comma set; empty items skipped; `None` when nothing remains.
pub fn comma_set(v: &str) -> Option<BTreeSet<String>> {
    let s: BTreeSet<String> = v
        .split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect();
    (!s.is_empty()).then_some(s)
}

/// Integer types usable in ranges.
pub trait RangeInt: Copy + Ord + std::str::FromStr + std::fmt::Display {
    const MIN: Self;
    const MAX: Self;
}
impl RangeInt for u16 {
    const MIN: Self = 0;
    const MAX: Self = u16::MAX;
}
impl RangeInt for u32 {
    const MIN: Self = 0;
    const MAX: Self = u32::MAX;
}
impl RangeInt for u64 {
    const MIN: Self = 0;
    const MAX: Self = u64::MAX;
}

/// Parse a range value (`N`, `A..B`, `..B`, `A..`, `..`); empty = no filter.
pub fn parse_range<T>(name: &str, v: &str) -> Result<Option<(T, T)>, String>
where
    T: RangeInt,
    <T as std::str::FromStr>::Err: std::fmt::Display,
{
    if v.is_empty() {
        return Ok(None);
    }
    let num = |s: &str| -> Result<T, String> { s.parse::<T>().map_err(|e| format!("{name}: {e}")) };
    let (lo, hi) = match v.split_once("..") {
        Some((a, b)) => (
            if a.is_empty() { T::MIN } else { num(a)? },
            if b.is_empty() { T::MAX } else { num(b)? },
        ),
        None => {
            let n = num(v)?;
            (n, n)
        }
    };
    if lo > hi {
        return Err(format!("{name}: range lower bound exceeds upper bound"));
    }
    Ok(Some((lo, hi)))
}

/// Render a range canonically (§6).
pub fn render_range<T: RangeInt>(r: (T, T)) -> String {
    if r.0 == r.1 {
        r.0.to_string()
    } else if r.0 == T::MIN {
        format!("..{}", r.1)
    } else if r.1 == T::MAX {
        format!("{}..", r.0)
    } else {
        format!("{}..{}", r.0, r.1)
    }
}

/// Sort order for listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

impl Order {
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Asc => "asc",
            Order::Desc => "desc",
        }
    }
    pub fn flip(self) -> Order {
        match self {
            Order::Asc => Order::Desc,
            Order::Desc => Order::Asc,
        }
    }
}

pub fn parse_order(v: Option<&str>) -> Result<Order, String> {
    match v {
        None => Ok(Order::Asc),
        Some("asc") => Ok(Order::Asc),
        Some("desc") => Ok(Order::Desc),
        Some(o) => Err(format!(
            "order: unknown variant `{o}`, expected `asc` or `desc`"
        )),
    }
}

/// Job filters shared by list/count/bulk patch/bulk delete.
#[derive(Clone, Debug, Default)]
pub struct JobFilter {
    pub ids: Option<BTreeSet<String>>,
    pub statuses: Option<BTreeSet<Status>>,
    pub queues: Option<BTreeSet<String>>,
    pub types: Option<BTreeSet<String>>,
    pub priority: Option<(u16, u16)>,
    pub ready_at: Option<(u64, u64)>,
    pub attempts: Option<(u32, u32)>,
    pub filter: Option<String>,
    /// First id value that failed validation (reported after decoding).
    pub bad_id: Option<String>,
}

/// Names of the filter parameters, in the order used by `closed`.
pub const FILTER_PARAMS: [&str; 8] = [
    "id", "status", "queue", "type", "priority", "ready_at", "attempts", "filter",
];

impl JobFilter {
    /// Build from the 8 filter values (in `FILTER_PARAMS` order).
    pub fn from_values(vals: &[Option<String>]) -> Result<JobFilter, String> {
        let get = |i: usize| vals.get(i).and_then(|v| v.as_deref());
        let mut f = JobFilter::default();
        if let Some(v) = get(0) {
            for id in v.split(',').filter(|x| !x.is_empty()) {
                if f.bad_id.is_none() && !is_id_format(id) {
                    f.bad_id = Some(id.to_string());
                }
            }
            f.ids = comma_set(v);
        }
        if let Some(v) = get(1) {
            if let Some(set) = comma_set(v) {
                let mut st = BTreeSet::new();
                for s in set {
                    match Status::parse(&s) {
                        Some(x) => {
                            st.insert(x);
                        }
                        None => return Err(format!("status: unknown status: {s}")),
                    }
                }
                f.statuses = Some(st);
            }
        }
        f.queues = get(2).and_then(comma_set);
        f.types = get(3).and_then(comma_set);
        if let Some(v) = get(4) {
            f.priority = parse_range::<u16>("priority", v)?;
        }
        if let Some(v) = get(5) {
            f.ready_at = parse_range::<u64>("ready_at", v)?;
        }
        if let Some(v) = get(6) {
            f.attempts = parse_range::<u32>("attempts", v)?;
        }
        f.filter = get(7).map(str::to_string);
        Ok(f)
    }

    /// Non-jq part of the match.
    pub fn matches_fields(&self, job: &crate::model::Job) -> bool {
        if let Some(ids) = &self.ids {
            if !ids.contains(&job.id_str) {
                return false;
            }
        }
        if let Some(st) = &self.statuses {
            if !st.contains(&job.status) {
                return false;
            }
        }
        if let Some(q) = &self.queues {
            if !q.contains(&job.queue) {
                return false;
            }
        }
        if let Some(t) = &self.types {
            if !t.contains(&job.type_) {
                return false;
            }
        }
        if let Some((lo, hi)) = self.priority {
            if job.priority < lo || job.priority > hi {
                return false;
            }
        }
        if let Some((lo, hi)) = self.ready_at {
            if job.ready_at < lo || job.ready_at > hi {
                return false;
            }
        }
        if let Some((lo, hi)) = self.attempts {
            if job.attempts < lo || job.attempts > hi {
                return false;
            }
        }
        true
    }

    /// Canonical rendering of the filters for links (§6), each prefixed `&`.
    pub fn render(&self) -> String {
        let mut s = String::new();
        if let Some(st) = &self.statuses {
            let v: Vec<&str> = st.iter().map(|x| x.as_str()).collect();
            s.push_str(&format!("&status={}", v.join(",")));
        }
        for (name, set) in [
            ("queue", &self.queues),
            ("type", &self.types),
            ("id", &self.ids),
        ] {
            if let Some(set) = set {
                let v: Vec<&str> = set.iter().map(String::as_str).collect();
                s.push_str(&format!("&{name}={}", v.join(",")));
            }
        }
        if let Some(r) = self.priority {
            s.push_str(&format!("&priority={}", render_range(r)));
        }
        if let Some(r) = self.ready_at {
            s.push_str(&format!("&ready_at={}", render_range(r)));
        }
        if let Some(r) = self.attempts {
            s.push_str(&format!("&attempts={}", render_range(r)));
        }
        if let Some(f) = &self.filter {
            s.push_str("&filter=");
            s.push_str(&crate::pagination::encode_filter(f));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range::<u16>("priority", "5"), Ok(Some((5, 5))));
        assert_eq!(parse_range::<u16>("priority", ".."), Ok(Some((0, 65535))));
        assert_eq!(parse_range::<u16>("priority", ""), Ok(None));
        assert!(parse_range::<u16>("priority", "5..1").is_err());
        assert!(parse_range::<u16>("priority", "70000").is_err());
        assert_eq!(render_range((0u16, 65535u16)), "..65535");
        assert_eq!(render_range((0u16, 5u16)), "..5");
        assert_eq!(render_range((5u16, 65535u16)), "5..");
        assert_eq!(render_range((3u16, 3u16)), "3");
        assert_eq!(render_range((3u16, 9u16)), "3..9");
    }

    #[test]
    fn closed_sets() {
        let e = closed(form_pairs("bogus=1"), &["from", "order", "limit"]).unwrap_err();
        assert_eq!(
            e,
            "bogus: unknown field `bogus`, expected one of `from`, `order`, `limit`"
        );
        let e = closed(form_pairs("prefetch=1&prefetch=2"), &["prefetch", "queue"]).unwrap_err();
        assert_eq!(e, "duplicate field `prefetch`");
        let v = closed(form_pairs("queue=a+b%2Cc"), &["prefetch", "queue"]).unwrap();
        assert_eq!(v[1].as_deref(), Some("a b,c"));
    }
}
