//! Cron endpoints (§5.19). Every route is Pro-only; Accept, path and body
//! errors are reported before the licence check.

use std::collections::HashSet;

use serde::Serialize;

use super::respond::{self, Resp};
use super::Req;
use crate::clock::now_ms;
use crate::cron::{CronEntryReq, CronGroupReq, NewEntry, PausedReq, Schedule};
use crate::names::check_name;
use crate::store::CronError;
use crate::validate;

#[derive(Serialize)]
struct CronsBody {
    crons: Vec<String>,
}

#[derive(Serialize)]
struct DeletedBody {
    deleted: usize,
}

fn licence(r: &Req) -> Result<(), Resp> {
    if r.app.is_pro() {
        Ok(())
    } else {
        Err(r.error(403, validate::CRON_LICENCE))
    }
}

fn group_not_found(r: &Req, g: &str) -> Resp {
    r.error(404, &format!("cron group '{g}' not found"))
}

fn entry_not_found(r: &Req, g: &str, e: &str) -> Resp {
    r.error(404, &format!("cron entry '{e}' not found in group '{g}'"))
}

/// Request-level checks of one entry (name, type, queue, ready_at,
/// unique+batch, unique_while word).
pub(super) fn check_entry(e: &CronEntryReq) -> Result<(), String> {
    check_name("cron entry name", &e.name)?;
    validate::names(&e.job)?;
    if e.job.ready_at.is_some() {
        return Err("ready_at is not supported for cron entries".into());
    }
    validate::not_unique_and_batch(&e.job)?;
    validate::while_word(&e.job)
}

/// Storage-level checks: expression, timezone, batch dry-run.
fn build_entry(e: CronEntryReq) -> Result<NewEntry, String> {
    let schedule = Schedule::parse(&e.expression, e.timezone.as_deref())?;
    if let Some(b) = &e.job.batch {
        validate::batch_dry_run(b, &e.job.payload)?;
    }
    Ok(NewEntry { req: e, schedule })
}

pub fn list(r: &Req) -> Resp {
    if let Err(e) = licence(r) {
        return e;
    }
    let crons = r.app.store.lock().cron_names();
    respond::obj(200, r.fmt, &CronsBody { crons })
}

pub fn delete_all(r: &Req) -> Resp {
    if let Err(e) = licence(r) {
        return e;
    }
    let deleted = r.app.store.lock().cron_delete_all();
    respond::obj(200, r.fmt, &DeletedBody { deleted })
}

pub fn get_group(r: &Req) -> Resp {
    if let Err(e) = licence(r) {
        return e;
    }
    let g = r.param(0);
    match r.app.store.lock().cron_group(g) {
        Some(out) => respond::obj(200, r.fmt, &out),
        None => group_not_found(r, g),
    }
}

pub async fn put_group(r: &mut Req) -> Resp {
    let req: CronGroupReq = match r.body().await {
        Ok(b) => b,
        Err(e) => return e,
    };
    if let Err(e) = licence(r) {
        return e;
    }
    let g = r.param(0).to_string();
    if let Err(e) = check_name("cron group name", &g) {
        return r.error(400, &e);
    }
    for e in &req.entries {
        if let Err(msg) = check_entry(e) {
            return r.error(400, &msg);
        }
    }
    let mut seen = HashSet::new();
    for e in &req.entries {
        if !seen.insert(e.name.as_str()) {
            return r.error(400, &format!("duplicate cron entry name: {:?}", e.name));
        }
    }
    let mut entries = Vec::with_capacity(req.entries.len());
    for e in req.entries {
        match build_entry(e) {
            Ok(n) => entries.push(n),
            Err(msg) => return r.error(400, &msg),
        }
    }
    let out = r
        .app
        .store
        .lock()
        .cron_put_group(&g, req.paused, entries, now_ms());
    respond::obj(200, r.fmt, &out)
}

pub async fn patch_group(r: &mut Req) -> Resp {
    let req: PausedReq = match r.body().await {
        Ok(b) => b,
        Err(e) => return e,
    };
    if let Err(e) = licence(r) {
        return e;
    }
    let g = r.param(0);
    let res = r.app.store.lock().cron_patch_group(g, req.paused, now_ms());
    match res {
        Some(out) => respond::obj(200, r.fmt, &out),
        None => group_not_found(r, g),
    }
}

pub fn delete_group(r: &Req) -> Resp {
    if let Err(e) = licence(r) {
        return e;
    }
    let g = r.param(0);
    if r.app.store.lock().cron_delete_group(g) {
        respond::no_content()
    } else {
        group_not_found(r, g)
    }
}

pub async fn post_entry(r: &mut Req) -> Resp {
    let req: CronEntryReq = match r.body().await {
        Ok(b) => b,
        Err(e) => return e,
    };
    if let Err(e) = licence(r) {
        return e;
    }
    let g = r.param(0).to_string();
    if let Err(e) = check_name("cron group name", &g) {
        return r.error(400, &e);
    }
    if let Err(msg) = check_entry(&req) {
        return r.error(400, &msg);
    }
    let name = req.name.clone();
    let entry = match build_entry(req) {
        Ok(n) => n,
        Err(msg) => return r.error(400, &msg),
    };
    let res = r.app.store.lock().cron_post_entry(&g, entry, now_ms());
    match res {
        Ok(out) => respond::obj(201, r.fmt, &out),
        Err(CronError::EntryExists) => r.error(
            409,
            &format!("cron entry '{name}' already exists in group '{g}'"),
        ),
    }
}

pub fn get_entry(r: &Req) -> Resp {
    if let Err(e) = licence(r) {
        return e;
    }
    let (g, e) = (r.param(0), r.param(1));
    match r.app.store.lock().cron_entry(g, e) {
        Some(out) => respond::obj(200, r.fmt, &out),
        None => entry_not_found(r, g, e),
    }
}

pub async fn put_entry(r: &mut Req) -> Resp {
    let req: CronEntryReq = match r.body().await {
        Ok(b) => b,
        Err(e) => return e,
    };
    if let Err(e) = licence(r) {
        return e;
    }
    let g = r.param(0).to_string();
    let name = r.param(1).to_string();
    if let Err(e) = check_name("cron group name", &g) {
        return r.error(400, &e);
    }
    if let Err(msg) = check_entry(&req) {
        return r.error(400, &msg);
    }
    let entry = match build_entry(req) {
        Ok(n) => n,
        Err(msg) => return r.error(400, &msg),
    };
    let out = r
        .app
        .store
        .lock()
        .cron_put_entry(&g, &name, entry, now_ms());
    respond::obj(200, r.fmt, &out)
}

pub async fn patch_entry(r: &mut Req) -> Resp {
    let req: PausedReq = match r.body().await {
        Ok(b) => b,
        Err(e) => return e,
    };
    if let Err(e) = licence(r) {
        return e;
    }
    let (g, e) = (r.param(0), r.param(1));
    let res = r
        .app
        .store
        .lock()
        .cron_patch_entry(g, e, req.paused, now_ms());
    match res {
        Some(out) => respond::obj(200, r.fmt, &out),
        None => entry_not_found(r, g, e),
    }
}

pub fn delete_entry(r: &Req) -> Resp {
    if let Err(e) = licence(r) {
        return e;
    }
    let (g, e) = (r.param(0), r.param(1));
    if r.app.store.lock().cron_delete_entry(g, e) {
        respond::no_content()
    } else {
        entry_not_found(r, g, e)
    }
}
