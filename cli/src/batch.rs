//! Batch runs: the inputs of a command (files, and directories walked for captures) become [`Job`]s, run on
//! `-j N` workers; what a job writes to standard output is held until every earlier job's has been written, so
//! standard output keeps the input order; a progress bar on standard error (a terminal only, not `--quiet`)
//! counts the bytes and files done; one summary at the end lists every file, its counts and its failure.
//!
//! A command is a user of [`run`] (or [`run_in_order`], for work that cannot be shared between threads): it
//! plans its jobs with [`plan`], and does one job in a closure that reports through [`JobIo`] and returns an
//! [`Outcome`]. Ctrl-C sets a flag the jobs read ([`JobIo::stopped`], [`Watch`], [`Stoppable`]): they stop,
//! their temporary files are removed, and the outputs already put in place stay.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use vxscope_capture::{Compression, Packet};
use vxscope_dissector::render::FrameView;
use vxscope_dissector::{Dissection, LinkType};
use vxscope_rewriter::output::AtomicFile;
use vxscope_rewriter::run::{Rewrite, Rewritten, Verdict};

use crate::frames::{Consumer, Flow, Frame, PluginRender, Render};

/// The options of a batch run, flattened into every command that takes many inputs.
#[derive(Args, Clone, Debug, Default)]
pub struct BatchArgs {
    /// Cores to use [default: all]: N files at once on a thread each; fewer files than N share the N (a
    /// file's frames decoded on several threads); `-j 1`: one thread does everything
    #[arg(short = 'j', long = "jobs", value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub jobs: Option<u32>,
    /// No progress bar and no summary table (failures are still reported)
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

impl BatchArgs {
    /// How many cores the run may keep busy: `-j`, or the number of cores.
    pub fn cores(&self) -> usize {
        match self.jobs {
            Some(n) => n as usize,
            None => all_cores(),
        }
    }
}

/// The number of cores of the machine (1 when it cannot be known).
fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The extensions a directory is walked for.
pub const CAPTURE_EXTENSIONS: [&str; 3] = ["pcap", "pcapng", "cap"];

/// Where a job's output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Standard output, in input order.
    Stdout,
    /// A file, written under a temporary name and put in place when whole.
    File(PathBuf),
}

/// One input and where its output goes.
#[derive(Clone, Debug)]
pub struct Job {
    /// The input (`-`: standard input).
    pub input: PathBuf,
    /// The input as the summary names it.
    pub name: String,
    pub output: Destination,
    /// The input's size (0 when unknown: standard input), for the progress bar.
    pub bytes: u64,
    /// The output's directory is made if missing (under `-o DIR`; a file named on the command line must be
    /// in a directory that exists).
    pub make_directory: bool,
}

impl Job {
    /// A job of one input (`-`: standard input) to `output`.
    pub fn new(input: PathBuf, output: Destination) -> Job {
        let bytes = if input.as_os_str() == "-" {
            0
        } else {
            fs::metadata(&input).map_or(0, |m| m.len())
        };
        Job {
            name: input.display().to_string(),
            input,
            output,
            bytes,
            make_directory: false,
        }
    }

    /// The output file, if the output is one.
    pub fn output_file(&self) -> Option<&Path> {
        match &self.output {
            Destination::File(p) => Some(p),
            Destination::Stdout => None,
        }
    }
}

/// What a job did, for the summary.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Packets (or frames) read.
    pub packets: u64,
    /// What was done to them, each a column of the summary: the same labels, in the same order, for every job
    /// of a command (`("stripped", 812), ("kept", 4)`).
    pub counts: Vec<(&'static str, u64)>,
    /// Packets found damaged (and kept or dropped as the options say), for a command that counts them.
    pub damaged: Option<u64>,
    /// What went wrong, naming the file, the frame and the byte offset; the file failed.
    pub failure: Option<String>,
    /// The job stopped at Ctrl-C (its output, if a file, was not put in place).
    pub interrupted: bool,
    /// The report of a one-file run, printed instead of the summary table.
    pub detail: String,
    /// The failure is the arguments' (exit status 2).
    pub bad_arguments: bool,
}

