//! vxscope's dissector: bytes in, a [`Dissection`] out.
//!
//! Decodes the link layer (Ethernet with 802.1Q/802.1ad tags, Linux cooked SLL and SLL2, raw IP, BSD
//! loopback), IPv4 and IPv6, UDP, VXLAN (RFC 7348, GBP, GPE) on configurable ports, and the encapsulated frame
//! (Ethernet, ARP, IPv4/IPv6, TCP, UDP, ICMP, ICMPv6), recording every field with its byte offset and length
//! and verifying checksums. No file or terminal I/O: renderers in [`render`] turn a dissection into text.
//!
//! ```
//! use vxscope_dissector::{Config, Dissection, Dissector, LinkType, fields::{FieldId, Scope}};
//! // The encapsulated ping of k8s-node1 to k8s-node2, as tcpdump -XX printed it on the node NIC.
//! let frame = hex::decode(concat!(
//!     "005056936 33b00505693 6a3a0800 4500 00867586 00004011 e3f4ac10 6465ac10 6466",
//!     "9e902118 00720000 08000000 00000100 b672ae36 7b6cfe90 c41869a7 0800",
//!     "45000054 23054000 3f01ffa2 0af4010c 0af4020e 0800847d 0c47044e 0d1e55cf",
//!     "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
//! ).replace(' ', "")).unwrap();
//! let dissector = Dissector::new(Config::default());
//! let mut d = Dissection::new();
//! dissector.dissect(LinkType::ETHERNET, &frame, frame.len() as u32, &mut d);
//! let inner = Scope::OUTER.encapsulated().unwrap();
//! assert_eq!(d.uint(FieldId::VxlanVni, Scope::OUTER), Some(1));
//! assert_eq!(d.uint(FieldId::IpTtl, inner), Some(63));
//! assert_eq!(d.uint(FieldId::IcmpSeq, inner), Some(1102));
//! ```

pub mod checksum;
pub mod community_id;
pub mod dissection;
pub mod fields;
pub mod filter;
pub mod flannel;
pub mod hextext;
pub mod i18n;
pub mod layers;
pub mod link;
pub mod notes;
pub mod render;
pub mod value;

pub use dissection::{Dissection, Field, Layer, Note};
pub use link::LinkType;

/// The IANA port of VXLAN.
pub const PORT_VXLAN: u16 = 4789;
/// The Linux kernel's (and flannel's) VXLAN port, which IANA assigns to OTV.
pub const PORT_LINUX_VXLAN: u16 = 8472;
/// The IANA port of VXLAN-GPE.
pub const PORT_VXLAN_GPE: u16 = 4790;
/// The ports [`Config::default`] decodes as VXLAN.
pub const DEFAULT_VXLAN_PORTS: [u16; 2] = [PORT_LINUX_VXLAN, PORT_VXLAN];
/// The ports [`Config::default`] decodes as VXLAN-GPE.
pub const DEFAULT_GPE_PORTS: [u16; 1] = [PORT_VXLAN_GPE];
/// IPsec NAT traversal (RFC 3948): UDP-encapsulated ESP, never VXLAN, whatever the other port.
pub const PORT_IPSEC_NAT_T: u16 = 4500;

/// How [`Dissector`] decodes: which UDP ports carry VXLAN, and how to read them.
#[derive(Clone, Debug)]
pub struct Config {
    /// UDP ports decoded as VXLAN (RFC 7348, with GBP), matched on the destination port, then the source.
    pub vxlan_ports: Vec<u16>,
    /// UDP ports decoded as VXLAN-GPE.
    pub gpe_ports: Vec<u16>,
    /// Read UDP 8472 as OTV (IANA's assignment, and what tcpdump 4.99 prints) instead of VXLAN.
    pub decode_8472_as_otv: bool,
    /// Whether the VXLAN Group Based Policy extension is in use (otherwise a set G flag is reported).
    pub gbp: bool,
    /// Whether to decode the frame a VXLAN, VXLAN-GPE or OTV header carries. When off, what follows the
    /// tunnel header is one `data` layer of the outer scope, spanning the encapsulated frame as far as the UDP
    /// length and the capture allow: all a rewriter needs, at a fraction of the cost.
    pub decode_encapsulated: bool,
    /// Whether to add the flannel annotations (`flannel.*` fields and diagnoses) to each dissection (one that
    /// records the fields they read: see [`Dissection::annotatable`]). A rewriter, which reads only offsets and
    /// header fields, turns them off.
    pub annotate: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            vxlan_ports: DEFAULT_VXLAN_PORTS.to_vec(),
            gpe_ports: DEFAULT_GPE_PORTS.to_vec(),
            decode_8472_as_otv: false,
            gbp: false,
            decode_encapsulated: true,
            annotate: true,
        }
    }
}

impl Config {
    /// Also decodes VXLAN on these UDP ports (each is listed once).
    pub fn add_vxlan_ports(&mut self, ports: &[u16]) {
        add_ports(&mut self.vxlan_ports, ports);
    }

    /// Also decodes VXLAN-GPE on these UDP ports (each is listed once).
    pub fn add_gpe_ports(&mut self, ports: &[u16]) {
        add_ports(&mut self.gpe_ports, ports);
    }
}

