//! 10,000 random mutations of the samples (bit flips, byte runs overwritten, truncations, lies in the length
//! fields of record and block headers, splices of two captures), from a fixed seed: each goes in-process
//! through what every command does (`fuzz/src/checks.rs`: the reader streamed and mapped, every frame dissected
//! and rendered in each view, strip, encap and remap whose output must be a valid capture holding every packet),
//! and one in a hundred through the binary's commands: no panic, no signal, status 0 or 1 with a clear error, and
//! every rewrite output a valid capture. `VXSCOPE_MUTATIONS=N` runs N instead.

#[path = "../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

use std::path::PathBuf;
use std::time::Instant;

use vxscope_tests::{captures_under, every_command, root};

/// xorshift64*: the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Where the record or block headers of a capture are (pcap: every 16-byte record header; pcapng: every
/// block), so that a mutation can lie in a length field.
fn headers(bytes: &[u8]) -> Vec<(usize, bool)> {
    if bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
        vxscope_tests::pcapng_block_offsets(bytes)
            .into_iter()
            .map(|o| (o, true))
            .collect()
    } else if bytes.starts_with(&[0xd4, 0xc3, 0xb2, 0xa1])
        || bytes.starts_with(&[0x4d, 0x3c, 0xb2, 0xa1])
    {
        vxscope_tests::pcap_record_offsets(bytes)
            .into_iter()
            .map(|o| (o, false))
            .collect()
    } else {
        Vec::new()
    }
}

/// One mutation of `a` (sometimes spliced with `b`): what kind, and the bytes.
fn mutate(rng: &mut Rng, a: &[u8], b: &[u8]) -> (&'static str, Vec<u8>) {
    let mut m = a.to_vec();
    let kind = rng.below(6);
    let what = match kind {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(m.len());
                m[i] ^= 1 << rng.below(8);
            }
            "bit flips"
        }
        1 => {
            let at = rng.below(m.len());
            let len = (1 + rng.below(32)).min(m.len() - at);
            let byte = [0x00, 0xff, 0x7f, 0x80][rng.below(4)];
            m[at..at + len].fill(byte);
            "byte run"
        }
        2 => {
            m.truncate(rng.below(m.len()));
            "truncation"
        }
        3 | 4 => {
            let hs = headers(&m);
            if hs.is_empty() {
                let i = rng.below(m.len());
                m[i] = m[i].wrapping_add(1);
            } else {
                let (at, pcapng) = hs[rng.below(hs.len())];
                // pcap: caplen (8..12) or orig_len (12..16); pcapng: the block length at either end, or an
                // EPB's captured length (20..24).
                let field = if pcapng {
                    [4, 20, 24][rng.below(3)]
                } else {
                    [8, 12][rng.below(2)]
                };
                let lie: u32 = match rng.below(5) {
                    0 => 0,
                    1 => u32::MAX,
                    2 => 0x0004_0001,
                    3 => rng.next() as u32,
                    _ => {
                        let old = m
                            .get(at + field..at + field + 4)
                            .map_or(0, |s| u32::from_le_bytes(s.try_into().unwrap()));
                        old.wrapping_add(rng.below(9) as u32).wrapping_sub(4)
                    }
                };
                if at + field + 4 <= m.len() {
                    m[at + field..at + field + 4].copy_from_slice(&lie.to_le_bytes());
                }
            }
            "length lie"
        }
        _ => {
            let cut = rng.below(m.len());
            let from = rng.below(b.len());
            m.truncate(cut);
            m.extend_from_slice(&b[from..]);
            "splice"
        }
    };
    (what, m)
}

fn samples() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = captures_under(&root().join("samples"));
    files.extend(captures_under(&root().join("tests/data/corpus")));
    files
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(&f).unwrap();
            (f, bytes)
        })
        .filter(|(_, b)| !b.is_empty() && b.len() <= 256 * 1024)
        .collect()
}

#[test]
fn ten_thousand_mutations_of_the_samples_through_every_command() {
    let samples = samples();
    assert!(samples.len() > 20, "{} samples", samples.len());
    let count: usize = std::env::var("VXSCOPE_MUTATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut rng = Rng(0x1616_1616_1616_1616);
    let dir = std::env::temp_dir().join(format!("vxscope-mutations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let started = Instant::now();
    let mut through_binary = 0;
    for i in 0..count {
        let (name_a, a) = &samples[rng.below(samples.len())];
        let (_, b) = &samples[rng.below(samples.len())];
        let (what, m) = mutate(&mut rng, a, b);
        let variant = rng.next() as u8;
        let result = std::panic::catch_unwind(|| checks::whole_capture(&m, variant, 16));
        if result.is_err() {
            let kept = dir.join(format!("mutation-{i}.pcap"));
            std::fs::write(&kept, &m).unwrap();
            panic!(
                "mutation {i} ({what} of {}) panicked; its bytes: {}",
                name_a.display(),
                kept.display()
            );
        }
        if i % 100 == 0 {
            let path = dir.join("mutated.pcap");
            std::fs::write(&path, &m).unwrap();
            every_command(
                &path,
                &dir,
                &format!("mutation {i} ({what} of {})", name_a.display()),
            );
            through_binary += 1;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "{count} mutations in-process, {through_binary} through the binary, in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
