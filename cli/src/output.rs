//! Standard output (or a job's output in a batch run), written in large blocks; a closed pipe (`| head`) ends
//! the run quietly.

use std::io::{self, Write};

/// Output is flushed whenever this much is buffered.
const FLUSH_AT: usize = 256 * 1024;

pub struct Output<'w> {
    pub buf: Vec<u8>,
    target: Target<'w>,
    closed: bool,
    /// The first error writing to a writer other than standard output.
    error: Option<io::Error>,
}

enum Target<'w> {
    Stdout(io::Stdout),
    Writer(&'w mut dyn Write),
}

impl Output<'static> {
    /// Standard output.
    pub fn new() -> Output<'static> {
        Output::with_target(Target::Stdout(io::stdout()))
    }
}

impl<'w> Output<'w> {
    /// Into `writer` (a batch job's standard output, or its output file).
    pub fn to(writer: &'w mut dyn Write) -> Output<'w> {
        Output::with_target(Target::Writer(writer))
    }

    fn with_target(target: Target<'w>) -> Output<'w> {
        Output {
            buf: Vec::with_capacity(FLUSH_AT + 64 * 1024),
            target,
            closed: false,
            error: None,
        }
    }

    /// Flushes if enough is buffered. Returns false once the reader has gone away (or the writer failed).
    pub fn maybe_flush(&mut self) -> bool {
        if self.buf.len() >= FLUSH_AT {
            self.flush();
        }
        !self.closed
    }

    pub fn flush(&mut self) {
        if self.closed {
            self.buf.clear();
            return;
        }
        let result = match &mut self.target {
            Target::Stdout(stdout) => {
                let mut lock = stdout.lock();
                lock.write_all(&self.buf).and_then(|_| lock.flush())
            }
            Target::Writer(w) => w.write_all(&self.buf).and_then(|_| w.flush()),
        };
        if let Err(e) = result {
            match self.target {
                Target::Stdout(_) if e.kind() != io::ErrorKind::BrokenPipe => {
                    eprintln!("vxscope: cannot write output: {e}");
                }
                Target::Stdout(_) => {}
                Target::Writer(_) => self.error = Some(e),
            }
            self.closed = true;
        }
        self.buf.clear();
    }

    /// Flushes, and returns the first error writing to the writer (standard output's are handled here).
    pub fn finish(&mut self) -> io::Result<()> {
        self.flush();
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}
