//! Live capture for `vxscope dissect -i IFACE`: packets read from a network interface with libpcap (the `pcap`
//! crate), as a [`FrameSource`] of the same frame loop a capture file feeds, so every option of `dissect` applies.
//! `-f` sets a BPF filter (tcpdump's syntax); `-w FILE` writes each packet as it is read (a pcap file, put in
//! place when the capture ends). SIGINT (Ctrl-C) and SIGTERM end the capture cleanly: the frames read are
//! printed, then the summary if asked, and the file written.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use vxscope_capture::{CaptureWriter, Timestamp};
use vxscope_dissector::LinkType;
use vxscope_rewriter::output::AtomicFile;

use crate::frames::{Frame, FrameSource};

/// How long to wait for a packet before looking at [`STOP`] again, in milliseconds.
const POLL_MS: i32 = 100;
/// Bytes kept of each packet: all of it, as tcpdump does by default.
const SNAPLEN: u32 = 262_144;

/// Set by SIGINT and SIGTERM: the capture ends before the next packet.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// Makes SIGINT and SIGTERM end the capture rather than the process. Without `SA_RESTART`, the wait for a
/// packet returns when the signal comes.
fn catch_signals() {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe; the sigaction structure is
    // initialised (zeroed, then its mask emptied) before use.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as *const () as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        for signal in [libc::SIGINT, libc::SIGTERM] {
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// The file `-w` writes: a pcap file of the interface's link type, in place once the capture ends.
struct Recording {
    writer: CaptureWriter<BufWriter<File>>,
    file: AtomicFile,
}

/// A live capture on one interface.
pub struct LiveCapture {
    interface: String,
    capture: pcap::Capture<pcap::Active>,
    link_type: LinkType,
    number: u64,
    recording: Option<Recording>,
    /// The packet being handed on: libpcap's buffer is only good until its next read, and the wait for a packet
    /// loops, so it is copied here (one buffer, reused).
    packet: Vec<u8>,
}

/// Why a capture could not start, worded for the command line.
fn open_error(interface: &str, e: pcap::Error) -> String {
    let message = match &e {
        pcap::Error::PcapError(m) => m.clone(),
        other => other.to_string(),
    };
    let lower = message.to_lowercase();
    if lower.contains("permission") || lower.contains("not permitted") {
        format!(
            "{interface}: permission denied: live capture needs root or the CAP_NET_RAW capability (setcap cap_net_raw+ep on the binary): {message}"
        )
    } else {
        format!("{interface}: cannot capture: {message}")
    }
}

impl LiveCapture {
    /// Opens `interface` (`any`: all of them, in Linux cooked capture), sets `filter`, and starts writing to
    /// `write` if asked. Errors name the interface (no such interface, permission denied) or the filter.
    pub fn open(
        interface: &str,
        filter: Option<&str>,
        write: Option<&Path>,
    ) -> Result<Self, String> {
        if interface != "any" {
            let name = std::ffi::CString::new(interface)
                .map_err(|_| format!("{interface:?}: not an interface name"))?;
            // SAFETY: `name` is a NUL-terminated string that outlives the call.
            if unsafe { libc::if_nametoindex(name.as_ptr()) } == 0 {
                return Err(format!(
                    "{interface}: no such interface (`ip link` lists them; `any` captures on all)"
                ));
            }
        }
        let mut capture = pcap::Capture::from_device(interface)
            .and_then(|c| {
                c.snaplen(SNAPLEN as i32)
                    .timeout(POLL_MS)
                    .immediate_mode(true)
                    .precision(pcap::Precision::Micro)
                    .open()
            })
            // Non-blocking: the wait for packets is a poll(2) of our own, which a signal or POLL_MS ends (a read
            // inside libpcap may block in its own poll with no end).
            .and_then(|c| c.setnonblock())
            .map_err(|e| open_error(interface, e))?;
        if let Some(filter) = filter {
            capture.filter(filter, true).map_err(|e| {
                let message = match e {
                    pcap::Error::PcapError(m) => m,
                    other => other.to_string(),
                };
                format!("bad filter {filter:?}: {message}")
            })?;
        }
        let link_type = LinkType(capture.get_datalink().0 as u32);
        let recording = match write {
            Some(path) => {
                let name = path.display();
                let mut file = AtomicFile::create(path).map_err(|e| format!("{name}: {e}"))?;
                let clone = file
                    .file()
                    .try_clone()
                    .map_err(|e| format!("{name}: {e}"))?;
                let writer = CaptureWriter::pcap(BufWriter::new(clone), link_type, SNAPLEN, false)
                    .map_err(|e| format!("{name}: {e}"))?;
                Some(Recording { writer, file })
            }
            None => None,
        };
        catch_signals();
        eprintln!(
            "vxscope: listening on {interface}, link type {link_type}{}",
            filter
                .map(|f| format!(", filter {f:?}"))
                .unwrap_or_default()
        );
        Ok(LiveCapture {
            interface: interface.to_string(),
            capture,
            link_type,
            number: 0,
            recording,
            packet: Vec::with_capacity(SNAPLEN as usize),
        })
    }

    /// Ends the capture: puts the `-w` file in place and says how many packets were read (and how many the
    /// kernel dropped), as tcpdump does.
    pub fn finish(mut self) -> Result<(), String> {
        let dropped = self.capture.stats().map(|s| s.dropped).unwrap_or(0);
        eprintln!(
            "vxscope: {} packet(s) read on {}, {dropped} dropped by the kernel",
            self.number, self.interface
        );
        if let Some(Recording { writer, file }) = self.recording.take() {
            let name = file.temporary().display().to_string();
            let mut out = writer.into_inner();
            out.flush().map_err(|e| format!("{name}: {e}"))?;
            drop(out);
            file.commit().map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(())
    }
}

impl LiveCapture {
    /// Waits until a packet may be there, a signal comes, or POLL_MS pass.
    fn wait(&self) {
        use std::os::unix::io::AsRawFd;
        let mut fd = libc::pollfd {
            fd: self.capture.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, for the duration of the call. An error (EINTR) is a wake-up like any other.
        unsafe { libc::poll(&mut fd, 1, POLL_MS) };
    }
}

impl FrameSource for LiveCapture {
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, String> {
        let (ts, orig_len) = loop {
            if STOP.load(Ordering::Relaxed) {
                return Ok(None);
            }
            match self.capture.next_packet() {
                Ok(packet) => {
                    let ts = Timestamp {
                        sec: packet.header.ts.tv_sec,
                        nsec: (packet.header.ts.tv_usec as u32).min(999_999) * 1000,
                    };
                    self.packet.clear();
                    self.packet.extend_from_slice(packet.data);
                    break (ts, packet.header.len.max(packet.data.len() as u32));
                }
                Err(pcap::Error::TimeoutExpired) => self.wait(),
                // A signal interrupting the wait is the end the user asked for, not a failure.
                Err(_) if STOP.load(Ordering::Relaxed) => return Ok(None),
                Err(e) => {
                    return Err(format!(
                        "capture failed after {} packet(s): {e}",
                        self.number
                    ));
                }
            }
        };
        self.number += 1;
        if let Some(r) = &mut self.recording {
            r.writer
                .write_packet(0, ts, orig_len, &self.packet, &[])
                .map_err(|e| format!("writing {}: {e}", r.file.temporary().display()))?;
        }
        Ok(Some(Frame {
            number: self.number,
            offset: 0,
            link_type: self.link_type,
            ts,
            ts_digits: 6,
            orig_len,
            data: &self.packet,
        }))
    }
}
