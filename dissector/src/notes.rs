//! The note registry: every anomaly and diagnosis a dissection can report, defined once, with a stable code
//! (`malformed.truncated`, `flannel.inner_checksum_bad`), a severity, a message template and what to do. One
//! code may have several rows, one for each situation it covers (`flannel.mtu_exceeded`: an inner packet too
//! large, an outer fragment, an ICMP "fragmentation needed").
//!
//! A note in a dissection holds its code, the bytes it concerns and up to three values; the message is written
//! from the template only when a renderer asks, so raising a note allocates nothing.
//! In a template, `{0}`..`{2}` stand for the note's values; `{1:x}` writes an integer in hex.

use crate::fields::FieldDef;
use crate::value::{Value, write};

/// How serious a note is, in Wireshark's expert-info terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing, nothing wrong.
    Chat,
    /// Unusual but legitimate.
    Note,
    /// Probably a problem.
    Warning,
    /// Malformed, or certainly dropped.
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Chat => "chat",
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One row of the note registry.
#[derive(Debug)]
pub struct NoteDef {
    pub code: &'static str,
    pub severity: Severity,
    pub template: &'static str,
    /// What to do about it (empty when nothing is to be done).
    pub advice: &'static str,
}

macro_rules! notes {
    ($( $id:ident $code:literal $sev:ident $template:literal $($advice:literal)? ; )*) => {
        /// Identifies a row of the note registry.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum NoteCode { $($id),* }

        /// Every note, indexed by [`NoteCode`].
        pub static NOTES: &[NoteDef] = &[
            $( NoteDef { code: $code, severity: Severity::$sev, template: $template, advice: notes!(@advice $($advice)?) } ),*
        ];

        impl NoteCode {
            pub const ALL: &[NoteCode] = &[$(NoteCode::$id),*];
        }
    };
    (@advice) => { "" };
    (@advice $a:literal) => { $a };
}

impl NoteCode {
    #[inline]
    pub fn def(self) -> &'static NoteDef {
        &NOTES[self as usize]
    }

    pub fn from_code(code: &str) -> Option<NoteCode> {
        NoteCode::ALL.iter().copied().find(|c| c.def().code == code)
    }
}