impl Outcome {
    /// A job that failed before it read anything.
    pub fn failed(message: String) -> Outcome {
        Outcome {
            failure: Some(message),
            ..Outcome::default()
        }
    }
}

/// Set by Ctrl-C: the jobs running stop, no other starts.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Set by Ctrl-C, and when standard output closed (`| head`): nothing more is worth doing.
static STOPPED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_interrupt(_: libc::c_int) {
    // Only atomic stores: all a signal handler may do.
    INTERRUPTED.store(true, Ordering::SeqCst);
    STOPPED.store(true, Ordering::SeqCst);
}

/// From now on, Ctrl-C (SIGINT) and SIGTERM stop the run instead of killing the process, so that temporary
/// files are removed and completed outputs stay.
fn catch_interrupts() {
    let handler: extern "C" fn(libc::c_int) = on_interrupt;
    // SAFETY: the handler only stores to atomics, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        libc::signal(libc::SIGTERM, handler as libc::sighandler_t);
    }
}

/// Whether the run was interrupted (Ctrl-C).
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Whether the run should stop (Ctrl-C, or standard output closed).
pub fn stopped() -> bool {
    STOPPED.load(Ordering::Relaxed)
}

/// Progress is told to the bar in steps of at least this many bytes.
const PROGRESS_STEP: u64 = 256 * 1024;

/// What a job is given: its standard output and the progress bar.
pub struct JobIo<'a> {
    stdout: &'a mut dyn Write,
    pub progress: Progress<'a>,
}

/// A job's part of the progress bar.
pub struct Progress<'a> {
    bar: &'a ProgressBar,
    /// Bytes of the input told to the bar.
    told: u64,
    size: u64,
}

impl Progress<'_> {
    /// The job has read its input up to byte `offset`.
    pub fn at(&mut self, offset: u64) {
        let offset = offset.min(self.size);
        if offset >= self.told + PROGRESS_STEP {
            self.bar.inc(offset - self.told);
            self.told = offset;
        }
    }

    /// The rest of the input, once the job ended.
    fn done(&mut self) {
        self.bar.inc(self.size.saturating_sub(self.told));
        self.told = self.size;
    }
}

impl<'a> JobIo<'a> {
    /// Where the job writes what goes to standard output (held, then written in input order), and its
    /// progress.
    pub fn parts(&mut self) -> (&mut dyn Write, &mut Progress<'a>) {
        (&mut *self.stdout, &mut self.progress)
    }
}

/// A frame consumer that tells the progress bar where it is and stops with the run.
pub struct Watch<'j, 'a, C> {
    pub progress: &'j mut Progress<'a>,
    pub inner: &'j mut C,
}

impl<C: Consumer> Consumer for Watch<'_, '_, C> {
    fn frame(
        &mut self,
        frame: &Frame<'_>,
        view: &impl FrameView,
        dissection: Option<&Dissection<'_>>,
    ) -> Result<Flow, String> {
        self.progress.at(frame.offset);
        if stopped() {
            return Ok(Flow::Stop);
        }
        self.inner.frame(frame, view, dissection)
    }

    fn renderer(&self) -> Option<Render> {
        self.inner.renderer()
    }

    fn plugin_renderer(&self) -> Option<PluginRender> {
        self.inner.plugin_renderer()
    }

    fn rendered(&mut self, bytes: &[u8], last_offset: u64) -> Result<Flow, String> {
        self.progress.at(last_offset);
        if stopped() {
            return Ok(Flow::Stop);
        }
        self.inner.rendered(bytes, last_offset)
    }
}

/// A rewrite that tells the progress bar where it is.
pub struct WatchRewrite<'j, 'a, 'r> {
    pub progress: &'j mut Progress<'a>,
    pub inner: &'r mut dyn Rewrite,
}

