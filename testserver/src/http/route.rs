//! Route table: raw path -> route pattern with raw (undecoded) parameters.

use hyper::Method;

/// A matched route; parameters are still percent-encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    Health,
    Version,
    Queues,
    Jobs,
    JobsBulk,
    JobsTake,
    JobsSuccess,
    JobsCount,
    Job(&'a str),
    JobSuccess(&'a str),
    JobFailure(&'a str),
    JobErrors(&'a str),
    JobError(&'a str, &'a str),
    Reset,
    Crons,
    CronGroup(&'a str),
    CronEntries(&'a str),
    CronEntry(&'a str, &'a str),
}

/// Match a raw path (no query). Empty parameter segments never match.
pub fn resolve(path: &str) -> Option<Route<'_>> {
    let rest = path.strip_prefix('/')?;
    let segs: Vec<&str> = rest.split('/').collect();
    let p = |s: &'_ str| !s.is_empty();
    Some(match segs.as_slice() {
        ["health"] => Route::Health,
        ["version"] => Route::Version,
        ["queues"] => Route::Queues,
        ["reset"] => Route::Reset,
        ["jobs"] => Route::Jobs,
        ["jobs", "bulk"] => Route::JobsBulk,
        ["jobs", "take"] => Route::JobsTake,
        ["jobs", "success"] => Route::JobsSuccess,
        ["jobs", "count"] => Route::JobsCount,
        ["jobs", id] if p(id) => Route::Job(id),
        ["jobs", id, "success"] if p(id) => Route::JobSuccess(id),
        ["jobs", id, "failure"] if p(id) => Route::JobFailure(id),
        ["jobs", id, "errors"] if p(id) => Route::JobErrors(id),
        ["jobs", id, "errors", a] if p(id) && p(a) => Route::JobError(id, a),
        ["crons"] => Route::Crons,
        ["crons", g] if p(g) => Route::CronGroup(g),
        ["crons", g, "entries"] if p(g) => Route::CronEntries(g),
        ["crons", g, "entries", e] if p(g) && p(e) => Route::CronEntry(g, e),
        _ => return None,
    })
}

impl Route<'_> {
    /// Methods served (GET implies HEAD) and the `allow` header value.
    pub fn allowed(&self) -> (&'static [Method], &'static str) {
        use Route::*;
        const G: &[Method] = &[Method::GET];
        const P: &[Method] = &[Method::POST];
        match self {
            Health | Version | Queues | JobsTake | JobsCount | JobErrors(_) | JobError(..) => {
                (G, "GET,HEAD")
            }
            JobsBulk | JobsSuccess | JobSuccess(_) | JobFailure(_) | Reset | CronEntries(_) => {
                (P, "POST")
            }
            Jobs => (
                &[Method::GET, Method::POST, Method::PATCH, Method::DELETE],
                "GET,HEAD,POST,PATCH,DELETE",
            ),
            Job(_) => (
                &[Method::GET, Method::PATCH, Method::DELETE],
                "GET,HEAD,PATCH,DELETE",
            ),
            Crons => (&[Method::GET, Method::DELETE], "GET,HEAD,DELETE"),
            CronGroup(_) | CronEntry(..) => (
                &[Method::GET, Method::PUT, Method::PATCH, Method::DELETE],
                "GET,HEAD,PUT,PATCH,DELETE",
            ),
        }
    }

    /// The route's pattern, e.g. `/jobs/{id}/success` (for request counts).
    pub fn pattern(&self) -> &'static str {
        use Route::*;
        match self {
            Health => "/health",
            Version => "/version",
            Queues => "/queues",
            Jobs => "/jobs",
            JobsBulk => "/jobs/bulk",
            JobsTake => "/jobs/take",
            JobsSuccess => "/jobs/success",
            JobsCount => "/jobs/count",
            Job(_) => "/jobs/{id}",
            JobSuccess(_) => "/jobs/{id}/success",
            JobFailure(_) => "/jobs/{id}/failure",
            JobErrors(_) => "/jobs/{id}/errors",
            JobError(..) => "/jobs/{id}/errors/{attempt}",
            Reset => "/reset",
            Crons => "/crons",
            CronGroup(_) => "/crons/{group}",
            CronEntries(_) => "/crons/{group}/entries",
            CronEntry(..) => "/crons/{group}/entries/{entry}",
        }
    }

    /// Names of the path parameters (for error messages).
    pub fn param_names(&self) -> &'static [&'static str] {
        use Route::*;
        match self {
            Job(_) | JobSuccess(_) | JobFailure(_) | JobErrors(_) => &["id"],
            JobError(..) => &["id", "attempt"],
            CronGroup(_) | CronEntries(_) => &["group"],
            CronEntry(..) => &["group", "entry"],
            _ => &[],
        }
    }

    pub fn raw_params(&self) -> Vec<&str> {
        use Route::*;
        match self {
            Job(a) | JobSuccess(a) | JobFailure(a) | JobErrors(a) | CronGroup(a)
            | CronEntries(a) => vec![a],
            JobError(a, b) | CronEntry(a, b) => vec![a, b],
            _ => vec![],
        }
    }
}

/// Percent-decode path parameters; error text is the plain-text 400 body.
pub fn decode_params(route: &Route<'_>) -> Result<Vec<String>, String> {
    let names = route.param_names();
    route
        .raw_params()
        .into_iter()
        .zip(names.iter())
        .map(|(raw, name)| {
            percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| format!("Invalid URL: Invalid UTF-8 in `{name}`"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(resolve("/jobs"), Some(Route::Jobs));
        assert_eq!(resolve("/jobs/"), None);
        assert_eq!(resolve("/health/"), None);
        assert_eq!(resolve("/jobs/take"), Some(Route::JobsTake));
        assert_eq!(resolve("/jobs/%74ake"), Some(Route::Job("%74ake")));
        assert_eq!(resolve("/jobs/x/errors/1"), Some(Route::JobError("x", "1")));
        assert_eq!(resolve("/jobs//success"), None);
        assert_eq!(resolve(""), None);
        let r = Route::Job("%ff");
        assert_eq!(
            decode_params(&r).unwrap_err(),
            "Invalid URL: Invalid UTF-8 in `id`"
        );
    }
}
