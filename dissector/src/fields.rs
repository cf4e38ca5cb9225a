//! The field registry: every field a user can see, defined once.
//!
//! Each row gives a field's identifier in code ([`FieldId`]), its dotted abbreviation in Wireshark's style
//! (`vxlan.vni`), its display name, its kind and how it is shown. The one-line summary, the tree, JSON, the
//! annotated hex dump and the C ABI all read from this table, so a field added here appears everywhere.
//!
//! Protocols are rows too (kind [`Kind::Protocol`]): a layer of a dissection is named by its protocol row.
//!
//! A field of an encapsulated frame carries a [`Scope`] whose prefix (`inner.`, `quoted.`) is written before
//! the abbreviation, so `ip.src` of the inner frame is `inner.ip.src`: one name, one value.

use std::sync::OnceLock;

/// What kind of value a field holds; mirrors Wireshark's `FT_*` types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A protocol (a layer): no value of its own.
    Protocol,
    Bool,
    U8,
    U16,
    U24,
    U32,
    U64,
    Mac,
    Ipv4,
    Ipv6,
    /// Raw bytes of the frame (payload, padding, options without a finer decoding).
    Bytes,
    /// Text (status words, node and pod names).
    Text,
    /// An IP network in CIDR notation (pod subnets).
    IpNet,
}

impl Kind {
    /// The name `vxscope fields` prints for this kind.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Protocol => "protocol",
            Kind::Bool => "bool",
            Kind::U8 => "uint8",
            Kind::U16 => "uint16",
            Kind::U24 => "uint24",
            Kind::U32 => "uint32",
            Kind::U64 => "uint64",
            Kind::Mac => "mac",
            Kind::Ipv4 => "ipv4",
            Kind::Ipv6 => "ipv6",
            Kind::Bytes => "bytes",
            Kind::Text => "text",
            Kind::IpNet => "ipnet",
        }
    }

    /// Whether values of this kind are integers.
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            Kind::U8 | Kind::U16 | Kind::U24 | Kind::U32 | Kind::U64
        )
    }
}

/// How an integer field is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    Dec,
    /// `0x` and as many hex digits as the field's width.
    Hex,
}

/// A value-string: the meaning of one integer value (`8` → "Echo (ping) request").
pub type ValueName = (u64, &'static str);

/// One row of the registry.
#[derive(Debug)]
pub struct FieldDef {
    pub abbrev: &'static str,
    pub name: &'static str,
    pub kind: Kind,
    pub base: Base,
    /// Bit mask within the field's bytes (big-endian), 0 for whole-byte fields.
    pub mask: u64,
    /// What the masked bits count in units of the value (4 for a header length counted in 32-bit words and
    /// shown in bytes); 1 for most fields. See [`FieldDef::extract`].
    pub scale: u64,
    /// Names of well-known values.
    pub vals: &'static [ValueName],
    /// One sentence on what the field means.
    pub blurb: &'static str,
    /// A protocol's short name, as a picture labels its box (`IPv4`, `UDP`); empty for other fields.
    pub short: &'static str,
}

impl FieldDef {
    const BASE: FieldDef = FieldDef {
        abbrev: "",
        name: "",
        kind: Kind::Bytes,
        base: Base::Dec,
        mask: 0,
        scale: 1,
        vals: &[],
        blurb: "",
        short: "",
    };

    /// The name of a value, if the field has a value-string table and knows it.
    pub fn value_name(&self, value: u64) -> Option<&'static str> {
        self.vals.iter().find(|(v, _)| *v == value).map(|(_, n)| *n)
    }

    /// The value of this field in `raw`, the big-endian integer of the field's bytes: the bits of the mask,
    /// shifted down to its lowest bit, times the scale (`((raw & mask) >> shift) * scale`); `raw * scale` for a
    /// field without a mask. The one place a field's bit positions are applied: the layers record masked
    /// fields through it (`Ctx::bits`, `Ctx::flag`).
    #[inline(always)]
    pub const fn extract(&self, raw: u64) -> u64 {
        if self.mask == 0 {
            raw * self.scale
        } else {
            ((raw & self.mask) >> self.mask.trailing_zeros()) * self.scale
        }
    }

    /// Width in hex digits of an integer field, for [`Base::Hex`].
    pub fn hex_width(&self) -> usize {
        if self.mask != 0 {
            let bits = 64 - self.mask.leading_zeros() - self.mask.trailing_zeros();
            return (bits as usize).div_ceil(4);
        }
        match self.kind {
            Kind::U8 | Kind::Bool => 2,
            Kind::U16 => 4,
            Kind::U24 => 6,
            Kind::U32 => 8,
            _ => 16,
        }
    }
}