impl Rewrite for WatchRewrite<'_, '_, '_> {
    fn rewrite(&mut self, packet: &Packet<'_>, out: &mut Rewritten) -> Verdict {
        self.progress.at(packet.offset);
        self.inner.rewrite(packet, out)
    }
    fn dissection(&self) -> &Dissection<'_> {
        self.inner.dissection()
    }
    fn output_link_type(&self) -> Option<LinkType> {
        self.inner.output_link_type()
    }
    fn growth(&self) -> u32 {
        self.inner.growth()
    }
    fn notes(&self) -> Vec<String> {
        self.inner.notes()
    }
    fn reassembles_outer_fragments(&self) -> bool {
        self.inner.reassembles_outer_fragments()
    }
}

/// Runs `write` into the job's output: its standard output, or its file, created under a temporary name
/// beside its destination and put in place when `write`'s output is whole (`Ok`) and the run was not
/// interrupted; otherwise removed. The file is put in place after a damaged input too: it holds what the
/// input held before the damage, as on standard output.
pub fn write_output(
    job: &Job,
    io: &mut JobIo<'_>,
    write: impl FnOnce(&mut dyn Write, &mut Progress<'_>) -> (Outcome, io::Result<()>),
) -> Outcome {
    let (stdout, progress) = io.parts();
    let Destination::File(path) = &job.output else {
        return write(stdout, progress).0;
    };
    if job.make_directory
        && let Err(e) = create_parent(path)
    {
        return Outcome::failed(e);
    }
    let mut file = match AtomicFile::create(path) {
        Ok(f) => f,
        Err(e) => return Outcome::failed(format!("cannot create {}: {e}", path.display())),
    };
    let (mut outcome, written) = write(&mut Stoppable(file.file()), progress);
    if interrupted() {
        outcome.interrupted = true;
        return outcome;
    }
    if let Err(e) = written.and_then(|()| file.commit()) {
        outcome.failure = Some(format!("cannot write {}: {e}", path.display()));
    }
    outcome
}

/// A writer that fails once the run is stopped, so that a job writing an output stops there and its
/// temporary file is removed.
pub struct Stoppable<W>(pub W);

impl<W: Write> Write for Stoppable<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if interrupted() {
            return Err(io::Error::other("stopped by an interrupt"));
        }
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// What a job writes for standard output, while earlier jobs are still running: in memory up to
/// [`SPOOL_MEMORY`], then in an unnamed temporary file (`O_TMPFILE`: it has no name to leave behind).
struct Spool {
    memory: Vec<u8>,
    file: Option<File>,
}

const SPOOL_MEMORY: usize = 4 << 20;

impl Spool {
    fn new() -> Spool {
        Spool {
            memory: Vec::new(),
            file: None,
        }
    }

    fn write_to(mut self, out: &mut dyn Write) -> io::Result<()> {
        if let Some(mut file) = self.file.take() {
            file.write_all(&self.memory)?;
            file.rewind()?;
            io::copy(&mut file, out)?;
        } else {
            out.write_all(&self.memory)?;
        }
        Ok(())
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.memory.len() + buf.len() > SPOOL_MEMORY {
            let file = match &mut self.file {
                Some(f) => f,
                None => self.file.insert(
                    OpenOptions::new()
                        .read(true)
                        .write(true)
                        .custom_flags(libc::O_TMPFILE)
                        .open(std::env::temp_dir())?,
                ),
            };
            file.write_all(&self.memory)?;
            self.memory.clear();
            if buf.len() > SPOOL_MEMORY {
                file.write_all(buf)?;
                return Ok(buf.len());
            }
        }
        self.memory.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Standard output, written as the jobs produce it; closed (`| head`), it stops the run quietly.
struct StdoutWriter {
    closed: bool,
}

impl StdoutWriter {
    fn write_all_or_close(&mut self, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) {
        if self.closed {
            return;
        }
        let mut stdout = io::stdout().lock();
        if let Err(e) = write(&mut stdout).and_then(|()| stdout.flush()) {
            if e.kind() != io::ErrorKind::BrokenPipe {
                eprintln!("vxscope: cannot write output: {e}");
            }
            self.closed = true;
            STOPPED.store(true, Ordering::SeqCst);
        }
    }
}

impl Write for StdoutWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all_or_close(|out| out.write_all(buf));
        if self.closed {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "standard output closed",
            ));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// How a batch reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    /// One file named on the command line (`IN OUT`): its own report, as it always was.
    Detail,
    /// Many files, or `-o DIR`: the summary table.
    Table,
}

/// The settings of a run.
pub struct Settings<'c> {
    /// Who speaks in messages (`vxscope strip`).
    pub who: &'c str,
    /// The cores the run may keep busy (`-j`): that many files at once, or fewer files sharing them.
    pub cores: usize,
    pub quiet: bool,
    pub report: Report,
}

