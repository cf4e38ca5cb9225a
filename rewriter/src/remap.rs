//! `remap`: VXLAN packets moved to another UDP port and VNI, in place; every other byte stays as it was.
//!
//! A port map applies to the destination port and, when it is the same port, to the source port (flannel's
//! source port is a flow hash, left alone unless it happens to be the mapped port). The UDP checksum:
//!
//! - `keep` (default): kept in the state it was. Zero stays zero (no checksum); a checksum offload left
//!   partial (the pseudo-header sum only, which covers neither ports nor VNI) stays as it is; any other value
//!   is updated incrementally (RFC 1624), so a right checksum stays right and a wrong one stays wrong by as
//!   much.
//! - `zero`: set to 0 (no checksum; allowed for tunnels over IPv6 by RFC 6935).
//! - `compute`: computed over the datagram. A datagram the capture cut, or split in IP fragments, cannot be
//!   summed: its checksum is updated incrementally instead, and counted.

use vxscope_dissector::checksum::Status;
use vxscope_dissector::fields::FieldId as F;
use vxscope_dissector::layers::{udp, vxlan};
use vxscope_dissector::value::Value;
use vxscope_dissector::{Dissection, Dissector, LinkType};

use crate::checksum;
use crate::locate::{self, Found, VxlanSite};
use crate::run::{Rewrite, Rewritten, Verdict};
use vxscope_capture::Packet;

/// What to do with the UDP checksum of a remapped packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ChecksumMode {
    #[default]
    Keep,
    Zero,
    Compute,
}

/// The maps of a remap.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Maps {
    pub ports: Vec<(u16, u16)>,
    pub vnis: Vec<(u32, u32)>,
}

impl Maps {
    /// Checks that no port or VNI is mapped twice and that VNIs fit in 24 bits.
    pub fn validate(&self) -> Result<(), String> {
        for (i, (from, _)) in self.ports.iter().enumerate() {
            if self.ports[..i].iter().any(|(f, _)| f == from) {
                return Err(format!("port {from} is mapped twice"));
            }
        }
        for (i, &(from, to)) in self.vnis.iter().enumerate() {
            if from > vxlan::MAX_VNI || to > vxlan::MAX_VNI {
                return Err(format!(
                    "VNI {} is over {} (24 bits)",
                    from.max(to),
                    vxlan::MAX_VNI
                ));
            }
            if self.vnis[..i].iter().any(|(f, _)| *f == from) {
                return Err(format!("VNI {from} is mapped twice"));
            }
        }
        if self.ports.is_empty() && self.vnis.is_empty() {
            return Err("nothing to remap: give --port A:B or --vni A:B".into());
        }
        Ok(())
    }

    /// The same maps the other way round.
    pub fn inverse(&self) -> Maps {
        Maps {
            ports: self.ports.iter().map(|&(a, b)| (b, a)).collect(),
            vnis: self.vnis.iter().map(|&(a, b)| (b, a)).collect(),
        }
    }

    /// The ports VXLAN is read on beside 8472 and 4789: those the port maps move packets from.
    pub fn vxlan_ports(&self) -> Vec<u16> {
        self.ports.iter().map(|&(from, _)| from).collect()
    }

    fn port(&self, port: u16) -> u16 {
        self.ports
            .iter()
            .find(|(from, _)| *from == port)
            .map_or(port, |&(_, to)| to)
    }

    fn vni(&self, vni: u32) -> u32 {
        self.vnis
            .iter()
            .find(|(from, _)| *from == vni)
            .map_or(vni, |&(_, to)| to)
    }
}

/// Counts of what was done to the checksums.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChecksumCounts {
    pub updated: u64,
    pub computed: u64,
    pub zeroed: u64,
    /// Zero (no checksum) or left partial by offload: not changed.
    pub left: u64,
    /// `compute` asked, but the datagram was not captured whole: updated incrementally instead.
    pub not_computable: u64,
}

/// The remap rewrite. `dissector` must be built with a [`locate::rewrite_config`] whose VXLAN ports include
/// [`Maps::vxlan_ports`].
pub struct Remap<'d> {
    dissector: &'d Dissector,
    dissection: Dissection<'d>,
    maps: Maps,
    mode: ChecksumMode,
    annotate: bool,
    pub ports_changed: u64,
    pub vnis_changed: u64,
    pub checksums: ChecksumCounts,
}

impl<'d> Remap<'d> {
    pub fn new(dissector: &'d Dissector, maps: Maps, mode: ChecksumMode, annotate: bool) -> Self {
        Remap {
            dissector,
            dissection: Dissection::unindexed(),
            maps,
            mode,
            annotate,
            ports_changed: 0,
            vnis_changed: 0,
            checksums: ChecksumCounts::default(),
        }
    }
}

