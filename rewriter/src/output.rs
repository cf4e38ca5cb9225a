//! The output file: written to a temporary file beside its destination and put in its place at the end, so
//! that the destination holds either its old content or the whole new one, and never the input. Written by a
//! thread of its own ([`BackgroundWriter`]), so that the kernel's copying of the output overlaps the rewriting.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

/// Whether two paths name the same file (same device and inode: also through links or another spelling).
/// A path that does not exist names no file.
pub fn same_file(a: &Path, b: &Path) -> io::Result<bool> {
    let meta = |p: &Path| match fs::metadata(p) {
        Ok(m) => Ok(Some((m.dev(), m.ino()))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    };
    Ok(match (meta(a)?, meta(b)?) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    })
}

/// Whether the open file `input` is the file at `path`.
pub fn is_file_at(input: &File, path: &Path) -> io::Result<bool> {
    let m = input.metadata()?;
    match fs::metadata(path) {
        Ok(o) => Ok(m.dev() == o.dev() && m.ino() == o.ino()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// A file being written under a temporary name beside its destination. [`commit`](Self::commit) renames it
/// into place; dropped without a commit, it is removed.
pub struct AtomicFile {
    file: Option<File>,
    temporary: PathBuf,
    destination: PathBuf,
}

impl AtomicFile {
    /// Creates the temporary file in the destination's directory (so that the rename stays on one file
    /// system).
    pub fn create(destination: &Path) -> io::Result<AtomicFile> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = destination.file_name().ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "the output path does not name a file",
            )
        })?;
        if destination.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "the output path is a directory",
            ));
        }
        let dir = match destination.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let mut tmp_name = std::ffi::OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(format!(".vxscope-{}-{n}.tmp", std::process::id()));
            let temporary = dir.join(tmp_name);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temporary)
            {
                Ok(file) => {
                    return Ok(AtomicFile {
                        file: Some(file),
                        temporary,
                        destination: destination.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    pub fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("open until committed")
    }

    /// The temporary file's path.
    pub fn temporary(&self) -> &Path {
        &self.temporary
    }

    /// Puts the temporary file in the destination's place (replacing what was there), in one step.
    ///
    /// A destination that exists is exchanged with the temporary file, whose name then holds the old content
    /// until it is removed: renaming over an existing file would make ext4 write the new file out to the disk
    /// first (its `auto_da_alloc` safeguard for programs that do not call `fsync`), which costs a rewrite more
    /// than all its other work. Neither way is durable across a crash without `fsync`, as with `cp`.
    pub fn commit(mut self) -> io::Result<()> {
        drop(self.file.take());
        if self
            .destination
            .symlink_metadata()
            .is_ok_and(|m| m.is_dir())
        {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "the output path is a directory",
            ));
        }
        let exchanged = exchange(&self.temporary, &self.destination)?;
        if !exchanged {
            fs::rename(&self.temporary, &self.destination)?;
        }
        let replaced = std::mem::take(&mut self.temporary);
        if exchanged {
            fs::remove_file(&replaced).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "{} was written, but its old content, now at {}, could not be removed: {e}",
                        self.destination.display(),
                        replaced.display()
                    ),
                )
            })?;
        }
        Ok(())
    }
}

/// Exchanges two paths atomically (`renameat2` with `RENAME_EXCHANGE`). `Ok(false)` when that cannot be
/// done: `b` does not exist, or the system or file system does not support exchanges.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<bool> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a path holds a NUL byte"))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::ENOENT | libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP) => Ok(false),
        _ => Err(e),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<bool> {
    Ok(false)
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.temporary.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temporary);
        }
    }
}

/// A writer that hands full buffers to a thread which writes them to `W`: the caller fills one buffer while
/// the thread writes the previous ones. Memory: `buffers` buffers of `capacity` bytes. Made with
/// [`inline`](Self::inline), it writes each full buffer itself, on the caller's thread.
pub struct BackgroundWriter<W: Write + Send + 'static> {
    buf: Vec<u8>,
    capacity: usize,
    /// Where full buffers go when there is no thread.
    inline: Option<W>,
    full: Option<SyncSender<Vec<u8>>>,
    empty: Receiver<Vec<u8>>,
    thread: Option<JoinHandle<io::Result<W>>>,
}