fn progress_bar(jobs: &[Job], quiet: bool) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(
        Some(jobs.iter().map(|j| j.bytes).sum()),
        ProgressDrawTarget::stderr_with_hz(10),
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:30} {binary_bytes}/{binary_total_bytes} {msg} {binary_bytes_per_sec} ETA {eta}",
        )
        .expect("the template is valid"),
    );
    bar.set_message(format!("0/{} files", jobs.len()));
    bar
}

/// The results of a run, in input order (`None`: the job never started, the run was interrupted).
pub struct Results<'j> {
    jobs: &'j [Job],
    outcomes: Vec<Option<Outcome>>,
}

/// The cores a file's work may keep busy (its decoding threads, a rewrite's writing thread): the run's
/// cores (`-j`) shared among the files done at once. 0 until a run sets it: then all the cores.
static CORES_PER_INPUT: AtomicUsize = AtomicUsize::new(0);

/// The cores one input's work may keep busy: 1 means everything on the thread that reads it.
pub fn cores_per_input() -> usize {
    match CORES_PER_INPUT.load(Ordering::Relaxed) {
        0 => all_cores(),
        n => n,
    }
}

fn share_cores(cores: usize, inputs_at_once: usize) {
    CORES_PER_INPUT.store((cores / inputs_at_once.max(1)).max(1), Ordering::Relaxed);
}

