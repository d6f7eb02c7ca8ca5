//! The ABI description (`zizq_abi_description`, `include/zizq.abi.json`)
//! agrees with the library it is built into: the statuses' tables, and the
//! header's functions.

use serde_json::Value;
use std::ffi::CStr;
use zizq::error::Status;
use zizq::ffi::zizq_abi_description;

fn description() -> Value {
    // SAFETY: the function returns a static NUL-terminated string.
    let text = unsafe { CStr::from_ptr(zizq_abi_description()) };
    serde_json::from_slice(text.to_bytes()).expect("the description is JSON")
}

/// `NotFound` -> `not_found`, as the description spells categories.
fn snake(camel: &str) -> String {
    camel
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            let sep = (i > 0 && c.is_uppercase()).then_some('_');
            sep.into_iter().chain(c.to_lowercase())
        })
        .collect()
}

#[test]
fn statuses_match_the_status_table() {
    let d = description();
    let statuses = d["statuses"].as_array().unwrap();
    assert_eq!(statuses.len(), Status::ALL.len());
    for (entry, status) in statuses.iter().zip(Status::ALL) {
        assert_eq!(entry["value"], *status as i32);
        assert_eq!(entry["name"], status.name().to_str().unwrap());
        assert_eq!(entry["description"], status.describe().to_str().unwrap());
        assert_eq!(
            entry["category"],
            snake(&format!("{:?}", status.category()))
        );
        assert_eq!(
            entry["transience"],
            snake(&format!("{:?}", status.transience()))
        );
    }
}

#[test]
fn functions_are_the_headers() {
    let header =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/include/zizq.h")).unwrap();
    let mut declared: Vec<&str> = header
        .lines()
        .filter(|l| !l.starts_with("//") && !l.starts_with("typedef") && l.contains('('))
        .filter_map(|l| l.split('(').next()?.rsplit([' ', '*']).next())
        .filter(|name| name.starts_with("zizq_"))
        .collect();
    declared.sort();
    let d = description();
    let mut described: Vec<&str> = d["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    described.sort();
    assert_eq!(described, declared);
    assert_eq!(d["abi_version"], zizq::ffi::ZIZQ_ABI_VERSION);
}