macro_rules! registry {
    ($( $id:ident $abbrev:literal $name:literal $kind:ident $({ $($opt:ident : $val:expr),* $(,)? })? ; )*) => {
        /// Identifies a row of the registry.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum FieldId { $($id),* }

        /// Every field and protocol, indexed by [`FieldId`].
        pub static FIELDS: &[FieldDef] = &[
            $( FieldDef { abbrev: $abbrev, name: $name, kind: Kind::$kind, $($($opt: $val,)*)? ..FieldDef::BASE } ),*
        ];

        impl FieldId {
            /// Every identifier, in registry order.
            pub const ALL: &[FieldId] = &[$(FieldId::$id),*];
        }

        /// Number of rows in the registry (a constant, for tables indexed by field).
        pub const FIELD_COUNT: usize = FieldId::ALL.len();
    };
}

impl FieldId {
    /// Whether this is the protocol of a tunnel header carrying a frame: VXLAN, VXLAN-GPE, or OTV (the same
    /// header read as IANA assigns UDP 8472).
    pub fn is_tunnel(self) -> bool {
        matches!(self, FieldId::Vxlan | FieldId::VxlanGpe | FieldId::Otv)
    }

    /// The registry row of this field.
    #[inline]
    pub const fn def(self) -> &'static FieldDef {
        &FIELDS[self as usize]
    }

    /// The index of this field in [`FIELDS`].
    #[inline]
    pub fn index(self) -> usize {
        self as usize
    }

    /// Looks a field up by its abbreviation without scope prefix (`"vxlan.vni"`).
    pub fn from_abbrev(abbrev: &str) -> Option<FieldId> {
        FieldId::ALL
            .iter()
            .copied()
            .find(|id| id.def().abbrev == abbrev)
    }
}

/// Where a field sits: how many VXLAN encapsulations deep, and whether it is in a packet quoted by an ICMP
/// error. Its prefix is written before the abbreviation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Scope(u8);

/// Deepest VXLAN nesting decoded; a fourth encapsulation is left as data with a note.
pub const MAX_DEPTH: u8 = 3;

const PREFIXES: [&str; 12] = [
    "",
    "inner.",
    "inner.inner.",
    "inner.inner.inner.",
    "quoted.",
    "inner.quoted.",
    "inner.inner.quoted.",
    "inner.inner.inner.quoted.",
    "quoted.inner.",
    "inner.quoted.inner.",
    "inner.inner.quoted.inner.",
    "inner.inner.inner.quoted.inner.",
];

impl Scope {
    /// The outermost frame.
    pub const OUTER: Scope = Scope(0);

    /// The scope `depth` VXLAN encapsulations deep (not quoted); `depth` is at most [`MAX_DEPTH`].
    pub fn at_depth(depth: u8) -> Scope {
        Scope(depth.min(MAX_DEPTH))
    }

    /// Encapsulation depth of the frame that holds the quoting ICMP message (or of the field itself when not
    /// quoted): 0 for the outer frame, 1 for the frame inside the first VXLAN header, ...
    pub fn depth(self) -> u8 {
        self.0 & 3
    }

    /// Whether the field is inside a packet quoted by an ICMP error.
    pub fn is_quoted(self) -> bool {
        self.0 >= 4
    }

    /// Total encapsulation depth: VXLAN headers between the start of the frame and the field.
    pub fn total_depth(self) -> u8 {
        self.depth() + u8::from(self.0 >= 8)
    }

    /// The scope inside a VXLAN header found in this scope, if nesting allows it.
    pub fn encapsulated(self) -> Option<Scope> {
        match self.0 {
            0..=2 => Some(Scope(self.0 + 1)),
            4..=7 => Some(Scope(self.0 + 4)),
            _ => None,
        }
    }

    /// The scope of a packet quoted by an ICMP error found in this scope (quotes are not nested).
    pub fn quoted(self) -> Option<Scope> {
        (self.0 < 4).then_some(Scope(self.0 + 4))
    }

    /// The prefix written before abbreviations of fields in this scope.
    pub fn prefix(self) -> &'static str {
        PREFIXES[self.0 as usize]
    }

    /// A number from 0 to 11, for tables indexed by scope.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// Number of distinct scopes.
    pub const COUNT: usize = PREFIXES.len();
}

/// Splits a scoped name (`inner.ip.src`) into its scope and the abbreviation after the prefix (`ip.src`): the
/// longest prefix that leaves a name.
pub fn split_scope(name: &str) -> (Scope, &str) {
    PREFIXES
        .iter()
        .enumerate()
        .filter(|(_, p)| name.len() > p.len() && name.starts_with(*p))
        .max_by_key(|(_, p)| p.len())
        .map(|(i, p)| (Scope(i as u8), &name[p.len()..]))
        .unwrap_or((Scope::OUTER, name))
}

