//! The command's own peak resident memory: `notion-xws sync --execute` run as a child process
//! against the fake Notion served over HTTP on 127.0.0.1 by this process, so that the fake's
//! store and request log are not counted.
//!
//! For each size of [`SIZES`] (or those of `CMD_MEMORY_ROWS`, comma-separated), a world of
//! that many source rows pushed to one environment ([`World`], no rate limit), then: a first
//! sync (every row created), a re-sync with nothing changed, a re-sync with every 100th source
//! row edited, and a full reconcile (`--full`: every row of both sides read and compared). Each
//! command's peak resident memory is its `ru_maxrss` (`wait4`); its wall time is printed too,
//! and its requests per token from the fake's log (query pages, other reads, writes).
//! The command is started by this bench's binary run again as a small go-between
//! (`--spawn`): Linux carries the high-water mark of the process that spawns over `exec` (a
//! command spawned straight from this process, which holds the fake, would count the fake's
//! memory), and the go-between is a few MiB.
//! Then, on the first size, `watch --every 1s --cycles 20` with every 100th row edited again
//! before each cycle: the child's resident memory (`VmRSS`) and peak (`VmHWM`) read from
//! `/proc/<pid>/status` as each cycle's line is printed, so that growth over the cycles shows.
//!
//! The command is the release binary: build it first with
//! `cargo build --release -p notion-xws-core --features cli` (or name one with
//! `NOTION_XWS_BIN`). The run is bounded by its sizes; it prints one line per run
//! (`CMD_MEMORY_STDERR=1`: the command's own log too).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use benches::api::is_write;
use benches::resources::{mib, process_status_bytes};
use benches::world::{World, WorldSpec};
use notion_xws_core::fake::{FakeConfig, FakeServer};

/// Source rows of each world, unless `CMD_MEMORY_ROWS` says otherwise (`100000` takes tens of
/// minutes of wall clock on a 2-core machine: the fake, in this process, is the slow side).
const SIZES: &[usize] = &[10_000, 30_000];
/// Cycles of `watch`, unless `CMD_MEMORY_CYCLES` says otherwise (0: no `watch`).
const CYCLES: usize = 20;
/// One source row in `EDIT_EVERY` is edited before a re-sync: 1%.
const EDIT_EVERY: usize = 100;

/// The binary to run: `NOTION_XWS_BIN`, else `notion-xws` next to this bench's directory
/// (`target/release/deps/..`).
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("NOTION_XWS_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the bench's own path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("notion-xws"))
        .expect("a target directory")
}

/// The command, through the go-between, with the control token and the fake's address in its
/// environment.
fn command(world: &World, server: &FakeServer, args: &[&str]) -> Command {
    let mut command = Command::new(std::env::current_exe().expect("the bench's own path"));
    command
        .arg(SPAWN)
        .arg(binary())
        .args(["--requests-per-minute", "6000000"])
        .args(
            std::env::var("CMD_MEMORY_ARGS")
                .ok()
                .as_deref()
                .map(str::split_whitespace)
                .into_iter()
                .flatten(),
        )
        .args(args)
        .env("NOTION_TOKEN", world.control.token.expose())
        .env("NOTION_BASE_URL", server.base_url())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// The go-between's first argument.
const SPAWN: &str = "--spawn";

/// The go-between: runs `args` (the command and its arguments), its stdout this process's,
/// and says on stderr the command's process ID, then its exit code and peak resident memory.
fn spawn(args: &[String]) {
    let [program, args @ ..] = args else {
        panic!("--spawn needs a command")
    };
    let child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(if std::env::var_os("CMD_MEMORY_STDERR").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("the command starts");
    eprintln!("pid {}", child.id());
    let (code, peak) = wait_with_peak(child.id());
    // The child is reaped: `Child` must not wait for it again.
    std::mem::forget(child);
    eprintln!("peak {peak} {code}");
}

/// What the go-between said: the command's process ID, and at its end its exit code and peak.
#[derive(Debug, Default)]
struct Said {
    pid: Option<u32>,
    end: Option<(i32, u64)>,
}

impl Said {
    /// Takes in one line of the go-between's stderr.
    fn line(&mut self, line: &str) {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["pid", pid] => self.pid = pid.parse().ok(),
            ["peak", peak, code] => self.end = code.parse().ok().zip(peak.parse().ok()),
            _ => {}
        }
    }
}

/// Waits for `pid` and gives its exit code and peak resident memory (`ru_maxrss`), in bytes.
fn wait_with_peak(pid: u32) -> (i32, u64) {
    let mut status = 0;
    // SAFETY: `wait4` writes into the status and the zeroed struct we own, for our own child.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let pid = libc::pid_t::try_from(pid).expect("a pid");
        assert_eq!(libc::wait4(pid, &mut status, 0, &mut usage), pid);
        usage
    };
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024)
}

/// Runs the command to its end: its exit code, peak resident memory, wall time and stdout.
async fn run(world: &World, server: &FakeServer, args: &[&str]) -> (i32, u64, Duration, String) {
    let command = command(world, server, args);
    let began = Instant::now();
    tokio::task::spawn_blocking(move || {
        let mut command = command;
        let output = command.output().expect("the go-between runs");
        let mut said = Said::default();
        String::from_utf8_lossy(&output.stderr)
            .lines()
            .for_each(|line| said.line(line));
        let (code, peak) = said.end.expect("the go-between says how the command ended");
        let out = String::from_utf8_lossy(&output.stdout).into_owned();
        (code, peak, began.elapsed(), out)
    })
    .await
    .expect("the wait")
}

