//! The registry's bit masks are the bit positions the dissector decodes: on every capture of the repository
//! (and of `../shared/corpus` when present), every field with a mask is recorded with the value its own bytes
//! give under that mask, `(bytes & mask) >> shift` (times the row's scale, for the four lengths and offsets
//! counted in units: `ip.hdr_len`, `ip.frag_offset`, `ipv6.fragment.offset`, `tcp.hdr_len`), and every
//! masked row of the registry is met at least once.

use std::collections::BTreeSet;
use std::fs::File;

use vxscope_capture::CaptureReader;
use vxscope_dissector::fields::{FIELDS, FieldId};
use vxscope_dissector::{Config, Dissection, Dissector};
use vxscope_tests::{captures_under, root, shared_corpus};

/// The scale of each row that has one other than 1: the unit of what its bits count.
const SCALED: [(FieldId, u64); 4] = [
    (FieldId::IpHdrLen, 4),
    (FieldId::IpFragOffset, 8),
    (FieldId::Ipv6FragOffset, 8),
    (FieldId::TcpHdrLen, 4),
];

#[test]
fn every_masked_field_is_its_bytes_under_its_mask() {
    for (id, scale) in SCALED {
        assert_eq!(id.def().scale, scale, "{}", id.def().abbrev);
    }
    let unscaled: Vec<&str> = FIELDS
        .iter()
        .filter(|d| d.scale != 1 && !SCALED.iter().any(|(id, _)| id.def().abbrev == d.abbrev))
        .map(|d| d.abbrev)
        .collect();
    assert!(
        unscaled.is_empty(),
        "rows with a scale this test does not list: {unscaled:?}"
    );

    let mut files = captures_under(&root().join("samples"));
    files.extend(captures_under(&root().join("tests").join("data")));
    if let Some(corpus) = shared_corpus() {
        files.extend(captures_under(&corpus));
    }
    assert!(files.len() > 20, "{} captures", files.len());
    let dissectors = [
        Dissector::new(Config::default()),
        Dissector::new(Config {
            gbp: true,
            ..Config::default()
        }),
    ];
    let (mut checked, mut seen) = (0u64, BTreeSet::new());
    for path in &files {
        let Ok(mut reader) = CaptureReader::from_file(File::open(path).unwrap()) else {
            continue; // A capture damaged on purpose (tests/bad_input.rs reads those).
        };
        let mut d = Dissection::new();
        while let Ok(Some(p)) = reader.next_packet() {
            for dissector in &dissectors {
                dissector.dissect(p.link_type, p.data, p.orig_len, &mut d);
                for f in d.fields() {
                    let def = f.id.def();
                    if def.mask == 0 {
                        continue;
                    }
                    let (at, len) = (f.offset as usize, f.len as usize);
                    assert!(
                        (1..=8).contains(&len) && at + len <= p.data.len(),
                        "{} frame {}: {} @{at}+{len}",
                        path.display(),
                        p.number,
                        def.abbrev
                    );
                    let raw = p.data[at..at + len]
                        .iter()
                        .fold(0u64, |acc, &b| acc << 8 | u64::from(b));
                    let expected = ((raw & def.mask) >> def.mask.trailing_zeros()) * def.scale;
                    let recorded = f.value.as_u64();
                    assert_eq!(
                        recorded,
                        Some(expected),
                        "{} frame {}: {} @{at}+{len}: bytes {raw:#x} under mask {:#x} give {expected}, the \
                         dissector recorded {:?}",
                        path.display(),
                        p.number,
                        def.abbrev,
                        def.mask,
                        f.value
                    );
                    checked += 1;
                    seen.insert(f.id.index());
                }
            }
        }
    }
    let unseen: Vec<&str> = FIELDS
        .iter()
        .enumerate()
        .filter(|(i, d)| d.mask != 0 && !seen.contains(i))
        .map(|(_, d)| d.abbrev)
        .collect();
    assert!(
        unseen.is_empty(),
        "masked fields no capture holds, so unchecked: {unseen:?}"
    );
    assert!(checked > 10_000, "{checked} masked fields checked");
}