impl Rewrite for Remap<'_> {
    fn rewrite(&mut self, packet: &Packet<'_>, out: &mut Rewritten) -> Verdict {
        let d = &mut self.dissection;
        self.dissector
            .dissect(packet.link_type, packet.data, packet.orig_len, d);
        let site: VxlanSite = match locate::find(
            d,
            packet.data,
            &self.dissector.config().vxlan_ports,
            packet.orig_len,
        ) {
            Found::NotVxlan => return Verdict::Other,
            Found::Damaged(damage) => return Verdict::Damaged(damage),
            Found::Vxlan(site) => site,
        };
        let u = site.udp_layer;
        let (Some(sport), Some(dport), Some(vni)) = (
            locate::layer_uint(d, u, F::UdpSrcport),
            locate::layer_uint(d, u, F::UdpDstport),
            locate::layer_uint(d, u + 1, F::VxlanVni),
        ) else {
            return Verdict::Other;
        };
        let (sport, dport, vni) = (sport as u16, dport as u16, vni as u32);
        let (new_sport, new_dport, new_vni) = (
            self.maps.port(sport),
            self.maps.port(dport),
            self.maps.vni(vni),
        );
        if (new_sport, new_dport, new_vni) == (sport, dport, vni) {
            return Verdict::Unchanged;
        }
        out.link_type = packet.link_type;
        out.orig_len = packet.orig_len;
        out.data.clear();
        out.data.extend_from_slice(packet.data);
        out.comment.clear();
        if self.annotate {
            out.comment.extend_from_slice(b"remapped from ");
            locate::write_outer_summary(&mut out.comment, d, &site);
        }
        if (new_sport, new_dport) != (sport, dport) {
            self.ports_changed += 1;
        }
        if new_vni != vni {
            self.vnis_changed += 1;
        }

        // The changed words: the ports, and the VNI's (with the reserved byte after it, to keep 16-bit words).
        let data = &mut out.data;
        let ports = site.udp + udp::field::SRC_PORT.start..site.udp + udp::field::DST_PORT.end;
        let vni_words = site.vxlan + vxlan::field::VNI.start..site.vxlan + vxlan::field::HEADER_LEN;
        let old_ports: [u8; 4] = data[ports.clone()].try_into().expect("4 bytes");
        let old_vni: [u8; 4] = data[vni_words.clone()].try_into().expect("4 bytes");
        data[site.udp + udp::field::SRC_PORT.start..site.udp + udp::field::SRC_PORT.end]
            .copy_from_slice(&new_sport.to_be_bytes());
        data[site.udp + udp::field::DST_PORT.start..site.udp + udp::field::DST_PORT.end]
            .copy_from_slice(&new_dport.to_be_bytes());
        vxlan::write_vni(
            &mut data[site.vxlan..site.vxlan + vxlan::field::HEADER_LEN],
            new_vni,
        );

        let field = locate::layer_uint(d, u, F::UdpChecksum).unwrap_or(0) as u16;
        let status = match locate::layer_value(d, u, [F::UdpChecksumStatus, F::UdpChecksumStatus]) {
            Some(Value::Text(t)) => t,
            _ => "unverified",
        };
        let checksum_at = site.udp + udp::field::CHECKSUM.start;
        let incremental = |data: &[u8]| {
            let c = checksum::update(field, &old_ports, &data[ports.clone()]);
            checksum::update(c, &old_vni, &data[vni_words.clone()])
        };
        let datagram_end = site.udp + usize::from(site.udp_len);
        let whole = site.udp_len != 0 && !site.fragment && datagram_end <= data.len();
        let new_field = match self.mode {
            ChecksumMode::Zero => {
                self.checksums.zeroed += 1;
                0
            }
            ChecksumMode::Keep if field == 0 || status == Status::PARTIAL => {
                self.checksums.left += 1;
                field
            }
            ChecksumMode::Keep => {
                self.checksums.updated += 1;
                checksum::udp_wire(incremental(data))
            }
            ChecksumMode::Compute => {
                let src = locate::layer_value(d, site.ip_layer, [F::IpSrc, F::Ipv6Src])
                    .and_then(|v| v.as_ip());
                let dst = locate::layer_value(d, site.ip_layer, [F::IpDst, F::Ipv6Dst])
                    .and_then(|v| v.as_ip());
                match (src, dst) {
                    (Some(src), Some(dst)) if whole => {
                        self.checksums.computed += 1;
                        checksum::udp(&src, &dst, &data[site.udp..datagram_end], field)
                    }
                    _ => {
                        self.checksums.not_computable += 1;
                        if field == 0 {
                            0
                        } else {
                            checksum::udp_wire(incremental(data))
                        }
                    }
                }
            }
        };
        data[checksum_at..checksum_at + 2].copy_from_slice(&new_field.to_be_bytes());
        Verdict::Rewritten
    }

    fn dissection(&self) -> &Dissection<'_> {
        &self.dissection
    }

    fn output_link_type(&self) -> Option<LinkType> {
        None
    }

    fn notes(&self) -> Vec<String> {
        let c = &self.checksums;
        let mut notes = vec![format!(
            "ports changed in {} packets, VNIs in {}",
            self.ports_changed, self.vnis_changed
        )];
        let mut sums = Vec::new();
        for (n, what) in [
            (c.updated, "updated incrementally"),
            (c.computed, "computed"),
            (c.zeroed, "set to zero"),
            (
                c.left,
                "left as they were (zero, or partial from checksum offload)",
            ),
            (
                c.not_computable,
                "not computable (datagram cut or fragmented): updated incrementally",
            ),
        ] {
            if n > 0 {
                sums.push(format!("{n} {what}"));
            }
        }
        if !sums.is_empty() {
            notes.push(format!("UDP checksums: {}", sums.join(", ")));
        }
        notes
    }
}