notes! {
    Truncated "malformed.truncated" Warning
        "{0} cut short: {1} bytes needed, {2} captured";
    LengthOverrun "malformed.length_overrun" Error
        "{0} says {1} bytes, but only {2} follow";
    LengthShort "malformed.length_short" Error
        "{0} says {1} bytes, less than the {2}-byte header";
    BadVersion "malformed.bad_version" Error
        "IP version {0} where version {1} was expected";
    BadOption "malformed.bad_option" Warning
        "{0} option at byte {1} runs past the end of its header";
    LinkUnsupported "link.unsupported" Note
        "link type {0} is not decoded";
    LengthZero "ip.length_zero" Note
        "{0} length field is 0: a GSO or BIG TCP super-packet captured on the sending host before segmentation; the length is taken from the capture";
    Fragment "ip.fragment" Note
        "{0} fragment at byte offset {1} of the original packet, more fragments: {2}";
    ChecksumBad "checksum.bad" Warning
        "{0} checksum {1:x} is wrong: it should be {2:x}"
        "captured on the receiver or on the wire, the packet is dropped; captured on the sender, the NIC may still fill it in";
    ChecksumPartial "checksum.partial" Chat
        "{0} checksum {1:x} holds only the pseudo-header sum: checksum offload, captured on the sending host before the NIC filled it in (not a fault)";
    Port8472 "vxlan.port_8472" Chat
        "UDP 8472 is the Linux and flannel VXLAN port, which IANA assigns to OTV: tcpdump 4.99 and older print this header as \"OTV, flags {1}, overlay {2}, instance {0}\", which is VXLAN VNI {0}"
        "read it as VXLAN: tshark -d udp.port==8472,vxlan; vxscope decodes it as VXLAN unless given --decode-as otv";
    VxlanFlagsInvalid "vxlan.flags_invalid" Warning
        "{0} (flags {1:x}, reserved bits {2:x}): the Linux VXLAN driver drops such packets (VXLAN_INVALID_HDR)"
        "a sender that sets these bits is not plain RFC 7348 VXLAN: check the peer's VXLAN implementation, its GBP setting, or whether this is VXLAN at all";
    GpeNextProtocol "vxlan.gpe_next_proto" Note
        "VXLAN-GPE next protocol {0} is not decoded";
    TooDeep "vxlan.too_deep" Warning
        "VXLAN nested more than {0} levels deep: the rest is not decoded";
    TooManyExtensions "ipv6.too_many_extensions" Warning
        "IPv6 packet with more than {0} extension headers: the rest is not decoded";
    OuterChecksumLco "checksum.lco" Chat
        "outer {0} checksum {1:x} is right for the packet as it leaves: the inner {2} checksum is still partial (checksum offload, captured on the sending host) and the outer one was computed by local checksum offload (LCO), which counts the inner one as filled in (not a fault)";
    OuterChecksumBad "flannel.outer_checksum_bad" Error
        "outer {0} checksum {1:x} is wrong: it should be {2:x}; the receiving kernel drops the packet (dmesg \"UDP: bad checksum\")"
        "if this was captured on the receiver or the wire, look for NAT or a middlebox rewriting the outer headers, and try `ethtool -K <nic> tx-checksum-ip-generic off` on the sender; a capture on the sender may only show checksum offload";
    MtuInner "flannel.mtu_exceeded" Warning
        "the encapsulated packet is {0} bytes, more than the {1}-byte VXLAN MTU: with its {2} bytes of outer headers it no longer fits the underlay"
        "make the pod MTU (and the MSS it implies) fit the VXLAN MTU: FLANNEL_MTU in /run/flannel/subnet.env is the NIC MTU minus 50 (70 over IPv6); check the MTU of every underlay hop (VPNs, cloud networks)";
    MtuFragment "flannel.mtu_exceeded" Warning
        "outer IP fragment of a VXLAN packet (outer packet {0} bytes): the underlay MTU is smaller than the encapsulated frame, so every large packet is fragmented (or dropped where fragments are)"
        "lower the VXLAN MTU to the underlay's MTU minus 50 (70 over IPv6): flannel's MTU option, or the NIC MTU it is derived from";
    MtuIcmp "flannel.mtu_exceeded" Warning
        "{0} reports a next-hop MTU of {1} for a packet of {2} bytes: the path is narrower than the packets sent into it"
        "make the pod MTU fit the VXLAN MTU and the VXLAN MTU fit the underlay path (NIC MTU minus 50, 70 over IPv6), and let these ICMP messages through firewalls";
    PortUnreachable "flannel.port_unreachable" Error
        "{0} refused VXLAN to UDP port {1} (ICMP {2}): the packet never reached flannel.1"
        "open the VXLAN port (UDP 8472 unless flannel was told otherwise) between the nodes (firewalld, iptables, cloud security groups), and make every node use the same VXLAN port (flannel's Port, 8472 by default on Linux; Windows nodes use 4789)";
    VtepMacMismatch "flannel.vtep_mac_mismatch" Error
        "inner destination MAC {0} is not the VTEP MAC {1} of {2}, which owns the outer destination address: the receiver drops the frame (stale fdb or neighbour entry)"
        "on the sending node, compare `bridge fdb show dev flannel.1` and `ip neigh show dev flannel.1` with the receiver's flannel.1 MAC (its flannel.alpha.coreos.com/backend-data annotation); restart flannel on the sender, or upgrade flannel (v0.24.1+ keeps the VTEP MAC across restarts)";
    VniMismatch "flannel.vni_mismatch" Error
        "VNI {0} where {1} is expected from {2}: the receiver has no VXLAN device for it and drops the packet silently"
        "give every node the same VNI: flannel's VNI (1 by default on Linux; clusters with Windows nodes need 4096 everywhere), in the Backend section of net-conf.json";
    PortMismatch "flannel.port_mismatch" Warning
        "VXLAN on UDP port {0} where {1} is expected from {2}"
        "give every node the same VXLAN port: flannel's Port setting (0 means the kernel default 8472; Windows nodes use 4789)";
    InnerTtl "flannel.inner_ttl" Warning
        "inner TTL {0} from pod {1}: a packet the node routes into flannel.1 leaves with its TTL decremented (63 on the wire for a pod's 64); this one was not routed by the node"
        "look for something other than the node's routing putting frames into the tunnel: a bridge, a second VXLAN device, or a VTEP that is not flannel's on the same VNI and port";
    SubnetClaimed "flannel.subnet_conflict" Error
        "pod subnet {0} of {1} is claimed by more than one node"
        "two nodes claim the same pod subnet: compare `kubectl get nodes -o json` (spec.podCIDR) with the nodes' routes, and remove the stale node or restart flannel on it";
    VtepMacClaimed "flannel.subnet_conflict" Error
        "VTEP MAC {0} is claimed by more than one node"
        "two nodes claim the same VTEP MAC: compare the nodes' flannel.alpha.coreos.com/backend-data annotations with their flannel.1 MACs, and restart flannel on the stale one";
    OffloadArtefact "flannel.offload_artefact" Chat
        "the encapsulated packet is {0} bytes, over the {1}-byte VXLAN MTU: a GSO/TSO super-packet captured on the sending host before the NIC segmented it (not a fault)";
    InnerChecksumBad "flannel.inner_checksum_bad" Error
        "{0} checksum {1:x} of the encapsulated packet is wrong: it should be {2:x}; the receiving pod's kernel drops it"
        "this is the flannel.1 tx-checksum-offload bug (flannel #1279, kubernetes #88986): run `ethtool -K flannel.1 tx-checksum-ip-generic off` on the sending node, or upgrade flannel (v0.20.2+) and kube-proxy (1.16.13/1.17.9/1.18.6+)";
}

