//! Scheduler step: promote due jobs, purge expired ones, fire crons.

use super::State;
use crate::model::Status;

impl State {
    /// Do everything due at `now`; returns the next time something is due
    /// (`u64::MAX` if nothing is pending).
    pub fn run_due(&mut self, now: u64) -> u64 {
        while let Some(&(at, id)) = self.idx.scheduled.first() {
            if at > now {
                break;
            }
            self.idx.scheduled.pop_first();
            let Some(job) = self.jobs.get_mut(&id) else {
                continue;
            };
            if job.status != Status::Scheduled {
                continue;
            }
            job.status = Status::Ready;
            self.idx.insert(job);
            let q = job.queue.clone();
            self.wake_for_queue(&q);
        }
        while let Some(&(at, id)) = self.idx.purges.first() {
            if at > now {
                break;
            }
            self.idx.purges.pop_first();
            self.remove_job(id);
        }
        let cron_next = if self.pro {
            self.fire_crons(now)
        } else {
            u64::MAX
        };
        let next = [
            self.idx.scheduled.first().map(|x| x.0),
            self.idx.purges.first().map(|x| x.0),
            Some(cron_next),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(u64::MAX);
        self.sched_next = next;
        next
    }
}
