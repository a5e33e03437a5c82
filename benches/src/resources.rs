//! What the process has spent: CPU time (`getrusage`) and memory (`/proc/self/status`).

use std::time::Duration;

/// The CPU time (user + system) the process has used so far, all threads.
pub fn cpu_time() -> Duration {
    // SAFETY: `getrusage` writes into the zeroed struct we own and reads nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return Duration::ZERO;
        }
        usage
    };
    let of = |t: libc::timeval| {
        Duration::from_secs(u64::try_from(t.tv_sec).unwrap_or(0))
            + Duration::from_micros(u64::try_from(t.tv_usec).unwrap_or(0))
    };
    of(usage.ru_utime) + of(usage.ru_stime)
}

/// A field of `/proc/self/status` in bytes (`VmHWM`: peak resident memory; `VmRSS`: now), or
/// 0 where there is no such file.
fn status_bytes(field: &str) -> u64 {
    process_status_bytes("self", field)
}

/// A field of `/proc/<process>/status` in bytes (`process`: a process ID, or `self`), or 0
/// where there is no such file (the process is gone, say).
pub fn process_status_bytes(process: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix(field)?.strip_prefix(':')?;
            let kb: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
            Some(kb * 1024)
        })
        .unwrap_or(0)
}

/// The peak resident memory of the process so far, in bytes.
pub fn peak_rss() -> u64 {
    status_bytes("VmHWM")
}

/// The resident memory of the process now, in bytes.
pub fn current_rss() -> u64 {
    status_bytes("VmRSS")
}

/// Bytes as mebibytes, for printing.
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
