//! Field values, and how they are written as text.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::fields::{Base, FieldDef};

/// An IPv4 or IPv6 network (a pod subnet), stored inline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpNet {
    pub addr: IpBytes,
    pub prefix: u8,
}

/// An address of either family, stored inline (no allocation, `Copy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IpBytes {
    V4([u8; 4]),
    V6([u8; 16]),
}

impl IpBytes {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            IpBytes::V4(a) => a,
            IpBytes::V6(a) => a,
        }
    }

    pub fn to_ip(self) -> std::net::IpAddr {
        match self {
            IpBytes::V4(a) => Ipv4Addr::from(a).into(),
            IpBytes::V6(a) => Ipv6Addr::from(a).into(),
        }
    }

    pub fn from_ip(ip: std::net::IpAddr) -> IpBytes {
        match ip {
            std::net::IpAddr::V4(a) => IpBytes::V4(a.octets()),
            std::net::IpAddr::V6(a) => IpBytes::V6(a.octets()),
        }
    }

    /// The value a field of this address holds.
    pub fn value<'d>(self) -> Value<'d> {
        match self {
            IpBytes::V4(a) => Value::Ipv4(a),
            IpBytes::V6(a) => Value::Ipv6(a),
        }
    }
}

impl std::fmt::Display for IpBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IpBytes::V4(a) => Ipv4Addr::from(*a).fmt(f),
            IpBytes::V6(a) => Ipv6Addr::from(*a).fmt(f),
        }
    }
}

impl IpNet {
    /// The network of `prefix` bits holding `ip` (the host bits cleared).
    pub fn of(ip: IpBytes, prefix: u8) -> IpNet {
        let addr = match ip {
            IpBytes::V4(a) => {
                let keep = u32::MAX
                    .checked_shl(32 - u32::from(prefix.min(32)))
                    .unwrap_or(0);
                IpBytes::V4((u32::from_be_bytes(a) & keep).to_be_bytes())
            }
            IpBytes::V6(a) => {
                let keep = u128::MAX
                    .checked_shl(128 - u32::from(prefix.min(128)))
                    .unwrap_or(0);
                IpBytes::V6((u128::from_be_bytes(a) & keep).to_be_bytes())
            }
        };
        IpNet { addr, prefix }
    }

    /// Whether `addr` lies in this network.
    pub fn contains(&self, addr: IpBytes) -> bool {
        match (self.addr, addr) {
            (IpBytes::V4(n), IpBytes::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix.min(32)))
                    .unwrap_or(0);
                (u32::from_be_bytes(n) ^ u32::from_be_bytes(a)) & mask == 0
            }
            (IpBytes::V6(n), IpBytes::V6(a)) => prefix_eq(&n, &a, self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(net: &[u8], addr: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8).min(net.len());
    let rest = prefix % 8;
    if net[..full] != addr[..full] {
        return false;
    }
    if full == net.len() || rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (net[full] & mask) == (addr[full] & mask)
}

impl std::fmt::Display for IpNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The value of one field of one frame. `Copy` and allocation-free: text borrows from the dissector (its
/// topology), bytes are the field's own range of the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'d> {
    /// No value: a protocol, or bytes shown only by their range.
    None,
    Bool(bool),
    UInt(u64),
    Mac([u8; 6]),
    Ipv4([u8; 4]),
    Ipv6([u8; 16]),
    /// The field's bytes in the frame.
    Bytes,
    Text(&'d str),
    Net(IpNet),
    /// A Community ID flow hash (its SHA-1 digest), written `1:` and base64.
    CommunityId([u8; 20]),
}

impl Value<'_> {
    /// The integer, if the value is one (booleans count as 0 or 1).
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::UInt(v) => Some(v),
            Value::Bool(b) => Some(u64::from(b)),
            _ => None,
        }
    }

    /// The address, if the value is one (the inverse of [`IpBytes::value`]).
    pub fn as_ip(&self) -> Option<IpBytes> {
        match *self {
            Value::Ipv4(a) => Some(IpBytes::V4(a)),
            Value::Ipv6(a) => Some(IpBytes::V6(a)),
            _ => None,
        }
    }
}

