//! The captures commands read: a file (read to the length it had when opened) or, for `-`, standard input.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use vxscope_capture::CaptureReader;

/// A capture being read, of a file or of standard input.
pub type Capture = CaptureReader<Box<dyn Read + Send>>;

/// Opens the capture at `path` (`-`: standard input) and reads its header; an error names the file.
pub fn open_capture(path: &Path) -> Result<Capture, String> {
    let name = path.display();
    let reader = if path.as_os_str() == "-" {
        CaptureReader::from_stream(std::io::stdin())
    } else {
        CaptureReader::from_file(File::open(path).map_err(|e| format!("{name}: {e}"))?)
    };
    reader.map_err(|e| format!("{name}: {e}"))
}
