//! The real server's cost shape, for benchmarks (`--cost-profile`).
//!
//! By default the test server answers from memory at once, which makes a
//! client look faster than it will be in production: a real Zizq server
//! journals every state change, and its auto-batchers group everything that
//! arrives while a commit is in progress into the next commit. Under a cost
//! profile this server keeps that shape:
//!
//! * every request burns `request_cpu` on the handling thread (parsing,
//!   routing, encoding — real CPU, so it competes with a client on the same
//!   machine as the real server's does), and an enqueue request
//!   `enqueue_cpu_per_job` more per job it carries;
//! * a read then waits `read_wait` (off-CPU);
//! * a state change waits for a group commit of its lane: one thread per
//!   lane takes whatever has queued up, then commits it holding the one
//!   writer both lanes share (the real server's store takes one write
//!   transaction at a time, so dispatch and completion commits wait for
//!   each other): it burns the commit's CPU, waits off-CPU, and releases
//!   every request of that group at once. Enqueues, take dispatch, updates
//!   and deletes go through the journal lane (`commit_cpu +
//!   commit_cpu_per_job × jobs`, then `commit_wait`); acks and nacks through
//!   the completion lane, as the real server's completion auto-batcher does
//!   (`completion_cpu + completion_cpu_per_job × jobs`, then
//!   `completion_wait + completion_wait_per_job × jobs`). Every commit costs
//!   the writer a fixed time, so a client that splits its acks into many
//!   small requests delays the dispatch of its next jobs.
//!
//! The constants are calibrated against a real Zizq 0.6.1 server
//! (testserver/README.md, "Cost profiles", says how close the model comes
//! and what it does not reproduce).

use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

/// The constants of a cost profile. `Default` is the instant server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CostProfile {
    /// CPU each request costs the server.
    pub request_cpu: Duration,
    /// CPU per job an enqueue request carries (decoding, validation).
    pub enqueue_cpu_per_job: Duration,
    /// Off-CPU latency of a read.
    pub read_wait: Duration,
    /// CPU of one journal commit, whatever it carries.
    pub commit_cpu: Duration,
    /// CPU of one commit per job it carries.
    pub commit_cpu_per_job: Duration,
    /// Off-CPU latency of one commit (the write to the journal).
    pub commit_wait: Duration,
    /// CPU of one completion (ack, nack) commit, whatever it carries.
    pub completion_cpu: Duration,
    /// CPU of one completion commit per job it carries.
    pub completion_cpu_per_job: Duration,
    /// Off-CPU latency of one completion commit.
    pub completion_wait: Duration,
    /// Off-CPU latency of one completion commit per job it carries.
    pub completion_wait_per_job: Duration,
}

/// Which group-commit lane a state change goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lane {
    /// Enqueues, take dispatch, updates, deletes.
    Journal,
    /// Acks and nacks.
    Completions,
}

const US: fn(u64) -> Duration = Duration::from_micros;

impl CostProfile {
    /// The shape of a real Zizq 0.6.1 server with buffered commits, from
    /// figures measured on a 2-core machine (testserver/README.md, "Cost
    /// profiles").
    pub fn reference() -> CostProfile {
        CostProfile {
            request_cpu: US(60),
            enqueue_cpu_per_job: US(21),
            read_wait: US(100),
            commit_cpu: US(20),
            commit_cpu_per_job: US(8),
            commit_wait: US(100),
            completion_cpu: US(20),
            completion_cpu_per_job: US(8),
            completion_wait: US(100),
            completion_wait_per_job: US(40),
        }
    }

    /// Whether any cost applies.
    pub fn is_instant(&self) -> bool {
        *self == CostProfile::default()
    }

    /// Parse `NAME[,KEY=MICROS...]` or `KEY=MICROS[,...]`: a named profile
    /// (`reference`, `instant`) optionally followed by overrides in
    /// microseconds, e.g. `reference,commit_wait=500`.
    pub fn parse(spec: &str) -> Result<CostProfile, String> {
        let mut profile = CostProfile::default();
        for (i, part) in spec.split(',').map(str::trim).enumerate() {
            match (i, part.split_once('=')) {
                (0, None) => {
                    profile = match part {
                        "reference" => CostProfile::reference(),
                        "instant" => CostProfile::default(),
                        _ => return Err(format!("unknown cost profile: {part}")),
                    }
                }
                (_, Some((key, value))) => {
                    let micros: u64 = value
                        .trim()
                        .parse()
                        .map_err(|_| format!("cost {key}: not a whole number of µs: {value}"))?;
                    let slot = match key.trim() {
                        "request_cpu" => &mut profile.request_cpu,
                        "enqueue_cpu_per_job" => &mut profile.enqueue_cpu_per_job,
                        "read_wait" => &mut profile.read_wait,
                        "commit_cpu" => &mut profile.commit_cpu,
                        "commit_cpu_per_job" => &mut profile.commit_cpu_per_job,
                        "commit_wait" => &mut profile.commit_wait,
                        "completion_cpu" => &mut profile.completion_cpu,
                        "completion_cpu_per_job" => &mut profile.completion_cpu_per_job,
                        "completion_wait" => &mut profile.completion_wait,
                        "completion_wait_per_job" => &mut profile.completion_wait_per_job,
                        other => return Err(format!("unknown cost key: {other}")),
                    };
                    *slot = US(micros);
                }
                (_, None) => return Err(format!("cost overrides are KEY=MICROS: {part}")),
            }
        }
        Ok(profile)
    }
}

