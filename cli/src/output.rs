//! Standard output, written in large blocks; a closed pipe (`| head`) ends the run quietly.

use std::io::{self, Write};

/// Output is flushed to stdout whenever this much is buffered.
const FLUSH_AT: usize = 256 * 1024;

pub struct Output {
    pub buf: Vec<u8>,
    stdout: io::Stdout,
    closed: bool,
}

impl Output {
    pub fn new() -> Output {
        Output {
            buf: Vec::with_capacity(FLUSH_AT + 64 * 1024),
            stdout: io::stdout(),
            closed: false,
        }
    }

    /// Flushes if enough is buffered. Returns false once the reader has gone away.
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
        let mut lock = self.stdout.lock();
        if let Err(e) = lock.write_all(&self.buf).and_then(|_| lock.flush()) {
            if e.kind() != io::ErrorKind::BrokenPipe {
                eprintln!("vxscope: cannot write output: {e}");
            }
            self.closed = true;
        }
        self.buf.clear();
    }
}
