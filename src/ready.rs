//! Waiting for shared state on a host thread, for take streams, workers and
//! event queues alike: the state sits behind a mutex, host threads wait on a
//! condition variable until a check of theirs succeeds or a deadline passes,
//! and a Linux eventfd is readable exactly while the state says a waiter
//! would return at once, so event loops can `poll` it instead of blocking
//! (from the first time it is asked for).
//!
//! The wake rules (which state ends a wait, what a wakeup means) belong to
//! each user: `Readiness` says when the descriptor is readable, and the check
//! given to `wait` says what a waiter returns.

use crate::error::{Error, Result};
use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Instant;

/// State that knows whether a waiter would return at once.
pub(crate) trait Readiness {
    fn is_ready(&self) -> bool;
}

/// Shared state, its waiters and its readiness descriptor.
pub(crate) struct Ready<S> {
    slot: Mutex<Slot<S>>,
    changed: Condvar,
    fd: EventFd,
}

struct Slot<S> {
    state: S,
    /// Whether `fd` is readable now.
    fd_signalled: bool,
    /// Whether anyone asked for `fd`: until then it is left alone, which
    /// spares hosts that only block in calls two syscalls per burst of jobs.
    fd_wanted: bool,
    /// Waiters asleep on `changed`.
    sleepers: usize,
    /// Whether a waiter woken by `wake_one` has yet to look at the state.
    waking: bool,
}

impl<S: Readiness> Ready<S> {
    /// The state, with its readiness descriptor (see `fd`).
    pub(crate) fn new(state: S) -> Result<Self> {
        Ok(Ready {
            slot: Mutex::new(Slot {
                state,
                fd_signalled: false,
                fd_wanted: false,
                sleepers: 0,
                waking: false,
            }),
            changed: Condvar::new(),
            fd: EventFd::new()?,
        })
    }

    /// Lock the state. Dropping the guard brings the descriptor up to date;
    /// waking waiters is the caller's choice (`Guard::wake_one`,
    /// `notify_all`).
    pub(crate) fn lock(&self) -> Guard<'_, S> {
        Guard {
            ready: self,
            slot: self.slot.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Change the state, then wake every waiter.
    pub(crate) fn update<R>(&self, change: impl FnOnce(&mut S) -> R) -> R {
        let result = change(&mut self.lock());
        self.changed.notify_all();
        result
    }

    /// Wake one sleeping waiter, unless one woken so is still on its way:
    /// a waiter that takes its share and leaves more behind wakes the next
    /// (see `wait`), so a burst wakes threads one at a time, only while
    /// the threads already running leave work over.
    fn wake_one(&self, slot: &mut Slot<S>) {
        if slot.sleepers > 0 && !slot.waking {
            slot.waking = true;
            self.changed.notify_one();
        }
    }

    pub(crate) fn notify_all(&self) {
        self.changed.notify_all();
    }

    /// Run `check` on the state now and after every change until it returns
    /// `Some`, or until `deadline` (None = no deadline) passes: then `None`.
    pub(crate) fn wait<R>(
        &self,
        deadline: Option<Instant>,
        mut check: impl FnMut(&mut S) -> Option<R>,
    ) -> Option<R> {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let found = check(&mut slot.state);
            self.sync_fd(&mut slot);
            if found.is_some() {
                if slot.state.is_ready() {
                    self.wake_one(&mut slot);
                }
                return found;
            }
            let timeout = match deadline {
                None => None,
                Some(deadline) => match deadline.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => return None,
                },
            };
            slot.sleepers += 1;
            slot = match timeout {
                None => self.changed.wait(slot).unwrap_or_else(|p| p.into_inner()),
                Some(left) => {
                    let (slot, _) = self
                        .changed
                        .wait_timeout(slot, left)
                        .unwrap_or_else(|p| p.into_inner());
                    slot
                }
            };
            slot.sleepers -= 1;
            slot.waking = false;
        }
    }

    /// The readiness descriptor, kept in step with the state from now on.
    /// It stays owned here.
    pub(crate) fn fd(&self) -> i32 {
        let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
        slot.fd_wanted = true;
        self.sync_fd(&mut slot);
        self.fd.0
    }

    /// Make the descriptor readable exactly while the state is ready: a
    /// syscall only when that changes.
    fn sync_fd(&self, slot: &mut Slot<S>) {
        if !slot.fd_wanted {
            return;
        }
        let fd = &self.fd;
        let ready = slot.state.is_ready();
        if ready != slot.fd_signalled {
            if ready {
                fd.signal();
            } else {
                fd.drain();
            }
            slot.fd_signalled = ready;
        }
    }
}

/// The locked state; the descriptor follows it when the guard is dropped.
pub(crate) struct Guard<'a, S: Readiness> {
    ready: &'a Ready<S>,
    slot: MutexGuard<'a, Slot<S>>,
}

impl<S: Readiness> Guard<'_, S> {
    /// Wake one waiter for what the state now holds (see `Ready::wake_one`).
    pub(crate) fn wake_one(&mut self) {
        self.ready.wake_one(&mut self.slot);
    }
}

impl<S: Readiness> Deref for Guard<'_, S> {
    type Target = S;

    fn deref(&self) -> &S {
        &self.slot.state
    }
}

impl<S: Readiness> DerefMut for Guard<'_, S> {
    fn deref_mut(&mut self) -> &mut S {
        &mut self.slot.state
    }
}

impl<S: Readiness> Drop for Guard<'_, S> {
    fn drop(&mut self) {
        self.ready.sync_fd(&mut self.slot);
    }
}

/// Linux eventfd used as a level-triggered readiness signal.
struct EventFd(i32);

impl EventFd {
    fn new() -> Result<EventFd> {
        // SAFETY: plain syscall; the fd is owned by the returned value.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(Error::resource(format!(
                "cannot create the readiness descriptor: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(EventFd(fd))
    }

    fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a valid u64 to our own fd.
        unsafe { libc::write(self.0, (&one as *const u64).cast(), 8) };
    }

    fn drain(&self) {
        let mut value: u64 = 0;
        // SAFETY: reads 8 bytes into a valid u64 from our own fd.
        unsafe { libc::read(self.0, (&mut value as *mut u64).cast(), 8) };
    }
}

impl Drop for EventFd {
    fn drop(&mut self) {
        // SAFETY: we own the fd.
        unsafe { libc::close(self.0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Flag(bool);

    impl Readiness for Flag {
        fn is_ready(&self) -> bool {
            self.0
        }
    }

    fn readable(fd: i32) -> bool {
        let mut poll = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, a zero timeout.
        unsafe { libc::poll(&mut poll, 1, 0) == 1 }
    }

    #[test]
    fn the_descriptor_shows_a_state_that_became_ready_before_it_was_asked_for() {
        let ready = Ready::new(Flag(false)).unwrap();
        ready.update(|flag| flag.0 = true);
        assert!(readable(ready.fd()));
        ready.update(|flag| flag.0 = false);
        assert!(!readable(ready.fd()));
    }

    #[test]
    fn the_descriptor_follows_the_state_once_asked_for() {
        let ready = Ready::new(Flag(false)).unwrap();
        let fd = ready.fd();
        assert!(!readable(fd));
        ready.update(|flag| flag.0 = true);
        assert!(readable(fd));
        ready.update(|flag| flag.0 = false);
        assert!(!readable(fd));
    }
}
