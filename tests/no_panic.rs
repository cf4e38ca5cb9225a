//! Every capture of the repository (and every one of `../shared/corpus`, all 830 tcpdump test files among
//! them, when present) through the reader, the dissector under each of its readings, and the three renderers:
//! nothing panics, every field and note lies inside its frame, every JSON line parses.
//!
//! Each frame is also dissected as every other link type vxscope decodes: bytes meant for one decoder are
//! hostile input for the others.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use vxscope_capture::CaptureReader;
use vxscope_dissector::render::json::{FrameInfo, JsonWriter};
use vxscope_dissector::render::{NativeView, summary, tree};
use vxscope_dissector::{Config, Dissection, Dissector, LinkType};
use vxscope_tests::{captures_under, root, shared_corpus};

fn configs() -> Vec<Config> {
    let otv = Config {
        decode_8472_as_otv: true,
        ..Config::default()
    };
    let gbp = Config {
        gbp: true,
        ..Config::default()
    };
    vec![Config::default(), otv, gbp, every_port_vxlan()]
}

/// Every port VXLAN: whatever UDP carries is read as VXLAN.
fn every_port_vxlan() -> Config {
    Config {
        vxlan_ports: (0..=u16::MAX).collect(),
        ..Config::default()
    }
}

struct Checker {
    dissectors: Vec<Dissector>,
    d_out: Vec<u8>,
    json: JsonWriter,
    frames: u64,
}

impl Checker {
    fn new(configs: Vec<Config>) -> Checker {
        Checker {
            dissectors: configs.into_iter().map(Dissector::new).collect(),
            d_out: Vec::new(),
            json: JsonWriter::new(),
            frames: 0,
        }
    }

    fn frame(&mut self, where_: &str, link: LinkType, data: &[u8], orig_len: u32, all_links: bool) {
        let links: Vec<LinkType> = if all_links {
            LinkType::DECODED.to_vec()
        } else {
            vec![link]
        };
        for dissector in &self.dissectors {
            for &l in &links {
                let mut d = Dissection::new();
                dissector.dissect(l, data, orig_len, &mut d);
                for f in d.fields() {
                    assert!(
                        f.range().end <= data.len(),
                        "{where_} as {l}: field {:?} @{}+{} past the {}-byte frame",
                        f.id,
                        f.offset,
                        f.len,
                        data.len()
                    );
                }
                for layer in d.layers() {
                    assert!(
                        (layer.offset + layer.len) as usize <= data.len(),
                        "{where_} as {l}: layer {:?} past the end",
                        layer.proto
                    );
                }
                for n in d.notes() {
                    assert!(
                        (n.offset + n.len) as usize <= data.len(),
                        "{where_} as {l}: note {:?} past the end",
                        n.code
                    );
                }
                let view = NativeView {
                    dissection: &d,
                    frame: data,
                };
                self.d_out.clear();
                summary::write(&mut self.d_out, &d, data);
                assert!(std::str::from_utf8(&self.d_out).is_ok());
                self.d_out.clear();
                tree::write(&mut self.d_out, &view);
                assert!(std::str::from_utf8(&self.d_out).is_ok());
                self.d_out.clear();
                let info = FrameInfo {
                    number: 1,
                    ts_sec: 0,
                    ts_nsec: 0,
                    caplen: data.len() as u32,
                    len: orig_len,
                    file: Some(where_),
                };
                self.json.write_frame(&mut self.d_out, &info, &view);
                if let Err(e) = serde_json::from_slice::<serde_json::Value>(&self.d_out) {
                    panic!(
                        "{where_} as {l}: invalid JSON ({e}): {}",
                        String::from_utf8_lossy(&self.d_out)
                    );
                }
            }
        }
        self.frames += 1;
    }

    fn capture(&mut self, path: &PathBuf, all_links: bool) -> Result<(), String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let mut reader = CaptureReader::new(BufReader::new(file)).map_err(|e| e.to_string())?;
        while let Some(p) = reader.next_packet().map_err(|e| e.to_string())? {
            let where_ = format!("{} frame {}", path.display(), p.number);
            self.frame(&where_, p.link_type, p.data, p.orig_len, all_links);
        }
        Ok(())
    }
}

#[test]
fn repository_captures_never_panic() {
    let mut captures = captures_under(&root().join("samples"));
    captures.extend(captures_under(&root().join("tests/data/corpus")));
    let mut c = Checker::new(configs());
    for path in &captures {
        // The repository's captures are whole: each must read to its end.
        c.capture(path, true)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    assert!(c.frames > 300, "{} frames", c.frames);
}

#[test]
fn shared_corpus_never_panics() {
    let Some(corpus) = shared_corpus() else {
        eprintln!("../shared/corpus is absent: only the repository's captures were checked");
        return;
    };
    let captures = captures_under(&corpus);
    // The default reading, and VXLAN on every port (the most hostile one).
    let mut c = Checker::new(vec![Config::default(), every_port_vxlan()]);
    let mut damaged = Vec::new();
    for path in &captures {
        // Frames of a damaged file up to the damage are checked; the damage itself is the reader's to report.
        if let Err(e) = c.capture(path, false) {
            damaged.push(format!("{}: {e}", path.display()));
        }
    }
    eprintln!(
        "{} captures, {} frames, {} stopped by damage",
        captures.len(),
        c.frames,
        damaged.len()
    );
    for d in &damaged {
        eprintln!("    {d}");
    }
    assert!(captures.len() >= 850, "{} captures", captures.len());
}
