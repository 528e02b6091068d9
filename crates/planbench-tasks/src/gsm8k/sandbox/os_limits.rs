//! Kernel-enforced limits that a worker process puts on itself (Linux `setrlimit`; the sandbox
//! is Linux-only).
//!
//! They hold whatever the interpreter does: a process past its address-space limit gets no more
//! memory, one past its CPU limit is killed with `SIGXCPU`, and it can create no file or
//! descriptor.

use std::io;
use std::time::Duration;

/// Address space granted above the process' size at startup plus the program memory budget:
/// room for the allocator's bookkeeping and the interpreter's own structures.
const ADDRESS_SPACE_SLACK: libc::rlim_t = 128 << 20;

/// Limits this process for good: no core dumps, no file writes, no new descriptors or
/// processes, and an address space of its current size plus `memory_bytes` plus slack.
pub fn confine(memory_bytes: libc::rlim_t) -> io::Result<()> {
    let address_space = current_address_space()?
        .saturating_add(memory_bytes)
        .saturating_add(ADDRESS_SPACE_SLACK);
    set(libc::RLIMIT_CORE, 0, 0)?;
    set(libc::RLIMIT_FSIZE, 0, 0)?;
    set(libc::RLIMIT_NOFILE, 0, 0)?;
    set(libc::RLIMIT_NPROC, 0, 0)?;
    set(libc::RLIMIT_AS, address_space, address_space)
}

/// Lets the next program use `timeout` (rounded up) plus one second of CPU time from now; past
/// that the kernel sends `SIGXCPU`, which ends the process.
pub fn limit_cpu_from_now(timeout: Duration) -> io::Result<()> {
    let allowed = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0) + 1;
    let soft = cpu_seconds_used()?.saturating_add(allowed);
    let (_, hard) = get(libc::RLIMIT_CPU)?;
    set(libc::RLIMIT_CPU, soft.min(hard), hard)
}

/// CPU seconds this process has used so far (user + system, rounded down).
fn cpu_seconds_used() -> io::Result<libc::rlim_t> {
    // SAFETY: getrusage writes one `rusage` into the zeroed struct we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let seconds = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec;
    Ok(libc::rlim_t::try_from(seconds).unwrap_or(0))
}

/// The virtual size of this process in bytes, from `/proc/self/statm`.
fn current_address_space() -> io::Result<libc::rlim_t> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let pages: libc::rlim_t = statm
        .split_whitespace()
        .next()
        .and_then(|field| field.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "unreadable /proc/self/statm"))?;
    // SAFETY: sysconf only reads a configuration value.
    let page_size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    Ok(pages.saturating_mul(libc::rlim_t::try_from(page_size).unwrap_or(4096)))
}

type Resource = libc::__rlimit_resource_t;

fn get(resource: Resource) -> io::Result<(libc::rlim_t, libc::rlim_t)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` into the struct we own.
    if unsafe { libc::getrlimit(resource, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((limit.rlim_cur, limit.rlim_max))
}

fn set(resource: Resource, soft: libc::rlim_t, hard: libc::rlim_t) -> io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: setrlimit reads one `rlimit` from the struct we own.
    if unsafe { libc::setrlimit(resource, &limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