/// The running cost model: the two commit lanes and a precise timer.
pub struct Cost {
    profile: CostProfile,
    journal: mpsc::Sender<Commit>,
    completions: mpsc::Sender<Commit>,
    timer: mpsc::Sender<Wake>,
    journal_counters: Arc<LaneCounters>,
    completion_counters: Arc<LaneCounters>,
}

/// What a lane has done, for the control API's state.
#[derive(Default)]
pub struct LaneCounters {
    /// Group commits made.
    pub commits: AtomicU64,
    /// State changes they carried.
    pub changes: AtomicU64,
}

struct Commit {
    jobs: usize,
    done: oneshot::Sender<()>,
}

/// A wake-up at a deadline; ordered so the heap's top is the earliest.
struct Wake {
    at: Instant,
    done: oneshot::Sender<()>,
}

impl PartialEq for Wake {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at
    }
}
impl Eq for Wake {}
impl PartialOrd for Wake {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Wake {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.at.cmp(&self.at)
    }
}

impl Cost {
    /// Start the lane and timer threads; `None` for the instant profile.
    /// The threads end when the `Cost` is dropped.
    pub fn start(profile: CostProfile) -> Option<Cost> {
        if profile.is_instant() {
            return None;
        }
        let journal_lane = LaneCost {
            fixed_cpu: profile.commit_cpu,
            cpu_per_job: profile.commit_cpu_per_job,
            fixed_wait: profile.commit_wait,
            wait_per_job: Duration::ZERO,
        };
        let completion_lane = LaneCost {
            fixed_cpu: profile.completion_cpu,
            cpu_per_job: profile.completion_cpu_per_job,
            fixed_wait: profile.completion_wait,
            wait_per_job: profile.completion_wait_per_job,
        };
        // One writer for both lanes: the real server's store takes one
        // write transaction at a time, so completion commits and dispatch
        // commits wait for each other.
        let writer = Arc::new(Mutex::new(()));
        let (journal, journal_counters) =
            start_lane("zizq-ts-journal", journal_lane, writer.clone())?;
        let (completions, completion_counters) =
            start_lane("zizq-ts-completions", completion_lane, writer)?;
        let (timer, wakes) = mpsc::channel();
        thread::Builder::new()
            .name("zizq-ts-timer".into())
            .spawn(move || run_timer(wakes))
            .ok()?;
        Some(Cost {
            profile,
            journal,
            completions,
            timer,
            journal_counters,
            completion_counters,
        })
    }

    /// Group commits made by a lane and the state changes they carried.
    pub fn lane_counts(&self, lane: Lane) -> (u64, u64) {
        let counters = match lane {
            Lane::Journal => &self.journal_counters,
            Lane::Completions => &self.completion_counters,
        };
        (
            counters.commits.load(Ordering::Relaxed),
            counters.changes.load(Ordering::Relaxed),
        )
    }

    /// Charge the per-request CPU on the calling thread.
    pub fn charge_request(&self) {
        burn(self.profile.request_cpu);
    }

    /// Charge the CPU of decoding and checking `jobs` enqueued jobs.
    pub fn charge_enqueue(&self, jobs: usize) {
        burn(
            self.profile
                .enqueue_cpu_per_job
                .saturating_mul(u32::try_from(jobs).unwrap_or(u32::MAX)),
        );
    }

    /// Wait as a read does.
    pub async fn read(&self) {
        if self.profile.read_wait.is_zero() {
            return;
        }
        let (done, waited) = oneshot::channel();
        let wake = Wake {
            at: Instant::now() + self.profile.read_wait,
            done,
        };
        if self.timer.send(wake).is_ok() {
            let _ = waited.await;
        }
    }

    /// Wait until a commit of `lane` carrying these `jobs` state changes is
    /// durable.
    pub async fn commit(&self, lane: Lane, jobs: usize) {
        let (done, committed) = oneshot::channel();
        let sender = match lane {
            Lane::Journal => &self.journal,
            Lane::Completions => &self.completions,
        };
        if sender.send(Commit { jobs, done }).is_ok() {
            let _ = committed.await;
        }
    }
}

/// What one group commit of a lane costs.
#[derive(Clone, Copy)]
struct LaneCost {
    fixed_cpu: Duration,
    cpu_per_job: Duration,
    fixed_wait: Duration,
    wait_per_job: Duration,
}

fn start_lane(
    name: &str,
    cost: LaneCost,
    writer: Arc<Mutex<()>>,
) -> Option<(mpsc::Sender<Commit>, Arc<LaneCounters>)> {
    let (sender, commits) = mpsc::channel();
    let counters = Arc::new(LaneCounters::default());
    let lane = counters.clone();
    thread::Builder::new()
        .name(name.into())
        .spawn(move || run_lane(cost, commits, &writer, &lane))
        .ok()?;
    Some((sender, counters))
}