impl<W: Write + Send + 'static> BackgroundWriter<W> {
    pub fn new(out: W, capacity: usize, buffers: usize) -> Self {
        let buffers = buffers.max(2);
        let (full_tx, full_rx) = sync_channel::<Vec<u8>>(buffers);
        let (empty_tx, empty_rx) = sync_channel::<Vec<u8>>(buffers);
        for _ in 0..buffers - 1 {
            empty_tx
                .send(Vec::with_capacity(capacity))
                .expect("the channel holds every buffer");
        }
        let thread = std::thread::Builder::new()
            .name("vxscope-writer".into())
            .spawn(move || {
                let mut out = out;
                for mut buf in full_rx {
                    out.write_all(&buf)?;
                    buf.clear();
                    // The other side may be gone: then nothing more comes either.
                    let _ = empty_tx.send(buf);
                }
                out.flush()?;
                Ok(out)
            })
            .expect("spawn the writer thread");
        BackgroundWriter {
            buf: Vec::with_capacity(capacity),
            capacity,
            inline: None,
            full: Some(full_tx),
            empty: empty_rx,
            thread: Some(thread),
        }
    }

    /// Buffers of `capacity` bytes written to `out` by the caller's thread, when it fills one: for a run
    /// that keeps to one core.
    pub fn inline(out: W, capacity: usize) -> Self {
        let (_, empty) = sync_channel(0);
        BackgroundWriter {
            buf: Vec::with_capacity(capacity),
            capacity,
            inline: Some(out),
            full: None,
            empty,
            thread: None,
        }
    }

    /// The error that stopped the thread (it ends only on an error until `finish`).
    fn thread_error(&mut self) -> io::Error {
        self.full = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(Err(e))) => e,
            Some(Err(_)) => io::Error::other("the writer thread panicked"),
            _ => io::Error::other("the writer thread has stopped"),
        }
    }

    /// Hands the current buffer to the thread and takes an empty one.
    fn hand_over(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if let Some(out) = &mut self.inline {
            out.write_all(&self.buf)?;
            self.buf.clear();
            return Ok(());
        }
        // The thread returns each buffer it has written: there are `buffers` in all.
        let Ok(spare) = self.empty.recv() else {
            return Err(self.thread_error());
        };
        let full = std::mem::replace(&mut self.buf, spare);
        let sent = self.full.as_ref().map(|tx| tx.send(full));
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(self.thread_error()),
        }
    }

    /// Writes what is buffered, waits for the thread to finish, and returns `W`.
    pub fn finish(mut self) -> io::Result<W> {
        self.hand_over()?;
        if let Some(mut out) = self.inline.take() {
            out.flush()?;
            return Ok(out);
        }
        self.full = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the writer thread panicked")),
            None => Err(io::Error::other("the writer thread has stopped")),
        }
    }
}

impl<W: Write + Send + 'static> Write for BackgroundWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= self.capacity {
            self.hand_over()?;
        }
        Ok(())
    }

    /// Hands over what is buffered (the thread writes it in its turn; [`finish`](Self::finish) waits for it).
    fn flush(&mut self) -> io::Result<()> {
        self.hand_over()
    }
}

