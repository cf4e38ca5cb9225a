//! Helpers of the dissector's tests: packet builders (with their own RFC 1071 checksum, written apart from the
//! dissector's) and lookups of fields by the names a user sees (`inner.ip.ttl`).
#![allow(dead_code)]

use vxscope_dissector::fields::scoped_abbrev;
use vxscope_dissector::notes::NoteCode;
use vxscope_dissector::value::write;
use vxscope_dissector::{Config, Dissection, Dissector, LinkType};

/// A decoded frame, as the tests look at it.
pub struct Decoded {
    pub fields: Vec<(String, u32, u32, String)>,
    pub layers: Vec<(String, u32, u32)>,
    pub notes: Vec<(NoteCode, u32, u32, String)>,
}

impl Decoded {
    /// `(offset, length, value)` of the first field with this full name.
    pub fn get(&self, name: &str) -> Option<(u32, u32, &str)> {
        self.fields
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(_, o, l, v)| (*o, *l, v.as_str()))
    }

    /// The value of the first field with this full name; panics with the frame's fields if absent.
    pub fn value(&self, name: &str) -> &str {
        match self.get(name) {
            Some((_, _, v)) => v,
            None => panic!("no field {name} in {:#?}", self.fields),
        }
    }

    /// Every value of the fields with this full name, in order.
    pub fn values(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(n, ..)| n == name)
            .map(|(.., v)| v.as_str())
            .collect()
    }

    /// Asserts a field's offset, length and value.
    #[track_caller]
    pub fn expect(&self, name: &str, offset: u32, len: u32, value: &str) {
        let got = self.get(name);
        assert_eq!(
            got,
            Some((offset, len, value)),
            "{name}: expected @{offset}+{len} = {value}; fields: {:#?}",
            self.fields
        );
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn has_layer(&self, name: &str) -> bool {
        self.layers.iter().any(|(n, ..)| n == name)
    }

    pub fn layer(&self, name: &str) -> Option<(u32, u32)> {
        self.layers
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(_, o, l)| (*o, *l))
    }

    pub fn note(&self, code: NoteCode) -> Option<(u32, u32, &str)> {
        self.notes
            .iter()
            .find(|(c, ..)| *c == code)
            .map(|(_, o, l, m)| (*o, *l, m.as_str()))
    }

    pub fn noted(&self, code: NoteCode) -> bool {
        self.note(code).is_some()
    }

    pub fn codes(&self) -> Vec<&'static str> {
        self.notes.iter().map(|(c, ..)| c.def().code).collect()
    }
}

/// Dissects `frame` with the default configuration.
pub fn decode(link: LinkType, frame: &[u8]) -> Decoded {
    decode_with(Config::default(), link, frame, frame.len() as u32)
}

/// Dissects `frame` (of `wire_len` bytes on the wire) with `config`, and writes everything out as text.
pub fn decode_with(config: Config, link: LinkType, frame: &[u8], wire_len: u32) -> Decoded {
    let dissector = Dissector::new(config);
    let mut d = Dissection::new();
    dissector.dissect(link, frame, wire_len, &mut d);
    let mut buf = Vec::new();
    let fields = d
        .fields()
        .iter()
        .map(|f| {
            assert!(
                f.range().end <= frame.len(),
                "{} @{}+{} lies past the {}-byte frame",
                scoped_abbrev(f.id, f.scope),
                f.offset,
                f.len,
                frame.len()
            );
            buf.clear();
            write::value(&mut buf, f.id.def(), &f.value, f.bytes(frame));
            (
                scoped_abbrev(f.id, f.scope).to_string(),
                f.offset,
                f.len,
                String::from_utf8(buf.clone()).expect("UTF-8 value"),
            )
        })
        .collect();
    let layers = d
        .layers()
        .iter()
        .map(|l| {
            (
                format!("{}{}", l.scope.prefix(), l.proto.def().abbrev),
                l.offset,
                l.len,
            )
        })
        .collect();
    let notes = d
        .notes()
        .iter()
        .map(|n| {
            buf.clear();
            vxscope_dissector::notes::write_message(&mut buf, n.code, &n.args);
            (
                n.code,
                n.offset,
                n.len,
                String::from_utf8(buf.clone()).expect("UTF-8 message"),
            )
        })
        .collect();
    Decoded {
        fields,
        layers,
        notes,
    }
}

/// The one-line summary of a frame.
pub fn summary(link: LinkType, frame: &[u8]) -> String {
    summary_with(Config::default(), link, frame)
}

pub fn summary_with(config: Config, link: LinkType, frame: &[u8]) -> String {
    let dissector = Dissector::new(config);
    let mut d = Dissection::new();
    dissector.dissect(link, frame, frame.len() as u32, &mut d);
    let mut out = Vec::new();
    vxscope_dissector::render::summary::write(&mut out, &d, frame);
    String::from_utf8(out).expect("UTF-8 summary")
}

pub fn hex(s: &str) -> Vec<u8> {
    hex::decode(s.split_whitespace().collect::<String>()).expect("hex literal")
}

// ---------------------------------------------------------------------------------------------------------
// Builders.