/// A lane: one group commit at a time, holding the writer; whatever queued
/// up while a commit waited for the writer or ran joins the next.
fn run_lane(
    cost: LaneCost,
    commits: mpsc::Receiver<Commit>,
    writer: &Mutex<()>,
    counters: &LaneCounters,
) {
    let times = |per_job: Duration, jobs: usize| {
        per_job.saturating_mul(u32::try_from(jobs).unwrap_or(u32::MAX))
    };
    while let Ok(first) = commits.recv() {
        let mut group = vec![first];
        group.extend(commits.try_iter());
        let jobs = group.iter().map(|c| c.jobs).sum::<usize>();
        let held = writer.lock().unwrap_or_else(|p| p.into_inner());
        burn(cost.fixed_cpu.saturating_add(times(cost.cpu_per_job, jobs)));
        let wait = cost
            .fixed_wait
            .saturating_add(times(cost.wait_per_job, jobs));
        if !wait.is_zero() {
            thread::sleep(wait);
        }
        drop(held);
        counters.commits.fetch_add(1, Ordering::Relaxed);
        counters.changes.fetch_add(jobs as u64, Ordering::Relaxed);
        for commit in group {
            let _ = commit.done.send(());
        }
    }
}

/// Sub-millisecond wake-ups (tokio's timer has millisecond resolution).
fn run_timer(wakes: mpsc::Receiver<Wake>) {
    let mut heap = BinaryHeap::new();
    loop {
        let next = heap.peek().map(|w: &Wake| w.at);
        let received = match next {
            None => wakes
                .recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
            Some(at) => wakes.recv_timeout(at.saturating_duration_since(Instant::now())),
        };
        match received {
            Ok(wake) => heap.push(wake),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        let now = Instant::now();
        while heap.peek().is_some_and(|w| w.at <= now) {
            if let Some(wake) = heap.pop() {
                let _ = wake.done.send(());
            }
        }
    }
}

/// Keep this thread busy for `d` (work the server would do).
fn burn(d: Duration) {
    if d.is_zero() {
        return;
    }
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_profiles_and_overrides() {
        assert_eq!(CostProfile::parse("instant"), Ok(CostProfile::default()));
        assert_eq!(
            CostProfile::parse("reference"),
            Ok(CostProfile::reference())
        );
        let p = CostProfile::parse("reference, commit_wait=500").unwrap();
        assert_eq!(p.commit_wait, US(500));
        assert_eq!(p.request_cpu, CostProfile::reference().request_cpu);
        let p = CostProfile::parse("request_cpu=7").unwrap();
        assert_eq!(p.request_cpu, US(7));
        assert_eq!(p.commit_wait, Duration::ZERO);
        assert!(CostProfile::parse("fast").is_err());
        assert!(CostProfile::parse("reference,commit_wait=1ms").is_err());
        assert!(CostProfile::parse("reference,nope=1").is_err());
        assert!(CostProfile::parse("reference,instant").is_err());
    }

    #[test]
    fn the_instant_profile_starts_nothing() {
        assert!(Cost::start(CostProfile::default()).is_none());
    }

    /// Start `profile`, make one commit of one change in each of `lanes` at
    /// once, and wait for all of them; the cost model and the time taken.
    fn commit_together(profile: CostProfile, lanes: &[Lane]) -> (Arc<Cost>, Duration) {
        let cost = Arc::new(Cost::start(profile).unwrap());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let start = Instant::now();
        rt.block_on(async {
            let tasks: Vec<_> = lanes
                .iter()
                .map(|&lane| {
                    let cost = cost.clone();
                    tokio::spawn(async move { cost.commit(lane, 1).await })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        (cost, start.elapsed())
    }

    #[test]
    fn commits_that_queue_up_share_one_commit() {
        // While the first commit waits, the other seven queue up and must
        // all be carried by the next one.
        let profile = CostProfile {
            commit_wait: Duration::from_millis(50),
            ..CostProfile::default()
        };
        let (cost, _) = commit_together(profile, &[Lane::Journal; 8]);
        let (commits, changes) = cost.lane_counts(Lane::Journal);
        assert_eq!(changes, 8);
        assert!(commits <= 2, "{commits} commits for 8 queued changes");
    }

    #[test]
    fn the_two_lanes_share_one_writer() {
        // A journal commit and a completion commit of 100 ms each: with one
        // writer they run one after the other, whichever goes first.
        let profile = CostProfile {
            commit_wait: Duration::from_millis(100),
            completion_wait: Duration::from_millis(100),
            ..CostProfile::default()
        };
        let (_, took) = commit_together(profile, &[Lane::Journal, Lane::Completions]);
        assert!(took >= Duration::from_millis(200));
    }

    #[test]
    fn reads_wait_and_return() {
        let cost = Cost::start(CostProfile {
            read_wait: US(200),
            ..CostProfile::default()
        })
        .unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let start = Instant::now();
        rt.block_on(async {
            for _ in 0..3 {
                cost.read().await;
            }
        });
        assert!(start.elapsed() >= US(600));
    }
}