fn add_ports(list: &mut Vec<u16>, ports: &[u16]) {
    for &p in ports {
        if !list.contains(&p) {
            list.push(p);
        }
    }
}

/// A set of UDP ports, tested in constant time.
#[derive(Clone)]
pub(crate) struct PortSet(Box<[u64; 1024]>);

impl PortSet {
    fn new(ports: &[u16]) -> PortSet {
        let mut set = PortSet(Box::new([0; 1024]));
        for &p in ports {
            set.0[usize::from(p / 64)] |= 1 << (p % 64);
        }
        set
    }

    #[inline]
    pub(crate) fn contains(&self, port: u16) -> bool {
        self.0[usize::from(port / 64)] & (1 << (port % 64)) != 0
    }
}

/// What kind of header a UDP port carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tunnel {
    Vxlan,
    Gpe,
    Otv,
}

/// Decodes frames, and annotates VXLAN packets with what the flannel topology says of them. Immutable once
/// built, so one dissector can be shared by threads.
pub struct Dissector {
    config: Config,
    vxlan_ports: PortSet,
    gpe_ports: PortSet,
    topology: flannel::Topology,
}

impl Dissector {
    /// A dissector with flannel's default topology (VNI 1, port 8472, 10.244.0.0/16 in /24s).
    pub fn new(config: Config) -> Dissector {
        Dissector::with_topology(config, flannel::Topology::default())
    }

    /// A dissector that names nodes and pods from `topology`.
    pub fn with_topology(config: Config, topology: flannel::Topology) -> Dissector {
        Dissector {
            vxlan_ports: PortSet::new(&config.vxlan_ports),
            gpe_ports: PortSet::new(&config.gpe_ports),
            config,
            topology,
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn topology(&self) -> &flannel::Topology {
        &self.topology
    }

    /// Which tunnel header a UDP datagram between these ports carries, if any: the destination port decides
    /// first, then the source port. A datagram to or from the IPsec NAT-T port is ESP (as tcpdump reads it),
    /// unless that port was configured as a VXLAN port.
    pub(crate) fn tunnel(&self, src: u16, dst: u16) -> Option<Tunnel> {
        if (src == PORT_IPSEC_NAT_T || dst == PORT_IPSEC_NAT_T)
            && !self.vxlan_ports.contains(PORT_IPSEC_NAT_T)
        {
            return None;
        }
        [dst, src].into_iter().find_map(|port| {
            if self.gpe_ports.contains(port) {
                Some(Tunnel::Gpe)
            } else if self.vxlan_ports.contains(port) {
                Some(
                    if port == PORT_LINUX_VXLAN && self.config.decode_8472_as_otv {
                        Tunnel::Otv
                    } else {
                        Tunnel::Vxlan
                    },
                )
            } else {
                None
            }
        })
    }

    /// Dissects one frame into `out` (cleared first). `frame` holds the captured bytes; `wire_len` is the
    /// frame's length on the wire (larger when the capture was cut by its snap length).
    pub fn dissect<'d>(
        &'d self,
        link_type: LinkType,
        frame: &[u8],
        wire_len: u32,
        out: &mut Dissection<'d>,
    ) {
        self.decode(link_type, frame, wire_len, out, None);
    }

    /// Decodes and annotates one frame; with `tunnels`, also records its VXLAN packets' facts for a
    /// [`flannel::Session`].
    pub(crate) fn decode<'d>(
        &'d self,
        link_type: LinkType,
        frame: &[u8],
        wire_len: u32,
        out: &mut Dissection<'d>,
        tunnels: Option<&mut Vec<flannel::Tunnel>>,
    ) {
        out.clear();
        out.link_type = link_type;
        out.caplen = frame.len() as u32;
        out.len = wire_len.max(frame.len() as u32);
        layers::dissect_link(self, link_type, frame, out);
        if out.records(fields::FieldId::CommunityId) {
            community_id::annotate(out, frame);
        }
        if self.config.annotate && out.annotatable() {
            flannel::annotate(self, out, tunnels);
        }
    }

    /// Dissects a bare VXLAN header and the frame it carries, as a host that already parsed UDP holds it.
    /// Offsets in `out` are relative to the start of `payload`.
    pub fn dissect_vxlan_payload<'d>(&'d self, payload: &[u8], out: &mut Dissection<'d>) {
        out.clear();
        out.link_type = LinkType(0);
        out.caplen = payload.len() as u32;
        out.len = payload.len() as u32;
        layers::dissect_vxlan_payload(self, payload, out);
        if self.config.annotate && out.annotatable() {
            flannel::annotate(self, out, None);
        }
    }
}

/// The seed packet, for unit tests: k8s-node1's pod pings a pod on k8s-node2, captured on k8s-node1's NIC (148
/// bytes: VXLAN on UDP 8472, VNI 1, inner ICMP echo request id 3143 seq 1102, the rest of its payload zeros).
#[cfg(test)]
pub(crate) fn seed_frame() -> Vec<u8> {
    let mut frame = hex::decode(concat!(
        "00505693633b005056936a3a08004500008675860000",
        "4011e3f4ac106465ac1064669e9021180072000008000000000001",
        "00b672ae367b6cfe90c41869a7080045000054230540003f01ffa2",
        "0af4010c0af4020e0800847d0c47044e0d1e55cf",
    ))
    .expect("hex");
    frame.resize(148, 0);
    frame
}