/// The Internet checksum (RFC 1071), sixteen bits at a time.
pub fn inet_checksum(parts: &[&[u8]]) -> u16 {
    let mut bytes = Vec::new();
    for p in parts {
        bytes.extend_from_slice(p);
    }
    if bytes.len() % 2 == 1 {
        bytes.push(0);
    }
    let mut sum: u32 = 0;
    for w in bytes.chunks(2) {
        sum += u32::from(u16::from_be_bytes([w[0], w[1]]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

pub const MAC_A: [u8; 6] = [0x00, 0x50, 0x56, 0x93, 0x6a, 0x3a];
pub const MAC_B: [u8; 6] = [0x00, 0x50, 0x56, 0x93, 0x63, 0x3b];
pub const VTEP_A: [u8; 6] = [0xfe, 0x90, 0xc4, 0x18, 0x69, 0xa7];
pub const VTEP_B: [u8; 6] = [0xb6, 0x72, 0xae, 0x36, 0x7b, 0x6c];

pub fn ethernet(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Options of an IPv4 header (whole 32-bit words).
#[derive(Clone, Copy)]
pub struct Ip4 {
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub proto: u8,
    pub ttl: u8,
    pub id: u16,
    /// Flags and fragment offset word (0x4000 = DF).
    pub flags_frag: u16,
}

impl Ip4 {
    pub fn new(src: [u8; 4], dst: [u8; 4], proto: u8) -> Ip4 {
        Ip4 {
            src,
            dst,
            proto,
            ttl: 64,
            id: 1,
            flags_frag: 0,
        }
    }

    pub fn packet(&self, payload: &[u8]) -> Vec<u8> {
        self.packet_with_options(&[], payload)
    }

    pub fn packet_with_options(&self, options: &[u8], payload: &[u8]) -> Vec<u8> {
        assert_eq!(options.len() % 4, 0);
        let hlen = 20 + options.len();
        let mut h = vec![0x40 | (hlen / 4) as u8, 0];
        h.extend_from_slice(&((hlen + payload.len()) as u16).to_be_bytes());
        h.extend_from_slice(&self.id.to_be_bytes());
        h.extend_from_slice(&self.flags_frag.to_be_bytes());
        h.extend_from_slice(&[self.ttl, self.proto, 0, 0]);
        h.extend_from_slice(&self.src);
        h.extend_from_slice(&self.dst);
        h.extend_from_slice(options);
        let c = inet_checksum(&[&h]);
        h[10..12].copy_from_slice(&c.to_be_bytes());
        h.extend_from_slice(payload);
        h
    }

    /// The pseudo-header of a transport segment of `len` bytes.
    pub fn pseudo(&self, len: usize) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&self.src);
        p.extend_from_slice(&self.dst);
        p.extend_from_slice(&[0, self.proto]);
        p.extend_from_slice(&(len as u16).to_be_bytes());
        p
    }
}

/// The IPv6 pseudo-header of a transport segment.
pub fn pseudo6(src: &[u8; 16], dst: &[u8; 16], proto: u8, len: usize) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(src);
    p.extend_from_slice(dst);
    p.extend_from_slice(&(len as u32).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, proto]);
    p
}

/// An IPv6 header (40 bytes) followed by `payload` (extension headers included), next header `next`.
pub fn ipv6(src: &[u8; 16], dst: &[u8; 16], next: u8, hlim: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    h.extend_from_slice(&[next, hlim]);
    h.extend_from_slice(src);
    h.extend_from_slice(dst);
    h.extend_from_slice(payload);
    h
}

pub fn ip6(s: &str) -> [u8; 16] {
    s.parse::<std::net::Ipv6Addr>()
        .expect("IPv6 address")
        .octets()
}

/// A UDP datagram; `pseudo` is the pseudo-header to checksum over, or `None` for checksum 0.
pub fn udp(sport: u16, dport: u16, payload: &[u8], pseudo: Option<&[u8]>) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&sport.to_be_bytes());
    u.extend_from_slice(&dport.to_be_bytes());
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    if let Some(p) = pseudo {
        let c = match inet_checksum(&[p, &u]) {
            0 => 0xffff,
            c => c,
        };
        u[6..8].copy_from_slice(&c.to_be_bytes());
    }
    u
}

/// An ICMP (or ICMPv6, with `pseudo`) message with its checksum.
pub fn icmp(kind: u8, code: u8, rest: [u8; 4], body: &[u8], pseudo: Option<&[u8]>) -> Vec<u8> {
    let mut m = vec![kind, code, 0, 0];
    m.extend_from_slice(&rest);
    m.extend_from_slice(body);
    let c = inet_checksum(&[pseudo.unwrap_or(&[]), &m]);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    m
}

/// A VXLAN header as flannel sends it.
pub fn vxlan(vni: u32) -> Vec<u8> {
    let v = vni.to_be_bytes();
    vec![0x08, 0, 0, 0, v[1], v[2], v[3], 0]
}

/// The ping of the seed packet between the pods (inner frame, 98 bytes).
pub fn inner_ping(seq: u16) -> Vec<u8> {
    let mut data = vec![0x0d, 0x1e, 0x55, 0xcf];
    data.resize(56, 0);
    let ip = Ip4 {
        ttl: 63,
        id: 0x2305,
        flags_frag: 0x4000,
        ..Ip4::new([10, 244, 1, 12], [10, 244, 2, 14], 1)
    };
    let mut rest = [0u8; 4];
    rest[..2].copy_from_slice(&3143u16.to_be_bytes());
    rest[2..].copy_from_slice(&seq.to_be_bytes());
    ethernet(
        VTEP_B,
        VTEP_A,
        0x0800,
        &ip.packet(&icmp(8, 0, rest, &data, None)),
    )
}

/// A VXLAN packet between the two nodes carrying `inner`, outer UDP checksum 0 (Linux's default).
pub fn flannel(sport: u16, dport: u16, inner: &[u8]) -> Vec<u8> {
    let mut payload = vxlan(1);
    payload.extend_from_slice(inner);
    let ip = Ip4 {
        id: 0x7586,
        ..Ip4::new([172, 16, 100, 101], [172, 16, 100, 102], 17)
    };
    ethernet(
        MAC_B,
        MAC_A,
        0x0800,
        &ip.packet(&udp(sport, dport, &payload, None)),
    )
}
