//! The output file: written to a temporary file beside its destination and renamed into place at the end, so
//! that the destination holds either its old content or the whole new one, and never the input.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

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

    /// Renames the temporary file to the destination (replacing what was there).
    pub fn commit(mut self) -> io::Result<()> {
        drop(self.file.take());
        fs::rename(&self.temporary, &self.destination)?;
        self.temporary = PathBuf::new();
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.temporary.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temporary);
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
