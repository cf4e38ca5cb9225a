//! A rewrite restricted to the packets a display filter (`-Y`) selects: the others are left to the `--other`
//! policy, as the packets the rewrite does not concern are.

use vxscope_capture::Packet;
use vxscope_dissector::filter::{Filter, FrameFacts};
use vxscope_dissector::{Dissection, Dissector, LinkType};

use crate::run::{Rewrite, Rewritten, Verdict};

/// `rewrite`, applied only to the packets `filter` passes. The filter reads a full dissection of each packet
/// (the inner frame decoded, flannel annotations added) by `dissector`, the decoding options' own, not the
/// rewrite's outer-headers-only one.
pub struct Selected<'d, R> {
    rewrite: R,
    dissector: &'d Dissector,
    filter: Filter,
    dissection: Dissection<'d>,
    /// Whether the last packet passed the filter (and so was given to the rewrite).
    passed: bool,
}

impl<'d, R: Rewrite> Selected<'d, R> {
    pub fn new(rewrite: R, dissector: &'d Dissector, filter: Filter) -> Self {
        Selected {
            rewrite,
            dissector,
            filter,
            // Every field: a packet left as it is may be converted to Ethernet from this dissection.
            dissection: Dissection::new(),
            passed: false,
        }
    }
}

impl<R: Rewrite> Rewrite for Selected<'_, R> {
    fn rewrite(&mut self, packet: &Packet<'_>, out: &mut Rewritten) -> Verdict {
        self.dissector.dissect(
            packet.link_type,
            packet.data,
            packet.orig_len,
            &mut self.dissection,
        );
        let facts = FrameFacts {
            number: packet.number,
            ts_sec: packet.ts.sec,
            ts_nsec: packet.ts.nsec,
            ts_digits: packet.ts_digits,
            len: packet.orig_len,
            cap_len: packet.data.len() as u32,
        };
        self.passed = self.filter.matches(&self.dissection, packet.data, &facts);
        if self.passed {
            self.rewrite.rewrite(packet, out)
        } else {
            Verdict::Other
        }
    }

    fn dissection(&self) -> &Dissection<'_> {
        if self.passed {
            self.rewrite.dissection()
        } else {
            &self.dissection
        }
    }

    fn output_link_type(&self) -> Option<LinkType> {
        self.rewrite.output_link_type()
    }

    fn growth(&self) -> u32 {
        self.rewrite.growth()
    }

    fn notes(&self) -> Vec<String> {
        self.rewrite.notes()
    }

    fn reassembles_outer_fragments(&self) -> bool {
        self.rewrite.reassembles_outer_fragments()
    }
}