impl<W: Write + Send + 'static> Drop for BackgroundWriter<W> {
    fn drop(&mut self) {
        self.full = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("vxscope-output-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn commit_replaces_and_drop_cleans_up() {
        let dir = scratch("commit");
        let dest = dir.join("out.pcap");
        fs::write(&dest, b"old").unwrap();
        let mut f = AtomicFile::create(&dest).unwrap();
        let tmp = f.temporary().to_path_buf();
        assert_eq!(tmp.parent(), Some(dir.as_path()));
        f.file().write_all(b"new").unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"old");
        f.commit().unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        assert!(!tmp.exists());

        let mut f = AtomicFile::create(&dest).unwrap();
        let tmp = f.temporary().to_path_buf();
        f.file().write_all(b"abandoned").unwrap();
        drop(f);
        assert!(!tmp.exists());
        assert_eq!(fs::read(&dest).unwrap(), b"new");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 1);
        assert!(AtomicFile::create(&dir).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn commit_to_a_new_path_and_over_a_link() {
        let dir = scratch("commit-new");
        let dest = dir.join("new.pcap");
        let mut f = AtomicFile::create(&dest).unwrap();
        f.file().write_all(b"first").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"first");
        // A symbolic link at the destination is replaced, as `rename` would; what it pointed to is untouched.
        let target = dir.join("target.pcap");
        fs::write(&target, b"target").unwrap();
        let link = dir.join("link.pcap");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let mut f = AtomicFile::create(&link).unwrap();
        f.file().write_all(b"through the link").unwrap();
        f.commit().unwrap();
        assert!(!link.symlink_metadata().unwrap().is_symlink());
        assert_eq!(fs::read(&link).unwrap(), b"through the link");
        assert_eq!(fs::read(&target).unwrap(), b"target");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 3);
        // A directory made at the destination while the file was written is not replaced.
        let late = dir.join("late");
        let mut f = AtomicFile::create(&late).unwrap();
        let tmp = f.temporary().to_path_buf();
        f.file().write_all(b"late").unwrap();
        fs::create_dir(&late).unwrap();
        assert_eq!(f.commit().unwrap_err().kind(), io::ErrorKind::IsADirectory);
        assert!(late.is_dir() && !tmp.exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_background_writer_keeps_every_byte_in_order() {
        for mut w in [
            BackgroundWriter::new(Vec::new(), 64, 3),
            BackgroundWriter::inline(Vec::new(), 64),
        ] {
            let mut expected = Vec::new();
            for i in 0..1000u32 {
                let chunk = i.to_le_bytes().repeat((i % 7) as usize + 1);
                w.write_all(&chunk).unwrap();
                expected.extend_from_slice(&chunk);
                if i % 100 == 0 {
                    w.flush().unwrap();
                }
            }
            assert_eq!(w.finish().unwrap(), expected);
        }
    }

    #[test]
    fn the_background_writer_reports_errors() {
        #[derive(Debug)]
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        for mut w in [
            BackgroundWriter::new(Full, 16, 2),
            BackgroundWriter::inline(Full, 16),
        ] {
            let mut failed = None;
            for _ in 0..100 {
                if let Err(e) = w.write_all(&[0; 16]) {
                    failed = Some(e);
                    break;
                }
            }
            let e = failed.unwrap_or_else(|| w.finish().unwrap_err());
            assert_eq!(e.kind(), io::ErrorKind::StorageFull);
        }
    }

    #[test]
    fn same_file_through_other_paths() {
        let dir = scratch("same");
        let a = dir.join("a.pcap");
        fs::write(&a, b"x").unwrap();
        fs::hard_link(&a, dir.join("hard.pcap")).unwrap();
        std::os::unix::fs::symlink(&a, dir.join("soft.pcap")).unwrap();
        assert!(same_file(&a, &dir.join("hard.pcap")).unwrap());
        assert!(same_file(&a, &dir.join("soft.pcap")).unwrap());
        assert!(same_file(&a, &dir.join(".").join("a.pcap")).unwrap());
        assert!(!same_file(&a, &dir.join("absent.pcap")).unwrap());
        fs::write(dir.join("b.pcap"), b"x").unwrap();
        assert!(!same_file(&a, &dir.join("b.pcap")).unwrap());
        let f = File::open(&a).unwrap();
        assert!(is_file_at(&f, &dir.join("soft.pcap")).unwrap());
        assert!(!is_file_at(&f, &dir.join("b.pcap")).unwrap());
        fs::remove_dir_all(&dir).unwrap();
    }
}
