//! Request validation shared by enqueue, bulk enqueue and cron entries.

use serde_json::Value;

use crate::jq::{from_val, to_val, Jq};
use crate::model::{BatchSpec, EnqueueReq, Scope};
use crate::names::check_name;

pub const UNIQUE_LICENCE: &str = "unique jobs requires a pro license";
pub const BATCH_LICENCE: &str = "batched jobs requires a pro license";
pub const CRON_LICENCE: &str = "cron scheduling requires a pro license";

pub fn names(r: &EnqueueReq) -> Result<(), String> {
    check_name("type", &r.type_)?;
    check_name("queue", &r.queue)
}

pub fn while_needs_key(r: &EnqueueReq) -> Result<(), String> {
    if r.unique_while.is_some() && r.unique_key.is_none() {
        return Err("unique_while requires unique_key".into());
    }
    Ok(())
}

pub fn not_unique_and_batch(r: &EnqueueReq) -> Result<(), String> {
    if r.unique_key.is_some() && r.batch.is_some() {
        return Err("unique_key and batch cannot be combined".into());
    }
    Ok(())
}

pub fn while_word(r: &EnqueueReq) -> Result<(), String> {
    match &r.unique_while {
        Some(w) if Scope::parse(w).is_none() => Err(format!(
            "invalid unique_while: {w:?} (expected \"queued\", \"active\", or \"exists\")"
        )),
        _ => Ok(()),
    }
}

/// Compile both batch expressions and dry-run them with the incoming
/// payload bound to `$existing` and `$new` (§7.2).
pub fn batch_dry_run(b: &BatchSpec, payload: &Value) -> Result<(), String> {
    let vars = ["$existing", "$new"];
    let when = Jq::compile(&b.when, &vars).map_err(|e| format!("batch expression: when: {e}"))?;
    let fold = Jq::compile(&b.fold, &vars).map_err(|e| format!("batch expression: fold: {e}"))?;
    let v = to_val(payload);
    if let Some(Err(e)) = when
        .run(jaq_json::Val::Null, vec![v.clone(), v.clone()])
        .into_iter()
        .next()
    {
        return Err(format!(
            "batch dry-run: when: expression failed at runtime: {e}"
        ));
    }
    let outs = fold.run(jaq_json::Val::Null, vec![v.clone(), v]);
    match outs.as_slice() {
        [] => Err("batch dry-run: fold: fold expression produced no output".into()),
        [Ok(x)] => from_val(x)
            .map(|_| ())
            .map_err(|e| format!("batch dry-run: fold: {e}")),
        [Err(e)] => Err(format!(
            "batch dry-run: fold: expression failed at runtime: {e}"
        )),
        _ => Err("batch dry-run: fold: fold expression produced more than one output".into()),
    }
}