/// The full abbreviation (`inner.ip.src`) as a `'static` string, for callers that need one string (the hex
/// dump renderers).
pub fn scoped_abbrev(id: FieldId, scope: Scope) -> &'static str {
    static TABLE: OnceLock<Vec<Box<str>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = Vec::with_capacity(FIELDS.len() * Scope::COUNT);
        for prefix in PREFIXES {
            for def in FIELDS {
                t.push(format!("{prefix}{}", def.abbrev).into_boxed_str());
            }
        }
        t
    });
    &table[scope.index() * FIELDS.len() + id.index()]
}

// ---------------------------------------------------------------------------------------------------------
// Value-strings.

pub static ETHERTYPES: &[ValueName] = &[
    (0x0800, "IPv4"),
    (0x0806, "ARP"),
    (0x8035, "RARP"),
    (0x8100, "802.1Q VLAN"),
    (0x88a8, "802.1ad QinQ"),
    (0x9100, "QinQ (legacy)"),
    (0x86dd, "IPv6"),
    (0x8847, "MPLS unicast"),
    (0x8848, "MPLS multicast"),
    (0x8863, "PPPoE discovery"),
    (0x8864, "PPPoE session"),
    (0x888e, "802.1X"),
    (0x88cc, "LLDP"),
    (0x894f, "NSH"),
    (0x88be, "ERSPAN"),
    (0x88e5, "MACsec"),
    (0x88f7, "PTP"),
];

pub static IP_PROTOCOLS: &[ValueName] = &[
    (0, "IPv6 Hop-by-Hop"),
    (1, "ICMP"),
    (2, "IGMP"),
    (4, "IPIP"),
    (6, "TCP"),
    (17, "UDP"),
    (41, "IPv6"),
    (43, "IPv6 Routing"),
    (44, "IPv6 Fragment"),
    (47, "GRE"),
    (50, "ESP"),
    (51, "AH"),
    (58, "ICMPv6"),
    (59, "IPv6 No Next Header"),
    (60, "IPv6 Destination Options"),
    (89, "OSPF"),
    (103, "PIM"),
    (112, "VRRP"),
    (132, "SCTP"),
];

pub static ICMP_TYPES: &[ValueName] = &[
    (0, "Echo (ping) reply"),
    (3, "Destination unreachable"),
    (4, "Source quench"),
    (5, "Redirect"),
    (8, "Echo (ping) request"),
    (9, "Router advertisement"),
    (10, "Router solicitation"),
    (11, "Time exceeded"),
    (12, "Parameter problem"),
    (13, "Timestamp request"),
    (14, "Timestamp reply"),
];

/// Codes of ICMP type 3 (destination unreachable).
pub static ICMP_UNREACH_CODES: &[ValueName] = &[
    (0, "Network unreachable"),
    (1, "Host unreachable"),
    (2, "Protocol unreachable"),
    (3, "Port unreachable"),
    (4, "Fragmentation needed"),
    (5, "Source route failed"),
    (6, "Destination network unknown"),
    (7, "Destination host unknown"),
    (9, "Network administratively prohibited"),
    (10, "Host administratively prohibited"),
    (13, "Communication administratively prohibited"),
];

pub static ICMPV6_TYPES: &[ValueName] = &[
    (1, "Destination unreachable"),
    (2, "Packet too big"),
    (3, "Time exceeded"),
    (4, "Parameter problem"),
    (128, "Echo (ping) request"),
    (129, "Echo (ping) reply"),
    (133, "Router solicitation"),
    (134, "Router advertisement"),
    (135, "Neighbor solicitation"),
    (136, "Neighbor advertisement"),
    (137, "Redirect"),
    (143, "Multicast listener report v2"),
];

pub static ARP_OPCODES: &[ValueName] = &[
    (1, "request"),
    (2, "reply"),
    (3, "RARP request"),
    (4, "RARP reply"),
];

pub static ARP_HW_TYPES: &[ValueName] = &[(1, "Ethernet"), (6, "IEEE 802")];

pub static SLL_PKTTYPES: &[ValueName] = &[
    (0, "Unicast to us"),
    (1, "Broadcast"),
    (2, "Multicast"),
    (3, "Unicast to another host"),
    (4, "Sent by us"),
];

pub static NULL_FAMILIES: &[ValueName] = &[
    (2, "IPv4"),
    (24, "IPv6 (NetBSD/OpenBSD)"),
    (28, "IPv6 (FreeBSD)"),
    (30, "IPv6 (macOS)"),
];

pub static GPE_NEXT_PROTOCOLS: &[ValueName] = &[
    (1, "IPv4"),
    (2, "IPv6"),
    (3, "Ethernet"),
    (4, "NSH"),
    (5, "MPLS"),
];

pub static TCP_OPTION_KINDS: &[ValueName] = &[
    (0, "End of Option List"),
    (1, "No-Operation"),
    (2, "Maximum segment size"),
    (3, "Window scale"),
    (4, "SACK permitted"),
    (5, "SACK"),
    (8, "Timestamps"),
    (19, "MD5 signature"),
    (28, "User timeout"),
    (29, "TCP-AO"),
    (30, "Multipath TCP"),
    (34, "TCP Fast Open cookie"),
];

