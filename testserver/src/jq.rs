//! jq expressions via jaq: payload filters (§7.1) and batch expressions (§7.2).

use jaq_core::data::JustLut;
use jaq_core::load::{Arena, File, Loader};
use jaq_core::{unwrap_valr, Compiler, Ctx, Vars};
use jaq_json::Val;
use serde::Deserialize;
use serde_json::Value;

type Filter = jaq_core::Filter<JustLut<Val>>;

/// A compiled jq program.
pub struct Jq {
    filter: Filter,
}

fn fmt_load_errors<P>(errs: jaq_core::load::Errors<&str, P>) -> String {
    use jaq_core::load::Error;
    let mut parts = Vec::new();
    for (_file, err) in errs {
        match err {
            Error::Io(v) => {
                for (path, e) in v {
                    parts.push(format!("could not load {path}: {e}"));
                }
            }
            Error::Lex(v) => {
                for (expect, got) in v {
                    let got: String = got.chars().take(1).collect();
                    parts.push(format!("expected {}, got \"{got}\"", expect.as_str()));
                }
            }
            Error::Parse(v) => {
                for (expect, got) in v {
                    if got.is_empty() {
                        parts.push(format!("expected {}", expect.as_str()));
                    } else {
                        let tok: String = got.chars().take(20).collect();
                        parts.push(format!("expected {}, got \"{tok}\"", expect.as_str()));
                    }
                }
            }
        }
    }
    parts.join("; ")
}

impl Jq {
    /// Compile `code`, declaring the given global variables (e.g. `$new`).
    pub fn compile(code: &str, vars: &[&str]) -> Result<Jq, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let loader = Loader::new(defs);
        let arena = Arena::default();
        let program = File { code, path: () };
        let modules = loader.load(&arena, program).map_err(fmt_load_errors)?;
        let filter = Compiler::default()
            .with_funs(funs)
            .with_global_vars(vars.iter().copied())
            .compile(modules)
            .map_err(|errs| {
                let mut parts = Vec::new();
                for (_file, list) in errs {
                    for (name, undef) in list {
                        parts.push(format!("undefined {} \"{name}\"", undef.as_str()));
                    }
                }
                parts.join("; ")
            })?;
        Ok(Jq { filter })
    }

    /// Run with `input` and variable values; each output or its error text.
    pub fn run(&self, input: Val, vars: Vec<Val>) -> Vec<Result<Val, String>> {
        let ctx = Ctx::<JustLut<Val>>::new(&self.filter.lut, Vars::new(vars));
        self.filter
            .id
            .run((ctx, input))
            .map(unwrap_valr)
            .take(1024)
            .map(|r| r.map_err(|e| e.to_string()))
            .collect()
    }

    /// Payload filter: true if any output is truthy; errors mean no match.
    pub fn matches(&self, payload: &Value) -> bool {
        let ctx = Ctx::<JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        self.filter
            .id
            .run((ctx, to_val(payload)))
            .map(unwrap_valr)
            .take(4096)
            .any(|r| matches!(r, Ok(v) if truthy(&v)))
    }
}

/// jq truthiness: everything but `false` and `null`.
pub fn truthy(v: &Val) -> bool {
    !matches!(v, Val::Null | Val::Bool(false))
}

/// Convert a JSON value into a jaq value.
pub fn to_val(v: &Value) -> Val {
    Val::deserialize(v).unwrap_or(Val::Null)
}

/// Convert a jaq value back into JSON (errors for non-JSON values).
pub fn from_val(v: &Val) -> Result<Value, String> {
    use jaq_json::Num;
    Ok(match v {
        Val::Null => Value::Null,
        Val::Bool(b) => Value::Bool(*b),
        Val::Num(n) => match n {
            Num::Int(i) => Value::from(*i as i64),
            Num::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .ok_or_else(|| format!("cannot represent {f} as JSON"))?,
            other => {
                let s = Val::Num(other.clone()).to_string();
                serde_json::from_str::<Value>(&s)
                    .map_err(|_| format!("cannot represent {s} as JSON"))?
            }
        },
        Val::TStr(b) => Value::String(
            String::from_utf8(b.to_vec()).map_err(|_| "string is not valid UTF-8".to_string())?,
        ),
        Val::BStr(_) => return Err("byte strings cannot be represented as JSON".into()),
        Val::Arr(a) => Value::Array(a.iter().map(from_val).collect::<Result<_, _>>()?),
        Val::Obj(o) => {
            let mut m = serde_json::Map::new();
            for (k, v) in o.iter() {
                let key = match k {
                    Val::TStr(b) => String::from_utf8(b.to_vec())
                        .map_err(|_| "object key is not valid UTF-8".to_string())?,
                    _ => return Err("object keys must be strings".into()),
                };
                m.insert(key, from_val(v)?);
            }
            Value::Object(m)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters() {
        let f = Jq::compile(".n == 1", &[]).unwrap();
        assert!(f.matches(&json!({"n": 1})));
        assert!(!f.matches(&json!({"n": 2})));
        assert!(!f.matches(&json!(5)));
        let f = Jq::compile(".name | test(\"^a\")", &[]).unwrap();
        assert!(f.matches(&json!({"name": "abc"})));
        assert_eq!(Jq::compile("", &[]).err().unwrap(), "expected term");
        assert_eq!(
            Jq::compile("foo", &[]).err().unwrap(),
            "undefined filter \"foo\""
        );
        assert!(Jq::compile(".[", &[]).is_err());
        assert!(Jq::compile(".n ===", &[]).is_err());
    }

    #[test]
    fn vars() {
        let f = Jq::compile("$existing + $new", &["$existing", "$new"]).unwrap();
        let out = f.run(Val::Null, vec![to_val(&json!([1])), to_val(&json!([2]))]);
        assert_eq!(out.len(), 1);
        assert_eq!(from_val(out[0].as_ref().unwrap()).unwrap(), json!([1, 2]));
    }
}
