//! Canonical pagination links (§6).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::query::{JobFilter, Order};

/// RFC 3986 unreserved characters stay, everything else is %XX.
const FILTER_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn encode_filter(f: &str) -> String {
    utf8_percent_encode(f, FILTER_SET).to_string()
}

/// `/jobs?[from=<c>&]order=<o>&limit=<n>[&filters...]`
pub fn jobs_link(from: Option<&str>, order: Order, limit: u16, filter: &JobFilter) -> String {
    let mut s = String::from("/jobs?");
    if let Some(c) = from {
        s.push_str("from=");
        s.push_str(c);
        s.push('&');
    }
    s.push_str(&format!("order={}&limit={}", order.as_str(), limit));
    s.push_str(&filter.render());
    s
}

/// `/jobs/<id>/errors?[from=<n>&]order=<o>&limit=<n>`
pub fn errors_link(id: &str, from: Option<u32>, order: Order, limit: u16) -> String {
    let mut s = format!("/jobs/{id}/errors?");
    if let Some(c) = from {
        s.push_str(&format!("from={c}&"));
    }
    s.push_str(&format!("order={}&limit={}", order.as_str(), limit));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_from_spec() {
        let f = JobFilter {
            statuses: Some([crate::model::Status::Ready].into_iter().collect()),
            queues: Some(["example".to_string()].into_iter().collect()),
            ..Default::default()
        };
        assert_eq!(
            jobs_link(None, Order::Asc, 2, &f),
            "/jobs?order=asc&limit=2&status=ready&queue=example"
        );
        assert_eq!(encode_filter(".n == 1"), ".n%20%3D%3D%201");
    }
}