/// One size: first sync, re-syncs, full reconcile; and `watch` when asked.
async fn size(rows: usize, watch_cycles: Option<usize>) {
    let began = Instant::now();
    let world = World::build(&WorldSpec {
        rows,
        environments: 1,
        fake: FakeConfig::default(),
        sync: "Push",
    })
    .await;
    let server = world.fake.serve().await.expect("the fake serves");
    println!(
        "cmd_memory: world of {rows} rows built in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    let sync = ["sync", "--execute", "--json"];
    let runs: [(&str, &[&str], bool); 4] = [
        ("first sync", &sync, false),
        ("re-sync, nothing changed", &sync, false),
        ("re-sync, 1% edited", &sync, true),
        (
            "full reconcile",
            &["sync", "--execute", "--json", "--full"],
            false,
        ),
    ];
    for (round, (what, args, edited)) in runs.into_iter().enumerate() {
        if edited {
            world
                .edit_rows_with(EDIT_EVERY, |i| format!("Round {round} of row {i}"))
                .await;
        }
        world.fake.clear_request_log();
        let (code, peak, wall, out) = run(&world, &server, args).await;
        let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        let totals = &report["totals"];
        println!(
            "cmd_memory: {rows} rows, {what}: peak resident {:.0} MiB, {:.1} s wall (exit {code}; \
             created {}, updated {}, unchanged {}, requests {}: {})",
            mib(peak),
            wall.as_secs_f64(),
            totals["created"],
            totals["updated"],
            totals["unchanged"],
            totals["requests"],
            by_token(&world),
        );
        assert_eq!(code, 0, "{out}");
    }
    if let Some(cycles) = watch_cycles {
        watch(&world, &server, cycles).await;
    }
}

/// The requests of the fake's log per token, as query pages, other reads and writes (the
/// control's and the copy's: a read of a side whole is a query page per 100 rows).
fn by_token(world: &World) -> String {
    let mut tokens: BTreeMap<String, [u64; 3]> = BTreeMap::new();
    for line in world.fake.request_log() {
        let counts = tokens
            .entry(world.label(line.workspace.as_deref(), line.integration.as_deref()))
            .or_default();
        let kind = if line.path.ends_with("/query") {
            0
        } else if is_write(line.method, &line.path) {
            2
        } else {
            1
        };
        counts[kind] += 1;
    }
    tokens
        .iter()
        .map(|(token, [queries, reads, writes])| {
            format!("{token} {queries} query pages, {reads} other reads, {writes} writes")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `watch` over `cycles` cycles, 1% of the rows edited before each: the child's memory as
/// each cycle ends.
async fn watch(world: &World, server: &FakeServer, cycles: usize) {
    let every = format!("--cycles={cycles}");
    let mut child = command(world, server, &["watch", "--every", "1s", &every])
        .spawn()
        .expect("watch starts");
    let stdout = child.stdout.take().expect("its stdout");
    let stderr = child.stderr.take().expect("its stderr");
    let (lines, mut seen) = tokio::sync::mpsc::unbounded_channel::<(u64, u64)>();
    let reader = tokio::task::spawn_blocking(move || {
        let mut said = Said::default();
        let mut stderr = BufReader::new(stderr).lines();
        if let Some(Ok(line)) = stderr.next() {
            said.line(&line);
        }
        let pid = said
            .pid
            .expect("the go-between names the command")
            .to_string();
        for line in BufReader::new(stdout).lines() {
            if line.is_err() {
                break;
            }
            let _ = lines.send((
                process_status_bytes(&pid, "VmRSS"),
                process_status_bytes(&pid, "VmHWM"),
            ));
        }
        stderr
            .map_while(Result::ok)
            .for_each(|line| said.line(&line));
        let _ = child.wait();
        said.end.expect("the go-between says how the command ended")
    });
    let mut cycles = Vec::new();
    let mut round = 100;
    while let Some(memory) = seen.recv().await {
        cycles.push(memory);
        round += 1;
        world
            .edit_rows_with(EDIT_EVERY, |i| format!("Round {round} of row {i}"))
            .await;
    }
    let (code, peak) = reader.await.expect("the wait");
    let line = |(rss, hwm): (u64, u64)| format!("{:.0}/{:.0}", mib(rss), mib(hwm));
    println!(
        "cmd_memory: watch, {} cycles (1% edited before each): resident/peak MiB after each: {}; \
         peak of the process {:.0} MiB (exit {code})",
        cycles.len(),
        cycles
            .iter()
            .map(|m| line(*m))
            .collect::<Vec<_>>()
            .join(", "),
        mib(peak)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(SPAWN) {
        spawn(&args[1..]);
        return;
    }
    if !binary().exists() {
        println!(
            "cmd_memory: skipped: {} is missing (build it with `cargo build --release -p \
             notion-xws-core --features cli`, or name one with NOTION_XWS_BIN)",
            binary().display()
        );
        return;
    }
    let sizes: Vec<usize> = std::env::var("CMD_MEMORY_ROWS")
        .ok()
        .map(|text| {
            text.split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect()
        })
        .unwrap_or_else(|| SIZES.to_vec());
    let cycles = std::env::var("CMD_MEMORY_CYCLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CYCLES);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    for (i, rows) in sizes.into_iter().enumerate() {
        runtime.block_on(size(rows, (i == 0).then_some(cycles).filter(|&n| n > 0)));
    }
}
