//! `strip`: each VXLAN packet becomes the Ethernet frame it carries, with the same timestamp.
//!
//! The frame is the bytes after the VXLAN header up to the end of the UDP datagram (Ethernet padding or a
//! frame check sequence after the datagram belongs to the outer frame). A packet the capture cut keeps what was
//! captured of the frame; its length on the wire is the frame's, from the UDP length. A datagram the underlay
//! split into outer IPv4 fragments is stripped once [`crate::defrag`] has put it back together.

use vxscope_dissector::{Dissection, Dissector, LinkType};

use crate::locate::{self, Found};
use crate::run::{Rewrite, Rewritten, Verdict};
use vxscope_capture::Packet;

/// The strip rewrite. `dissector` must be built with a [`locate::rewrite_config`].
pub struct Strip<'d> {
    dissector: &'d Dissector,
    /// Layers only: all it takes to find the frame inside an Ethernet packet.
    layers: Dissection<'d>,
    /// With the fields: for the outer summary of `annotate`, and for the conversion of packets of other link
    /// types to Ethernet, which reads their link-layer fields.
    fields: Dissection<'d>,
    /// Which of the two holds the last packet's dissection.
    last_has_fields: bool,
    /// Put the outer headers' summary in each stripped packet's comment.
    annotate: bool,
}

impl<'d> Strip<'d> {
    pub fn new(dissector: &'d Dissector, annotate: bool) -> Self {
        Strip {
            dissector,
            layers: Dissection::layers_only(),
            fields: Dissection::unindexed(),
            last_has_fields: false,
            annotate,
        }
    }
}

impl Rewrite for Strip<'_> {
    fn rewrite(&mut self, packet: &Packet<'_>, out: &mut Rewritten) -> Verdict {
        self.last_has_fields = self.annotate || packet.link_type != LinkType::ETHERNET;
        let d = if self.last_has_fields {
            &mut self.fields
        } else {
            &mut self.layers
        };
        self.dissector
            .dissect(packet.link_type, packet.data, packet.orig_len, d);
        let ports = &self.dissector.config().vxlan_ports;
        let site = match locate::find(d, packet.data, ports, packet.orig_len) {
            Found::NotVxlan => return Verdict::Other,
            Found::Damaged(damage) => return Verdict::Damaged(damage),
            Found::Vxlan(site) => site,
        };
        if let Some(damage) = site.strip_damage() {
            return Verdict::Damaged(damage);
        }
        out.link_type = LinkType::ETHERNET;
        out.orig_len = site.inner_wire_len;
        out.input_range = Some(site.inner.clone());
        out.comment.clear();
        if self.annotate {
            locate::write_outer_summary(&mut out.comment, d, &site);
        }
        Verdict::Rewritten
    }

    fn dissection(&self) -> &Dissection<'_> {
        if self.last_has_fields {
            &self.fields
        } else {
            &self.layers
        }
    }

    fn output_link_type(&self) -> Option<LinkType> {
        Some(LinkType::ETHERNET)
    }

    fn reassembles_outer_fragments(&self) -> bool {
        true
    }
}