pub static IP_OPTION_TYPES: &[ValueName] = &[
    (0, "End of Options List"),
    (1, "No-Operation"),
    (7, "Record Route"),
    (68, "Time Stamp"),
    (130, "Security"),
    (131, "Loose Source Route"),
    (137, "Strict Source Route"),
    (148, "Router Alert"),
];

// ---------------------------------------------------------------------------------------------------------
// The registry.

registry! {
    // Link layer.
    Eth "eth" "Ethernet II" Protocol { short: "Ethernet" };
    EthDst "eth.dst" "Destination" Mac { blurb: "Destination MAC address" };
    EthSrc "eth.src" "Source" Mac { blurb: "Source MAC address" };
    EthType "eth.type" "Type" U16 { base: Base::Hex, vals: ETHERTYPES, blurb: "EtherType of the payload" };
    EthLen "eth.len" "Length" U16 { blurb: "IEEE 802.3 length of the LLC payload" };
    EthPadding "eth.padding" "Padding" Bytes { blurb: "Bytes after the network-layer packet (padding to 60 bytes or trailer)" };
    EthFcs "eth.fcs" "Frame check sequence" Bytes { blurb: "Ethernet CRC, present when the capture says so" };
    Vlan "vlan" "802.1Q Virtual LAN" Protocol { short: "802.1Q" };
    VlanPriority "vlan.priority" "Priority" U16 { mask: 0xe000 };
    VlanDei "vlan.dei" "Drop eligible" Bool { mask: 0x1000 };
    VlanId "vlan.id" "VLAN ID" U16 { mask: 0x0fff };
    VlanEtype "vlan.etype" "Type" U16 { base: Base::Hex, vals: ETHERTYPES };
    Sll "sll" "Linux cooked capture v1" Protocol { short: "SLL" };
    Sll2 "sll2" "Linux cooked capture v2" Protocol { short: "SLL2" };
    SllPkttype "sll.pkttype" "Packet type" U16 { vals: SLL_PKTTYPES };
    SllHatype "sll.hatype" "Link-layer address type" U16 { vals: ARP_HW_TYPES };
    SllHalen "sll.halen" "Link-layer address length" U16;
    SllSrcEth "sll.src.eth" "Source" Mac;
    SllSrcOther "sll.src.other" "Source address" Bytes;
    SllUnused "sll.unused" "Unused address bytes" Bytes;
    SllEtype "sll.etype" "Protocol" U16 { base: Base::Hex, vals: ETHERTYPES };
    SllReserved "sll.reserved" "Reserved" U16 { base: Base::Hex };
    SllIfindex "sll.ifindex" "Interface index" U32;
    Null "null" "Null/Loopback" Protocol { short: "Loopback" };
    NullFamily "null.family" "Family" U32 { vals: NULL_FAMILIES };

    // IPv4.
    Ip "ip" "Internet Protocol Version 4" Protocol { short: "IPv4" };
    IpVersion "ip.version" "Version" U8 { mask: 0xf0 };
    IpHdrLen "ip.hdr_len" "Header length" U8 { mask: 0x0f, scale: 4, blurb: "Header length in bytes (4 times the IHL field)" };
    IpDsfield "ip.dsfield" "Differentiated services" U8 { base: Base::Hex };
    IpDscp "ip.dsfield.dscp" "DSCP" U8 { mask: 0xfc };
    IpEcn "ip.dsfield.ecn" "ECN" U8 { mask: 0x03 };
    IpLen "ip.len" "Total length" U16;
    IpId "ip.id" "Identification" U16 { base: Base::Hex };
    IpFlags "ip.flags" "Flags" U8 { base: Base::Hex, mask: 0xe0 };
    IpFlagRb "ip.flags.rb" "Reserved bit" Bool { mask: 0x80 };
    IpFlagDf "ip.flags.df" "Don't fragment" Bool { mask: 0x40 };
    IpFlagMf "ip.flags.mf" "More fragments" Bool { mask: 0x20 };
    IpFragOffset "ip.frag_offset" "Fragment offset" U16 { mask: 0x1fff, scale: 8, blurb: "Offset of this fragment in bytes (8 times the field)" };
    IpTtl "ip.ttl" "Time to live" U8;
    IpProto "ip.proto" "Protocol" U8 { vals: IP_PROTOCOLS };
    IpChecksum "ip.checksum" "Header checksum" U16 { base: Base::Hex };
    IpChecksumStatus "ip.checksum.status" "Header checksum status" Text { blurb: "good, bad, or partial (left for the NIC to fill in)" };
    IpSrc "ip.src" "Source address" Ipv4;
    IpDst "ip.dst" "Destination address" Ipv4;
    IpOptions "ip.options" "Options" Bytes;
    IpOptType "ip.opt.type" "Option type" U8 { vals: IP_OPTION_TYPES };
    IpOptLen "ip.opt.len" "Option length" U8;
    IpOptData "ip.opt.data" "Option data" Bytes;

    // IPv6.
    Ipv6 "ipv6" "Internet Protocol Version 6" Protocol { short: "IPv6" };
    Ipv6Version "ipv6.version" "Version" U32 { mask: 0xf000_0000 };
    Ipv6Tclass "ipv6.tclass" "Traffic class" U32 { base: Base::Hex, mask: 0x0ff0_0000 };
    Ipv6Flow "ipv6.flow" "Flow label" U32 { base: Base::Hex, mask: 0x000f_ffff };
    Ipv6Plen "ipv6.plen" "Payload length" U16;
    Ipv6Nxt "ipv6.nxt" "Next header" U8 { vals: IP_PROTOCOLS };
    Ipv6Hlim "ipv6.hlim" "Hop limit" U8;
    Ipv6Src "ipv6.src" "Source address" Ipv6;
    Ipv6Dst "ipv6.dst" "Destination address" Ipv6;
    Ipv6HopOpts "ipv6.hopopts" "Hop-by-hop options" Bytes;
    Ipv6Routing "ipv6.routing" "Routing header" Bytes;
    Ipv6Fragment "ipv6.fragment" "Fragment header" Bytes;
    Ipv6DstOpts "ipv6.dstopts" "Destination options" Bytes;
    Ipv6ExtNxt "ipv6.ext.nxt" "Next header" U8 { vals: IP_PROTOCOLS };
    Ipv6ExtLen "ipv6.ext.len" "Header extension length" U8 { blurb: "Length in 8-byte units, not counting the first 8 bytes" };
    Ipv6OptType "ipv6.opt.type" "Option type" U8 { base: Base::Hex };
    Ipv6OptLen "ipv6.opt.len" "Option length" U8;
    Ipv6OptData "ipv6.opt.data" "Option data" Bytes;
    Ipv6OptJumbo "ipv6.opt.jumbo" "Jumbo payload length" U32;
    Ipv6RoutingType "ipv6.routing.type" "Routing type" U8;
    Ipv6RoutingSegleft "ipv6.routing.segleft" "Segments left" U8;
    Ipv6RoutingData "ipv6.routing.data" "Routing data" Bytes;
    Ipv6FragReserved "ipv6.fragment.reserved" "Reserved" U8;
    Ipv6FragOffset "ipv6.fragment.offset" "Fragment offset" U16 { mask: 0xfff8, scale: 8, blurb: "Offset of this fragment in bytes" };
    Ipv6FragMore "ipv6.fragment.more" "More fragments" Bool { mask: 0x0001 };
    Ipv6FragId "ipv6.fragment.id" "Identification" U32 { base: Base::Hex };

    // UDP.
    Udp "udp" "User Datagram Protocol" Protocol { short: "UDP" };
    UdpSrcport "udp.srcport" "Source port" U16;
    UdpDstport "udp.dstport" "Destination port" U16;
    UdpLength "udp.length" "Length" U16;
    UdpChecksum "udp.checksum" "Checksum" U16 { base: Base::Hex };
    UdpChecksumStatus "udp.checksum.status" "Checksum status" Text { blurb: "good, bad, absent (zero over IPv4), partial (left for the NIC), or unverified (packet cut short)" };

    // TCP.
    Tcp "tcp" "Transmission Control Protocol" Protocol { short: "TCP" };
    TcpSrcport "tcp.srcport" "Source port" U16;
    TcpDstport "tcp.dstport" "Destination port" U16;
    TcpSeq "tcp.seq" "Sequence number" U32 { blurb: "Absolute sequence number as on the wire" };
    TcpAck "tcp.ack" "Acknowledgment number" U32;
    TcpHdrLen "tcp.hdr_len" "Header length" U8 { mask: 0xf0, scale: 4, blurb: "Header length in bytes (4 times the data offset)" };
    TcpFlags "tcp.flags" "Flags" U16 { base: Base::Hex, mask: 0x0fff };
    TcpFlagRes "tcp.flags.res" "Reserved" U16 { mask: 0x0e00 };
    TcpFlagAe "tcp.flags.ae" "Accurate ECN" Bool { mask: 0x0100 };
    TcpFlagCwr "tcp.flags.cwr" "Congestion window reduced" Bool { mask: 0x0080 };
    TcpFlagEce "tcp.flags.ece" "ECN-Echo" Bool { mask: 0x0040 };
    TcpFlagUrg "tcp.flags.urg" "Urgent" Bool { mask: 0x0020 };
    TcpFlagAck "tcp.flags.ack" "Acknowledgment" Bool { mask: 0x0010 };
    TcpFlagPush "tcp.flags.push" "Push" Bool { mask: 0x0008 };
    TcpFlagReset "tcp.flags.reset" "Reset" Bool { mask: 0x0004 };
    TcpFlagSyn "tcp.flags.syn" "Syn" Bool { mask: 0x0002 };
    TcpFlagFin "tcp.flags.fin" "Fin" Bool { mask: 0x0001 };
    TcpWindow "tcp.window_size_value" "Window" U16 { blurb: "Window field as on the wire (not scaled)" };
    TcpChecksum "tcp.checksum" "Checksum" U16 { base: Base::Hex };
    TcpChecksumStatus "tcp.checksum.status" "Checksum status" Text { blurb: "good, bad, partial (left for the NIC), or unverified (segment cut short)" };
    TcpUrgentPointer "tcp.urgent_pointer" "Urgent pointer" U16;
    TcpOptions "tcp.options" "Options" Bytes;
    TcpOptionKind "tcp.option_kind" "Option kind" U8 { vals: TCP_OPTION_KINDS };
    TcpOptionLen "tcp.option_len" "Option length" U8;
    TcpOptionMss "tcp.options.mss_val" "Maximum segment size" U16;
    TcpOptionWscale "tcp.options.wscale.shift" "Window scale shift" U8;
    TcpOptionSackLe "tcp.options.sack_le" "SACK left edge" U32;
    TcpOptionSackRe "tcp.options.sack_re" "SACK right edge" U32;
    TcpOptionTsval "tcp.options.timestamp.tsval" "Timestamp value" U32;
    TcpOptionTsecr "tcp.options.timestamp.tsecr" "Timestamp echo reply" U32;
    TcpOptionData "tcp.options.data" "Option data" Bytes;
    TcpLen "tcp.len" "Segment length" U32 { blurb: "Payload bytes the segment carries (from the IP length)" };

    // ICMP.
    Icmp "icmp" "Internet Control Message Protocol" Protocol { short: "ICMP" };
    IcmpType "icmp.type" "Type" U8 { vals: ICMP_TYPES };
    IcmpCode "icmp.code" "Code" U8;
    IcmpChecksum "icmp.checksum" "Checksum" U16 { base: Base::Hex };
    IcmpChecksumStatus "icmp.checksum.status" "Checksum status" Text { blurb: "good, bad, or unverified (message cut short)" };
    IcmpIdent "icmp.ident" "Identifier" U16 { blurb: "Echo identifier: tells pinging processes apart; the reply carries it back" };
    IcmpSeq "icmp.seq" "Sequence number" U16 { blurb: "Echo sequence number: ping counts its requests with it; the reply carries it back" };
    IcmpUnused "icmp.unused" "Unused" Bytes;
    IcmpMtu "icmp.mtu" "Next-hop MTU" U16;
    IcmpGateway "icmp.redir_gw" "Gateway address" Ipv4;
    IcmpPointer "icmp.pointer" "Pointer" U8;
    IcmpRest "icmp.rest" "Rest of header" Bytes;
    IcmpData "icmp.data" "Data" Bytes { blurb: "Bytes after the ICMP header: in an echo request, the ping's data (often starting with the time it was sent), returned in the reply" };

    // ICMPv6.
    Icmpv6 "icmpv6" "Internet Control Message Protocol v6" Protocol { short: "ICMPv6" };
    Icmpv6Type "icmpv6.type" "Type" U8 { vals: ICMPV6_TYPES };
    Icmpv6Code "icmpv6.code" "Code" U8;
    Icmpv6Checksum "icmpv6.checksum" "Checksum" U16 { base: Base::Hex };
    Icmpv6ChecksumStatus "icmpv6.checksum.status" "Checksum status" Text;
    Icmpv6EchoId "icmpv6.echo.identifier" "Identifier" U16;
    Icmpv6EchoSeq "icmpv6.echo.sequence_number" "Sequence number" U16;
    Icmpv6Mtu "icmpv6.mtu" "MTU" U32;
    Icmpv6Pointer "icmpv6.pointer" "Pointer" U32;
    Icmpv6Reserved "icmpv6.reserved" "Reserved" Bytes;
    Icmpv6NdFlags "icmpv6.nd.flags" "Flags" U32 { base: Base::Hex };
    Icmpv6NdTarget "icmpv6.nd.target" "Target address" Ipv6;
    Icmpv6OptType "icmpv6.opt.type" "Option type" U8;
    Icmpv6OptLen "icmpv6.opt.length" "Option length" U8 { blurb: "Length in 8-byte units" };
    Icmpv6OptLinkaddr "icmpv6.opt.linkaddr" "Link-layer address" Mac;
    Icmpv6OptData "icmpv6.opt.data" "Option data" Bytes;
    Icmpv6Data "icmpv6.data" "Data" Bytes;

    // ARP.
    Arp "arp" "Address Resolution Protocol" Protocol { short: "ARP" };
    ArpHwType "arp.hw.type" "Hardware type" U16 { vals: ARP_HW_TYPES };
    ArpProtoType "arp.proto.type" "Protocol type" U16 { base: Base::Hex, vals: ETHERTYPES };
    ArpHwSize "arp.hw.size" "Hardware size" U8;
    ArpProtoSize "arp.proto.size" "Protocol size" U8;
    ArpOpcode "arp.opcode" "Opcode" U16 { vals: ARP_OPCODES };
    ArpSrcHwMac "arp.src.hw_mac" "Sender MAC address" Mac;
    ArpSrcProtoIpv4 "arp.src.proto_ipv4" "Sender IP address" Ipv4;
    ArpDstHwMac "arp.dst.hw_mac" "Target MAC address" Mac;
    ArpDstProtoIpv4 "arp.dst.proto_ipv4" "Target IP address" Ipv4;
    ArpSrcHw "arp.src.hw" "Sender hardware address" Bytes;
    ArpSrcProto "arp.src.proto" "Sender protocol address" Bytes;
    ArpDstHw "arp.dst.hw" "Target hardware address" Bytes;
    ArpDstProto "arp.dst.proto" "Target protocol address" Bytes;

    // VXLAN (RFC 7348), its Group Based Policy extension and VXLAN-GPE.
    Vxlan "vxlan" "Virtual eXtensible Local Area Network" Protocol { short: "VXLAN" };
    VxlanGpe "vxlan_gpe" "VXLAN Generic Protocol Extension" Protocol { short: "VXLAN-GPE" };
    VxlanFlags "vxlan.flags" "Flags" U8 { base: Base::Hex, blurb: "0x08 (I) in every flannel packet" };
    VxlanFlagG "vxlan.flag_g" "GBP extension (G)" Bool { mask: 0x80 };
    VxlanFlagI "vxlan.flag_i" "VNI valid (I)" Bool { mask: 0x08 };
    VxlanFlagsReserved "vxlan.flags_reserved" "Reserved flags" U8 { base: Base::Hex, mask: 0x77, blurb: "Must be zero: Linux drops the packet otherwise" };
    VxlanGbpFlags "vxlan.gbp_flags" "Group policy flags" U8 { base: Base::Hex };
    VxlanFlagD "vxlan.flag_d" "Don't learn (D)" Bool { mask: 0x40 };
    VxlanFlagA "vxlan.flag_a" "Policy applied (A)" Bool { mask: 0x08 };
    VxlanGbpFlagsReserved "vxlan.gbp_flags_reserved" "Reserved group policy flags" U8 { base: Base::Hex, mask: 0xb7 };
    VxlanGbp "vxlan.gbp" "Group policy ID" U16;
    VxlanReserved "vxlan.reserved" "Reserved" U24 { base: Base::Hex, blurb: "24 reserved bits after the flags: zero in RFC 7348 VXLAN" };
    VxlanGpeVersion "vxlan.version" "Version" U8 { mask: 0x30 };
    VxlanFlagP "vxlan.flag_p" "Next protocol present (P)" Bool { mask: 0x04 };
    VxlanFlagB "vxlan.flag_b" "BUM traffic (B)" Bool { mask: 0x02 };
    VxlanFlagO "vxlan.flag_o" "OAM (O)" Bool { mask: 0x01 };
    VxlanGpeFlagsReserved "vxlan.gpe_flags_reserved" "Reserved flags" U8 { base: Base::Hex, mask: 0xc0 };
    VxlanReserved16 "vxlan.reserved16" "Reserved" U16 { base: Base::Hex };
    VxlanNextProto "vxlan.next_proto" "Next protocol" U8 { vals: GPE_NEXT_PROTOCOLS };
    VxlanVni "vxlan.vni" "VNI" U24 { blurb: "VXLAN Network Identifier (1 for flannel on Linux)" };
    VxlanReserved8 "vxlan.reserved8" "Reserved" U8 { base: Base::Hex };

    // The same 8 bytes read as OTV, as tcpdump 4.99 and older print UDP 8472.
    Otv "otv" "Overlay Transport Virtualization (IANA's reading of UDP 8472)" Protocol { short: "OTV" };
    OtvFlags "otv.flags" "Flags" U8 { base: Base::Hex };
    OtvOverlay "otv.overlay" "Overlay ID" U24;
    OtvInstance "otv.instance" "Instance ID" U24;
    OtvReserved "otv.reserved" "Reserved" U8 { base: Base::Hex };

    // Flannel annotations: computed from the topology (kubectl, node command outputs, the capture itself), with
    // no bytes of their own; each sits at the offset of the field it was derived from.
    Flannel "flannel" "Flannel" Protocol { short: "Flannel" };
    FlannelSrcNode "flannel.src_node" "Source node" Text { blurb: "Node whose public IP is the outer source address" };
    FlannelDstNode "flannel.dst_node" "Destination node" Text { blurb: "Node whose public IP is the outer destination address" };
    FlannelSrcVtepNode "flannel.src_vtep_node" "Source VTEP's node" Text { blurb: "Node whose flannel.1 MAC (VTEP MAC) is the inner source MAC" };
    FlannelDstVtepNode "flannel.dst_vtep_node" "Destination VTEP's node" Text { blurb: "Node whose flannel.1 MAC (VTEP MAC) is the inner destination MAC" };
    FlannelSrcPodSubnet "flannel.src_pod_subnet" "Source pod subnet" IpNet { blurb: "Pod subnet (podCIDR) holding the inner source address" };
    FlannelDstPodSubnet "flannel.dst_pod_subnet" "Destination pod subnet" IpNet { blurb: "Pod subnet (podCIDR) holding the inner destination address" };
    FlannelSrcSubnetNode "flannel.src_subnet_node" "Source pod subnet's node" Text { blurb: "Node that owns the source pod subnet" };
    FlannelDstSubnetNode "flannel.dst_subnet_node" "Destination pod subnet's node" Text { blurb: "Node that owns the destination pod subnet" };
    FlannelSrcRole "flannel.src_role" "Source address role" Text { blurb: "pod, vtep (the X.0 address of flannel.1), gateway (the X.1 address of cni0), or outside (not in the cluster network)" };
    FlannelDstRole "flannel.dst_role" "Destination address role" Text { blurb: "pod, vtep (X.0, flannel.1), gateway (X.1, cni0), or outside" };
    FlannelSrcPod "flannel.src_pod" "Source pod" Text;
    FlannelDstPod "flannel.dst_pod" "Destination pod" Text;
    FlannelSrcNamespace "flannel.src_namespace" "Source pod's namespace" Text;
    FlannelDstNamespace "flannel.dst_namespace" "Destination pod's namespace" Text;
    FlannelSrcPodNode "flannel.src_pod_node" "Source pod's node" Text { blurb: "Node the source pod runs on, as the pod list says" };
    FlannelDstPodNode "flannel.dst_pod_node" "Destination pod's node" Text { blurb: "Node the destination pod runs on, as the pod list says" };

    // Bytes no dissector claims.
    Data "data" "Data" Protocol { short: "Data" };
    DataData "data.data" "Data" Bytes;
    DataLen "data.len" "Length" U32;

    // Flow hashes, computed from the IP and transport headers of a scope (no bytes of their own).
    CommunityId "community_id" "Community ID" Text { blurb: "Community ID of this scope's IP flow (corelight's spec, version 1, seed 0): community_id the outer flow, inner.community_id the encapsulated one, to join Zeek's or Suricata's records" };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbrevs_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for def in FIELDS {
            assert!(seen.insert(def.abbrev), "duplicate abbrev {}", def.abbrev);
            assert!(!def.abbrev.is_empty() && !def.name.is_empty());
            assert!(
                def.abbrev.bytes().all(|b| b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || b == b'.'
                    || b == b'_'),
                "{}",
                def.abbrev
            );
        }
        assert_eq!(FieldId::ALL.len(), FIELDS.len());
        for (i, id) in FieldId::ALL.iter().enumerate() {
            assert_eq!(id.index(), i);
        }
    }

    #[test]
    fn protocols_and_only_protocols_have_a_short_name() {
        for def in FIELDS {
            assert_eq!(
                def.kind == Kind::Protocol,
                !def.short.is_empty(),
                "{}: a protocol has a short name, a field none",
                def.abbrev
            );
        }
    }

    #[test]
    fn scoped_abbrevs() {
        assert_eq!(scoped_abbrev(FieldId::IpSrc, Scope::OUTER), "ip.src");
        let inner = Scope::OUTER.encapsulated().unwrap();
        assert_eq!(scoped_abbrev(FieldId::IpSrc, inner), "inner.ip.src");
        let quoted_inner = Scope::OUTER.quoted().unwrap().encapsulated().unwrap();
        assert_eq!(
            scoped_abbrev(FieldId::IcmpSeq, quoted_inner),
            "quoted.inner.icmp.seq"
        );
        assert_eq!(inner.quoted().unwrap().prefix(), "inner.quoted.");
        let deepest = inner.encapsulated().unwrap().encapsulated().unwrap();
        assert_eq!(deepest.prefix(), "inner.inner.inner.");
        assert_eq!(deepest.encapsulated(), None);
        assert_eq!(quoted_inner.encapsulated(), None);
        assert_eq!(quoted_inner.quoted(), None);
        assert_eq!(quoted_inner.total_depth(), 1);
    }

    #[test]
    fn hex_width_follows_mask_or_kind() {
        assert_eq!(FieldId::VxlanFlags.def().hex_width(), 2);
        assert_eq!(FieldId::IpFlags.def().hex_width(), 1);
        assert_eq!(FieldId::TcpFlags.def().hex_width(), 3);
        assert_eq!(FieldId::EthType.def().hex_width(), 4);
    }
}