/// Low-level writers into a byte buffer: the renderers' hot path uses these instead of `format!`.
pub mod write {
    use super::*;

    const HEX: &[u8; 16] = b"0123456789abcdef";

    /// The two hex digits of every byte.
    static HEX_PAIRS: [[u8; 2]; 256] = {
        let mut t = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = [HEX[i >> 4], HEX[i & 0xf]];
            i += 1;
        }
        t
    };

    /// The two decimal digits of 0 to 99.
    static DEC_PAIRS: [[u8; 2]; 100] = {
        let mut t = [[0u8; 2]; 100];
        let mut i = 0;
        while i < 100 {
            t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
            i += 1;
        }
        t
    };

    #[inline]
    pub fn u64_dec(out: &mut Vec<u8>, v: u64) {
        if v < 10 {
            out.push(b'0' + v as u8);
            return;
        }
        // Most numbers of a line (ports, lengths, sequence numbers of a short capture) have few digits.
        let width = match v {
            ..100 => 2,
            100..1_000 => 3,
            1_000..10_000 => 4,
            10_000..100_000 => 5,
            _ => v.ilog10() as usize + 1,
        };
        u64_dec_padded(out, v, width);
    }

    /// `v` in decimal, with zeros before it to make `width` digits, or its last `width` digits if it has
    /// more (`width` at most 20). The digits are written into a buffer from its `width`th byte back, which is
    /// then appended whole and cut back: no `memcpy` of a variable length.
    #[inline]
    pub fn u64_dec_padded(out: &mut Vec<u8>, mut v: u64, width: usize) {
        let width = width.min(20);
        let mut buf = [b'0'; 20];
        let mut i = width;
        while i >= 2 {
            i -= 2;
            buf[i..i + 2].copy_from_slice(&DEC_PAIRS[(v % 100) as usize]);
            v /= 100;
        }
        if i == 1 {
            buf[0] = b'0' + (v % 10) as u8;
        }
        append_prefix(out, &buf, width);
    }

    /// Appends the first `len` bytes of `buf`. Appending the whole array (of a size known when compiling) and
    /// cutting back is a few stores, where appending a slice of variable length calls `memcpy`.
    #[inline(always)]
    fn append_prefix<const N: usize>(out: &mut Vec<u8>, buf: &[u8; N], len: usize) {
        let start = out.len();
        out.extend_from_slice(buf);
        out.truncate(start + len);
    }

    /// `0x` and `width` hex digits (more if the value needs them).
    #[inline]
    pub fn u64_hex(out: &mut Vec<u8>, v: u64, width: usize) {
        out.extend_from_slice(b"0x");
        let digits = (16 - (v.leading_zeros() as usize) / 4).max(width).max(1);
        for i in (0..digits).rev() {
            out.push(HEX[((v >> (i * 4)) & 0xf) as usize]);
        }
    }

    #[inline]
    pub fn mac(out: &mut Vec<u8>, m: &[u8; 6]) {
        let mut text = [b':'; 17];
        for (i, b) in m.iter().enumerate() {
            text[3 * i..3 * i + 2].copy_from_slice(&HEX_PAIRS[usize::from(*b)]);
        }
        out.extend_from_slice(&text);
    }

    #[inline]
    pub fn ipv4(out: &mut Vec<u8>, a: &[u8; 4]) {
        // At most 15 bytes: built on the stack, appended once.
        let mut text = [0u8; 15];
        let mut len = 0;
        for (i, b) in a.iter().enumerate() {
            if i > 0 {
                text[len] = b'.';
                len += 1;
            }
            let (digits, n) = &OCTETS[usize::from(*b)];
            text[len..len + 3].copy_from_slice(digits);
            len += usize::from(*n);
        }
        append_prefix(out, &text, len);
    }

    /// The decimal digits of every byte value, and how many there are.
    static OCTETS: [([u8; 3], u8); 256] = {
        let mut t = [([0u8; 3], 0u8); 256];
        let mut i = 0;
        while i < 256 {
            let (h, d, u) = ((i / 100) as u8, (i / 10 % 10) as u8, (i % 10) as u8);
            t[i] = if i >= 100 {
                ([b'0' + h, b'0' + d, b'0' + u], 3)
            } else if i >= 10 {
                ([b'0' + d, b'0' + u, 0], 2)
            } else {
                ([b'0' + u, 0, 0], 1)
            };
            i += 1;
        }
        t
    };

    pub fn ipv6(out: &mut Vec<u8>, a: &[u8; 16]) {
        use std::io::Write;
        let _ = write!(out, "{}", Ipv6Addr::from(*a));
    }

    pub fn ip(out: &mut Vec<u8>, a: &IpBytes) {
        match a {
            IpBytes::V4(a) => ipv4(out, a),
            IpBytes::V6(a) => ipv6(out, a),
        }
    }

    /// Bytes as contiguous lowercase hex.
    pub fn hex_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
        out.reserve(2 * bytes.len());
        // Eight bytes at a time into a stack buffer, appended at once (payloads are most of a JSON line).
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut text = [0u8; 16];
            for (i, b) in chunk.iter().enumerate() {
                text[2 * i..2 * i + 2].copy_from_slice(&HEX_PAIRS[usize::from(*b)]);
            }
            out.extend_from_slice(&text);
        }
        for b in chunks.remainder() {
            out.extend_from_slice(&HEX_PAIRS[usize::from(*b)]);
        }
    }

    /// A value as text, as the tree, the C ABI and JSON strings show it. `bytes` is the field's range of the
    /// frame (used by [`Value::Bytes`]).
    pub fn value(out: &mut Vec<u8>, def: &FieldDef, value: &Value<'_>, bytes: &[u8]) {
        match value {
            Value::None => {}
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::UInt(v) => match def.base {
                Base::Hex => u64_hex(out, *v, def.hex_width()),
                Base::Dec => u64_dec(out, *v),
            },
            Value::Mac(m) => mac(out, m),
            Value::Ipv4(a) => ipv4(out, a),
            Value::Ipv6(a) => ipv6(out, a),
            Value::Bytes => hex_bytes(out, bytes),
            Value::Text(t) => out.extend_from_slice(t.as_bytes()),
            Value::Net(n) => {
                ip(out, &n.addr);
                out.push(b'/');
                u64_dec(out, u64::from(n.prefix));
            }
            Value::CommunityId(digest) => crate::community_id::write(out, digest),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::FieldId;

    #[test]
    fn networks_of_an_address() {
        assert_eq!(
            IpNet::of(IpBytes::V4([10, 244, 2, 14]), 32).to_string(),
            "10.244.2.14/32"
        );
        let v6 = IpBytes::from_ip("fd00:10:244:2::1e".parse().unwrap());
        assert_eq!(IpNet::of(v6, 64).to_string(), "fd00:10:244:2::/64");
        assert_eq!(IpNet::of(v6, 128).to_string(), "fd00:10:244:2::1e/128");
        assert_eq!(
            IpNet::of(IpBytes::V4([10, 244, 2, 14]), 24).to_string(),
            "10.244.2.0/24"
        );
        assert_eq!(
            IpNet::of(IpBytes::V4([10, 244, 255, 14]), 17).to_string(),
            "10.244.128.0/17"
        );
        assert_eq!(
            IpNet::of(IpBytes::V4([10, 1, 2, 3]), 0).to_string(),
            "0.0.0.0/0"
        );
    }

    fn text(id: FieldId, v: Value<'_>, bytes: &[u8]) -> String {
        let mut out = Vec::new();
        write::value(&mut out, id.def(), &v, bytes);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn values_as_text() {
        assert_eq!(
            text(
                FieldId::EthDst,
                Value::Mac([0, 0x50, 0x56, 0x93, 0x63, 0x3b]),
                &[]
            ),
            "00:50:56:93:63:3b"
        );
        assert_eq!(
            text(FieldId::IpSrc, Value::Ipv4([172, 16, 100, 101]), &[]),
            "172.16.100.101"
        );
        assert_eq!(text(FieldId::VxlanFlags, Value::UInt(8), &[]), "0x08");
        assert_eq!(text(FieldId::EthType, Value::UInt(0x800), &[]), "0x0800");
        assert_eq!(text(FieldId::IpTtl, Value::UInt(63), &[]), "63");
        assert_eq!(text(FieldId::UdpSrcport, Value::UInt(0), &[]), "0");
        assert_eq!(
            text(FieldId::VxlanVni, Value::UInt(16_777_215), &[]),
            "16777215"
        );
        assert_eq!(
            text(FieldId::DataData, Value::Bytes, &[0x0d, 0x1e, 0x55]),
            "0d1e55"
        );
        let v6: [u8; 16] = "2001:db8::1".parse::<Ipv6Addr>().unwrap().octets();
        assert_eq!(text(FieldId::Ipv6Src, Value::Ipv6(v6), &[]), "2001:db8::1");
        assert_eq!(text(FieldId::IpFlags, Value::UInt(2), &[]), "0x2");
    }

    #[test]
    fn decimal_and_hex_writers_match_std() {
        let mut out = Vec::new();
        let samples = (0..2000u64)
            .chain([
                9,
                10,
                99,
                100,
                101,
                65535,
                1_000_000,
                u64::from(u32::MAX),
                u64::MAX,
            ])
            .chain((0..64).map(|s| 1u64 << s))
            .chain((1..20).map(|e| 10u64.pow(e) - 1));
        for v in samples.clone() {
            out.clear();
            write::u64_dec(&mut out, v);
            assert_eq!(out, v.to_string().as_bytes());
        }
        // Zero-padded to a width, or the last digits of a number wider than it (what a fraction of a second
        // cut to fewer digits reads).
        for v in samples {
            for width in 1..=20 {
                out.clear();
                write::u64_dec_padded(&mut out, v, width);
                let full = format!("{v:020}");
                assert_eq!(out, &full.as_bytes()[20 - width..], "{v} in {width} digits");
            }
        }
        let bytes: Vec<u8> = (0..=255).collect();
        out.clear();
        write::hex_bytes(&mut out, &bytes);
        let want: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(out, want.as_bytes());
        out.clear();
        write::mac(&mut out, &[0xfe, 0x90, 0xc4, 0x18, 0x69, 0xa7]);
        assert_eq!(out, b"fe:90:c4:18:69:a7");
        for a in [
            [0, 0, 0, 0],
            [255, 255, 255, 255],
            [10, 244, 1, 12],
            [9, 99, 100, 199],
        ] {
            out.clear();
            write::ipv4(&mut out, &a);
            assert_eq!(out, Ipv4Addr::from(a).to_string().as_bytes());
        }
    }

    #[test]
    fn networks_contain_their_addresses() {
        let net = IpNet {
            addr: IpBytes::V4([10, 244, 2, 0]),
            prefix: 24,
        };
        assert!(net.contains(IpBytes::V4([10, 244, 2, 14])));
        assert!(!net.contains(IpBytes::V4([10, 244, 1, 12])));
        let wide = IpNet {
            addr: IpBytes::V4([10, 244, 0, 0]),
            prefix: 16,
        };
        assert!(wide.contains(IpBytes::V4([10, 244, 200, 1])));
        let odd = IpNet {
            addr: IpBytes::V4([10, 244, 128, 0]),
            prefix: 17,
        };
        assert!(
            IpNet {
                addr: IpBytes::V4([10, 0, 0, 1]),
                prefix: 40
            }
            .contains(IpBytes::V4([10, 0, 0, 1]))
        );
        assert!(odd.contains(IpBytes::V4([10, 244, 200, 1])));
        assert!(!odd.contains(IpBytes::V4([10, 244, 100, 1])));
        let host = IpNet {
            addr: IpBytes::V4([10, 0, 0, 1]),
            prefix: 32,
        };
        assert!(host.contains(IpBytes::V4([10, 0, 0, 1])));
        assert!(!net.contains(IpBytes::V6([0; 16])));
        assert_eq!(net.to_string(), "10.244.2.0/24");
    }
}