/// Runs `work` over `jobs` on up to `settings.cores` threads, a file each; standard output in input order.
/// At most twice as many jobs as workers are done or running ahead of the oldest unfinished one, so memory
/// stays that of a few files whatever their number.
pub fn run<'j, F>(jobs: &'j [Job], settings: &Settings<'_>, work: F) -> Results<'j>
where
    F: Fn(&Job, &mut JobIo<'_>) -> Outcome + Sync,
{
    let workers = settings.cores.min(jobs.len()).max(1);
    if workers == 1 {
        return run_in_order(jobs, settings, work);
    }
    // The files done at once share the cores.
    share_cores(settings.cores, workers);
    catch_interrupts();
    let bar = progress_bar(jobs, settings.quiet);
    let window = workers * 2;
    // The next job to claim, and how many jobs' outputs have been written.
    let claims = Mutex::new((0usize, 0usize));
    let written = Condvar::new();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; jobs.len()];
    let mut stdout = StdoutWriter { closed: false };
    std::thread::scope(|scope| {
        let (done, finished) = mpsc::channel::<(usize, Outcome, Spool)>();
        for _ in 0..workers {
            let done = done.clone();
            let (claims, written, bar, work) = (&claims, &written, &bar, &work);
            scope.spawn(move || {
                loop {
                    let index = {
                        let mut c = claims.lock().unwrap_or_else(|e| e.into_inner());
                        while c.0 < jobs.len() && c.0 >= c.1 + window && !stopped() {
                            c = written
                                .wait_timeout(c, Duration::from_millis(100))
                                .unwrap_or_else(|e| e.into_inner())
                                .0;
                        }
                        if c.0 >= jobs.len() || stopped() {
                            break;
                        }
                        c.0 += 1;
                        c.0 - 1
                    };
                    let job = &jobs[index];
                    let mut spool = Spool::new();
                    let mut io = JobIo {
                        stdout: &mut spool,
                        progress: Progress {
                            bar,
                            told: 0,
                            size: job.bytes,
                        },
                    };
                    let outcome = work(job, &mut io);
                    io.progress.done();
                    if done.send((index, outcome, spool)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        let mut pending = BTreeMap::new();
        let mut next = 0;
        for (index, outcome, spool) in finished {
            pending.insert(index, (outcome, spool));
            while let Some((outcome, spool)) = pending.remove(&next) {
                stdout.write_all_or_close(|out| spool.write_to(out));
                outcomes[next] = Some(outcome);
                next += 1;
                bar.set_message(format!("{next}/{} files", jobs.len()));
                claims.lock().unwrap_or_else(|e| e.into_inner()).1 = next;
                written.notify_all();
            }
        }
        // Jobs finished after an interrupted one that never ran: kept for the summary.
        for (index, (outcome, _)) in pending {
            outcomes[index] = Some(outcome);
        }
    });
    bar.finish_and_clear();
    Results { jobs, outcomes }
}

/// Runs `work` over `jobs` one after the other on this thread, writing standard output as it comes: for
/// work that carries state from one file to the next, or cannot move to another thread.
pub fn run_in_order<'j, F>(jobs: &'j [Job], settings: &Settings<'_>, mut work: F) -> Results<'j>
where
    F: FnMut(&Job, &mut JobIo<'_>) -> Outcome,
{
    // One file at a time: it has every core of the run.
    share_cores(settings.cores, 1);
    catch_interrupts();
    let bar = progress_bar(jobs, settings.quiet);
    let mut stdout = StdoutWriter { closed: false };
    let mut outcomes = vec![None; jobs.len()];
    for (index, job) in jobs.iter().enumerate() {
        if stopped() {
            break;
        }
        let mut io = JobIo {
            stdout: &mut stdout,
            progress: Progress {
                bar: &bar,
                told: 0,
                size: job.bytes,
            },
        };
        let outcome = work(job, &mut io);
        io.progress.done();
        bar.set_message(format!("{}/{} files", index + 1, jobs.len()));
        outcomes[index] = Some(outcome);
    }
    bar.finish_and_clear();
    Results { jobs, outcomes }
}

impl Results<'_> {
    /// Prints the report (the one file's, or the summary table and the failures) on standard error and
    /// returns the exit status: 0 when every file succeeded, 1 when one failed, 130 when interrupted.
    pub fn finish(&self, settings: &Settings<'_>) -> ExitCode {
        let who = settings.who;
        let failed = self
            .outcomes
            .iter()
            .flatten()
            .filter(|o| o.failure.is_some())
            .count();
        match settings.report {
            Report::Detail => {
                for outcome in self.outcomes.iter().flatten() {
                    if !outcome.detail.is_empty() {
                        eprintln!("{}", outcome.detail.trim_end());
                    }
                    if let Some(f) = &outcome.failure {
                        eprintln!("{who}: {f}");
                    }
                }
            }
            Report::Table => {
                if !settings.quiet {
                    eprint!("{}", self.table());
                }
                for f in self
                    .outcomes
                    .iter()
                    .flatten()
                    .filter_map(|o| o.failure.as_ref())
                {
                    eprintln!("{who}: {f}");
                }
            }
        }
        if interrupted() {
            let done = self
                .outcomes
                .iter()
                .flatten()
                .filter(|o| !o.interrupted)
                .count();
            eprintln!(
                "{who}: interrupted: {done} of {} files done, their outputs complete; no other output written",
                self.jobs.len()
            );
            ExitCode::from(130)
        } else if self.outcomes.iter().flatten().any(|o| o.bad_arguments) {
            ExitCode::from(2)
        } else if failed > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        }
    }

    /// The summary: a row a file (packets, the command's counts, damaged, result), then the totals.
    pub fn table(&self) -> String {
        let labels: Vec<&str> = self
            .outcomes
            .iter()
            .flatten()
            .find(|o| !o.counts.is_empty())
            .map(|o| o.counts.iter().map(|c| c.0).collect())
            .unwrap_or_default();
        let damage = self.outcomes.iter().flatten().any(|o| o.damaged.is_some());
        let mut header = vec!["file".to_string(), "packets".to_string()];
        header.extend(labels.iter().map(|l| l.to_string()));
        if damage {
            header.push("damaged".into());
        }
        header.push("result".into());
        let columns = header.len() - 2;
        let mut rows = vec![header];
        let mut totals = vec![0u64; columns];
        let (mut ok, mut failed) = (0, 0);
        for (job, outcome) in self.jobs.iter().zip(&self.outcomes) {
            let mut row = vec![job.name.clone()];
            match outcome {
                None => {
                    row.extend(std::iter::repeat_n("-".to_string(), columns));
                    row.push("not run".into());
                }
                Some(o) => {
                    let mut values = vec![o.packets];
                    for label in &labels {
                        values.push(o.counts.iter().find(|c| c.0 == *label).map_or(0, |c| c.1));
                    }
                    if damage {
                        values.push(o.damaged.unwrap_or(0));
                    }
                    for (t, v) in totals.iter_mut().zip(&values) {
                        *t += v;
                    }
                    row.extend(values.iter().map(u64::to_string));
                    row.push(if o.failure.is_some() {
                        failed += 1;
                        "failed".into()
                    } else if o.interrupted {
                        "interrupted".into()
                    } else {
                        ok += 1;
                        "ok".into()
                    });
                }
            }
            rows.push(row);
        }
        let mut total = vec![format!("total: {} files", self.jobs.len())];
        total.extend(totals.iter().map(u64::to_string));
        total.push(format!("{ok} ok, {failed} failed"));
        rows.push(total);
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut text = String::new();
        for row in &rows {
            for (c, cell) in row.iter().enumerate() {
                let pad = widths[c] - cell.chars().count();
                if c > 0 {
                    text.push_str("  ");
                }
                // Names and results to the left, numbers to the right.
                if c == 0 || c == row.len() - 1 {
                    text.push_str(cell);
                    if c < row.len() - 1 {
                        text.extend(std::iter::repeat_n(' ', pad));
                    }
                } else {
                    text.extend(std::iter::repeat_n(' ', pad));
                    text.push_str(cell);
                }
            }
            text.push('\n');
        }
        text
    }
}

/// Whether `path` ends in one of [`CAPTURE_EXTENSIONS`] (any case), alone or followed by a compression's
/// (`a.pcap.gz`, `b.pcapng.zst`).
fn is_capture_name(path: &Path) -> bool {
    let has_capture_extension = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| CAPTURE_EXTENSIONS.iter().any(|c| c.eq_ignore_ascii_case(e)))
    };
    has_capture_extension(path) || has_capture_extension(&without_compression(path))
}

/// `path` without a compression's extension (`a.pcap.gz` → `a.pcap`): the name its output is given after,
/// since what a command writes is not compressed.
fn without_compression(path: &Path) -> PathBuf {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if Compression::of_extension(e).is_some() => path.with_extension(""),
        _ => path.to_path_buf(),
    }
}

/// The captures under `dir` (sorted by name, subdirectories walked, `skip` left out), each with its path
/// relative to `dir`.
fn walk(
    dir: &Path,
    skip: Option<&Path>,
    found: &mut Vec<(PathBuf, PathBuf)>,
    relative: &Path,
) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut entries: Vec<_> = entries
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let rel = relative.join(entry.file_name());
        let meta = fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.is_dir() {
            // Symbolic links to directories are not followed (no loops); the output directory is not read.
            let link = entry.file_type().is_ok_and(|t| t.is_symlink());
            let is_skip = skip.is_some_and(|s| fs::canonicalize(&path).is_ok_and(|p| p == s));
            if !link && !is_skip {
                walk(&path, skip, found, &rel)?;
            }
        } else if meta.is_file() && is_capture_name(&path) {
            found.push((path, rel));
        }
    }
    Ok(())
}