/// Writes a note's message: its template with its values filled in.
pub fn write_message(out: &mut Vec<u8>, code: NoteCode, args: &[Value<'_>; 3]) {
    write_template(out, code.def().template, args);
}

/// Fills a note template (the English one, or a translation) with the note's values.
pub fn write_template(out: &mut Vec<u8>, template: &str, args: &[Value<'_>; 3]) {
    let t = template.as_bytes();
    let mut i = 0;
    while i < t.len() {
        if t[i] == b'{'
            && let Some(close) = t[i..].iter().position(|&b| b == b'}')
        {
            let spec = &t[i + 1..i + close];
            let (index, hex) = match spec {
                [d] => (d.wrapping_sub(b'0'), false),
                [d, b':', b'x'] => (d.wrapping_sub(b'0'), true),
                _ => (u8::MAX, false),
            };
            if let Some(arg) = args.get(usize::from(index)) {
                write_arg(out, arg, hex);
                i += close + 1;
                continue;
            }
        }
        out.push(t[i]);
        i += 1;
    }
}

fn write_arg(out: &mut Vec<u8>, arg: &Value<'_>, hex: bool) {
    static PLAIN: FieldDef = FieldDef {
        abbrev: "",
        name: "",
        kind: crate::fields::Kind::U64,
        base: crate::fields::Base::Dec,
        mask: 0,
        scale: 1,
        vals: &[],
        blurb: "",
        short: "",
    };
    match arg {
        Value::UInt(v) if hex => write::u64_hex(out, *v, if *v > 0xff { 4 } else { 2 }),
        other => write::value(out, &PLAIN, other, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(code: NoteCode, args: [Value<'_>; 3]) -> String {
        let mut out = Vec::new();
        write_message(&mut out, code, &args);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn codes_are_unique() {
        // A code may have several messages (one a situation), each with one severity.
        let mut seen = std::collections::HashMap::new();
        for n in NOTES {
            assert_eq!(
                *seen.entry(n.code).or_insert(n.severity),
                n.severity,
                "{}",
                n.code
            );
            assert!(n.code.contains('.') && !n.template.is_empty(), "{}", n.code);
        }
        assert_eq!(
            NoteCode::from_code("malformed.truncated"),
            Some(NoteCode::Truncated)
        );
    }

    #[test]
    fn templates_fill_in_values() {
        assert_eq!(
            message(
                NoteCode::Truncated,
                [Value::Text("UDP header"), Value::UInt(8), Value::UInt(5)]
            ),
            "UDP header cut short: 8 bytes needed, 5 captured"
        );
        assert_eq!(
            message(
                NoteCode::ChecksumBad,
                [
                    Value::Text("IPv4 header"),
                    Value::UInt(0x1234),
                    Value::UInt(0xe3f4)
                ]
            ),
            "IPv4 header checksum 0x1234 is wrong: it should be 0xe3f4"
        );
        let otv = message(
            NoteCode::Port8472,
            [Value::UInt(1), Value::Text("[I] (0x08)"), Value::UInt(0)],
        );
        assert!(
            otv.contains("\"OTV, flags [I] (0x08), overlay 0, instance 1\", which is VXLAN VNI 1"),
            "{otv}"
        );
    }

    #[test]
    fn advice_has_no_placeholders() {
        for n in NOTES {
            assert!(
                !n.advice.contains('{'),
                "{}: the advice is not a template",
                n.code
            );
        }
    }

    #[test]
    fn every_template_names_only_existing_values() {
        for n in NOTES {
            let mut out = Vec::new();
            write_template(
                &mut out,
                n.template,
                &[Value::UInt(1), Value::UInt(2), Value::UInt(3)],
            );
            let text = String::from_utf8(out).unwrap();
            assert!(!text.contains('{'), "{}: {}", n.code, text);
        }
    }
}
