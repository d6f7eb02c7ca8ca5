//! A Linux eventfd as a level-triggered readiness signal.

use crate::error::{Error, Result};

/// Linux eventfd used as a level-triggered readiness signal.
pub(super) struct EventFd(pub(super) i32);

impl EventFd {
    pub(super) fn new() -> Result<EventFd> {
        // SAFETY: plain syscall; the fd is owned by the returned value.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(Error::invalid(format!(
                "cannot create the readiness descriptor: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(EventFd(fd))
    }

    pub(super) fn signal(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a valid u64 to our own fd.
        unsafe { libc::write(self.0, (&one as *const u64).cast(), 8) };
    }

    pub(super) fn drain(&self) {
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