/// The jobs of `inputs` (files as they are, directories walked for captures) writing into `out_dir` (each
/// output at its input's relative path there — a file's name, a directory's name then the path under it —
/// as `name_output` renames it), or to standard output without one. Refused before anything runs: a
/// directory holding no capture, standard input with `out_dir`, two inputs writing one output, and an output
/// that is one of the inputs.
pub fn plan(
    inputs: &[PathBuf],
    out_dir: Option<&Path>,
    name_output: impl Fn(&Path) -> PathBuf,
) -> Result<Vec<Job>, String> {
    let skip = out_dir.and_then(|d| fs::canonicalize(d).ok());
    let mut jobs = Vec::new();
    for input in inputs {
        let mut found = Vec::new();
        if input.as_os_str() == "-" {
            if out_dir.is_some() {
                return Err(
                    "standard input (-) has no name to give its output under -o DIR".into(),
                );
            }
            found.push((input.clone(), input.clone()));
        } else if input.is_dir() {
            let base = fs::canonicalize(input)
                .ok()
                .and_then(|p| p.file_name().map(PathBuf::from))
                .unwrap_or_default();
            walk(input, skip.as_deref(), &mut found, &base)?;
            if found.is_empty() {
                return Err(format!(
                    "{}: no capture in this directory (looked for {})",
                    input.display(),
                    CAPTURE_EXTENSIONS.map(|e| format!("*.{e}")).join(", ")
                        + ", each also compressed (.gz, .zst)"
                ));
            }
        } else {
            let name = input
                .file_name()
                .map(PathBuf::from)
                .unwrap_or_else(|| input.clone());
            found.push((input.clone(), name));
        }
        for (path, rel) in found {
            let output = match out_dir {
                Some(dir) => Destination::File(dir.join(name_output(&without_compression(&rel)))),
                None => Destination::Stdout,
            };
            jobs.push(Job {
                make_directory: out_dir.is_some(),
                ..Job::new(path, output)
            });
        }
    }
    refuse_collisions(&jobs)?;
    Ok(jobs)
}

/// Refuses two jobs writing one file, and an output that is an input (same device and inode: links and
/// other spellings too).
pub fn refuse_collisions(jobs: &[Job]) -> Result<(), String> {
    let identity = |p: &Path| fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
    let inputs: HashMap<(u64, u64), &Job> = jobs
        .iter()
        .filter_map(|j| identity(&j.input).map(|id| (id, j)))
        .collect();
    let mut outputs: HashMap<&Path, &Job> = HashMap::new();
    let mut seen_inputs = HashSet::new();
    for job in jobs {
        if let Some(id) = identity(&job.input)
            && !seen_inputs.insert(id)
        {
            return Err(format!("{}: given twice", job.name));
        }
        let Some(out) = job.output_file() else {
            continue;
        };
        if let Some(other) = outputs.insert(out, job) {
            return Err(format!(
                "{} and {} would both be written to {}",
                other.name,
                job.name,
                out.display()
            ));
        }
        if let Some(input) = identity(out).and_then(|id| inputs.get(&id)) {
            return Err(format!(
                "refusing to write {}: it is the input {} (an input is never modified)",
                out.display(),
                input.name
            ));
        }
    }
    Ok(())
}

/// Creates the directory an output goes into.
pub fn create_parent(path: &Path) -> Result<(), String> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => {
            fs::create_dir_all(p).map_err(|e| format!("cannot create {}: {e}", p.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_names() {
        assert!(is_capture_name(Path::new("a/b.pcap")));
        assert!(is_capture_name(Path::new("b.PCAPNG")));
        assert!(is_capture_name(Path::new("b.cap")));
        assert!(!is_capture_name(Path::new("b.txt")));
        assert!(!is_capture_name(Path::new("pcap")));
        assert!(is_capture_name(Path::new("a/b.pcap.gz")));
        assert!(is_capture_name(Path::new("b.pcapng.ZST")));
        assert!(!is_capture_name(Path::new("b.gz")));
        assert!(!is_capture_name(Path::new("b.txt.gz")));
        assert_eq!(
            without_compression(Path::new("d/b.pcap.gz")),
            Path::new("d/b.pcap")
        );
        assert_eq!(
            without_compression(Path::new("d/b.pcap")),
            Path::new("d/b.pcap")
        );
    }

    #[test]
    fn spool_keeps_order_across_its_file() {
        let mut spool = Spool::new();
        let chunk: Vec<u8> = (0..=255u8).cycle().take(SPOOL_MEMORY / 3 + 7).collect();
        let mut expected = Vec::new();
        for _ in 0..5 {
            spool.write_all(&chunk).unwrap();
            expected.extend_from_slice(&chunk);
        }
        assert!(spool.file.is_some());
        let mut out = Vec::new();
        spool.write_to(&mut out).unwrap();
        assert_eq!(out, expected);
    }
}
