//! The Internet checksum (RFC 1071) and the pseudo-headers of UDP, TCP and ICMPv6.

use crate::value::IpBytes;

/// Adds `data` to a running one's-complement sum (not yet folded). An odd trailing byte is padded with zero.
#[inline]
pub fn sum(acc: u64, data: &[u8]) -> u64 {
    // The words are added in the machine's byte order and the folded sum is put back in network order: a
    // one's-complement sum does not depend on the byte order (RFC 1071, 2(B)), nor on the width of the words
    // added, as long as each carry out of the top is added back in. 64-bit words add into 128 bits (an add
    // and an add-with-carry each), folded to 64 bits with that carry at the end.
    let mut wide = 0u128;
    let mut chunks = data.chunks_exact(16);
    for c in &mut chunks {
        let a = u64::from_ne_bytes(c[..8].try_into().expect("8 bytes"));
        let b = u64::from_ne_bytes(c[8..].try_into().expect("8 bytes"));
        wide += u128::from(a) + u128::from(b);
    }
    let (low, carry) = (wide as u64).overflowing_add((wide >> 64) as u64);
    let sum64 = low + u64::from(carry);
    // To 33 bits, so that the last few words cannot overflow.
    let mut native = (sum64 & 0xffff_ffff) + (sum64 >> 32);
    let mut rest = chunks.remainder();
    while rest.len() >= 2 {
        native += u64::from(u16::from_ne_bytes([rest[0], rest[1]]));
        rest = &rest[2..];
    }
    if let [last] = rest {
        native += u64::from(u16::from_ne_bytes([*last, 0]));
    }
    let folded = fold(native);
    let network = if cfg!(target_endian = "little") {
        folded.swap_bytes()
    } else {
        folded
    };
    acc + u64::from(network)
}

/// Folds a running sum to 16 bits (without complementing).
#[inline]
pub fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The checksum of `data`: the complement of its folded sum.
pub fn checksum(data: &[u8]) -> u16 {
    !fold(sum(0, data))
}

/// The running sum of the pseudo-header of a transport segment of `len` bytes and protocol `proto`.
pub fn pseudo_header_sum(src: &IpBytes, dst: &IpBytes, proto: u8, len: u32) -> u64 {
    sum(sum(0, src.as_bytes()), dst.as_bytes())
        + u64::from(proto)
        + u64::from(len >> 16)
        + u64::from(len & 0xffff)
}

/// What a transport or ICMP checksum turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Good,
    Bad {
        expected: u16,
    },
    /// Zero in a UDP datagram over IPv4: no checksum.
    Absent,
    /// The field holds only the pseudo-header sum: checksum offload on the sending host, which will write
    /// `expected` there.
    Partial {
        expected: u16,
    },
    /// The outer checksum of a tunnel computed by local checksum offload (LCO): right once the partial
    /// checksums of the packet it carries are filled in.
    Lco,
    /// The segment was not captured whole (or is a fragment).
    Unverified,
}

impl Status {
    /// The word of [`Status::Partial`], for readers of the status fields.
    pub const PARTIAL: &'static str = "partial";

    /// The word the `*.checksum.status` fields hold.
    pub fn word(self) -> &'static str {
        match self {
            Status::Good => "good",
            Status::Bad { .. } => "bad",
            Status::Absent => "absent",
            Status::Partial { .. } => Status::PARTIAL,
            Status::Lco => "lco",
            Status::Unverified => "unverified",
        }
    }
}

/// Verifies the checksum of a whole transport segment (`segment` includes the checksum field) with its
/// pseudo-header sum, recognising the partial value that checksum offload leaves on the sender.
pub fn verify_transport(segment: &[u8], pseudo: u64, field: u16) -> Status {
    let total = fold(sum(pseudo, segment));
    if total == 0xffff || (total == 0 && field == 0) {
        return Status::Good;
    }
    let expected = without_field(sum(pseudo, segment), field);
    let pseudo_folded = fold(pseudo);
    if field == pseudo_folded || field == !pseudo_folded {
        return Status::Partial { expected };
    }
    Status::Bad { expected }
}

/// The partial checksums inside a tunnel's payload (checksum offload on the sending host), as the difference
/// their filling in will make to any one's-complement sum over them. An outer UDP checksum computed with local
/// checksum offload (LCO, the kernel's `Documentation/networking/checksum-offloads.rst`) already counts that
/// difference: the kernel sums the outer headers and takes the inner segment, whose checksum is not yet
/// written, as summing to what it will once written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PendingFill {
    /// The one's-complement sum of `expected - field` over the partial checksums (not folded).
    pub delta: u64,
    /// How many partial checksums there are.
    pub count: u32,
    /// The protocol of the last one (`"TCP"`, `"UDP"`).
    pub what: &'static str,
}

impl PendingFill {
    /// Adds a partial checksum `field` that will become `expected`.
    pub fn add(&mut self, what: &'static str, field: u16, expected: u16) {
        self.delta += u64::from(expected) + u64::from(!field);
        self.count += 1;
        self.what = what;
    }

    /// Adds the partial checksums of `inner` (a tunnel inside this one).
    pub fn merge(&mut self, inner: PendingFill) {
        if inner.count > 0 {
            self.delta += inner.delta;
            self.count += inner.count;
            self.what = inner.what;
        }
    }

    /// Whether a checksum whose running sum over its data (pseudo-header and the field included) is `total`
    /// is right once these partial checksums are filled in: what LCO computes. False when there are none.
    pub fn completes(&self, total: u64) -> bool {
        self.count > 0 && fold(total + self.delta) == 0xffff
    }
}

/// The checksum the data should carry, given the running sum of the data including the checksum field as it
/// is: the field is taken back out (one's-complement subtraction) and the rest complemented.
pub fn without_field(acc: u64, field: u16) -> u16 {
    !fold(u64::from(fold(acc)) + u64::from(!field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the sum of these words is 0xddf2 (folded).
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum(0, &data)), 0xddf2);
        assert_eq!(checksum(&data), !0xddf2);
    }

    #[test]
    fn seed_ipv4_header() {
        let hdr = hex::decode("450000867586000040110000ac106465ac106466").unwrap();
        assert_eq!(checksum(&hdr), 0xe3f4);
    }

    #[test]
    fn sums_agree_with_adding_16_bit_words() {
        // Every length from 0 to 299 of pseudo-random bytes, against the definition: big-endian words.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let bytes: Vec<u8> = (0..300)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for len in 0..bytes.len() {
            let data = &bytes[..len];
            let by_words: u64 = data
                .chunks(2)
                .map(|w| u64::from(u16::from_be_bytes([w[0], w.get(1).copied().unwrap_or(0)])))
                .sum();
            assert_eq!(fold(sum(7, data)), fold(by_words + 7), "{len} bytes");
        }
        // All ones: the largest words, and carries out of every width.
        assert_eq!(fold(sum(0, &[0xff; 1500])), 0xffff);
        assert_eq!(fold(sum(0, &[0xff; 65536])), 0xffff);
        let mut big = vec![0xff; 9001];
        big[9000] = 0x01;
        let by_words: u64 = big
            .chunks(2)
            .map(|w| u64::from(u16::from_be_bytes([w[0], w.get(1).copied().unwrap_or(0)])))
            .sum();
        assert_eq!(fold(sum(0, &big)), fold(by_words));
    }

    #[test]
    fn odd_lengths_pad_with_zero() {
        assert_eq!(fold(sum(0, &[0xab])), 0xab00);
        assert_eq!(
            fold(sum(0, &[1, 2, 3, 4, 5, 6, 7, 8, 9])),
            fold(sum(0, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 0]))
        );
    }

    #[test]
    fn transport_statuses() {
        let src = IpBytes::V4([10, 0, 0, 1]);
        let dst = IpBytes::V4([10, 0, 0, 2]);
        let mut seg = vec![0x30, 0x39, 0x00, 0x35, 0x00, 0x0a, 0x00, 0x00, b'h', b'i'];
        let pseudo = pseudo_header_sum(&src, &dst, 17, seg.len() as u32);
        let good = !fold(sum(pseudo, &seg));
        seg[6..8].copy_from_slice(&good.to_be_bytes());
        assert_eq!(verify_transport(&seg, pseudo, good), Status::Good);
        seg[6..8].copy_from_slice(&0x1234u16.to_be_bytes());
        assert_eq!(
            verify_transport(&seg, pseudo, 0x1234),
            Status::Bad { expected: good }
        );
        let partial = fold(pseudo);
        seg[6..8].copy_from_slice(&partial.to_be_bytes());
        assert_eq!(
            verify_transport(&seg, pseudo, partial),
            Status::Partial { expected: good }
        );
    }

    #[test]
    fn pending_fill_completes_an_lco_sum() {
        // An outer datagram carrying an inner segment whose checksum is partial: the outer checksum is computed
        // over the inner segment with its checksum filled in, then the inner one is put back to partial.
        let src = IpBytes::V4([10, 0, 0, 1]);
        let dst = IpBytes::V4([10, 0, 0, 2]);
        let inner_pseudo = pseudo_header_sum(&src, &dst, 6, 8);
        let mut inner = vec![0x1f, 0x90, 0x9c, 0x40, 0x00, 0x00, 0xab, 0xcd];
        let complete = !fold(sum(inner_pseudo, &inner));
        let partial = fold(inner_pseudo);
        let mut outer = vec![0x12, 0x34, 0x21, 0x18, 0, 16, 0, 0];
        outer.extend_from_slice(&inner);
        let outer_pseudo = pseudo_header_sum(&src, &dst, 17, outer.len() as u32);
        outer[8 + 4..8 + 6].copy_from_slice(&complete.to_be_bytes());
        let lco = !fold(sum(outer_pseudo, &outer));
        outer[6..8].copy_from_slice(&lco.to_be_bytes());
        outer[8 + 4..8 + 6].copy_from_slice(&partial.to_be_bytes());
        inner[4..6].copy_from_slice(&partial.to_be_bytes());
        assert_eq!(
            verify_transport(&inner, inner_pseudo, partial),
            Status::Partial { expected: complete }
        );
        let total = sum(outer_pseudo, &outer);
        assert_ne!(fold(total), 0xffff, "wrong as it is");
        let mut fill = PendingFill::default();
        assert!(
            !fill.completes(total),
            "no partial checksum, nothing to complete"
        );
        fill.add("TCP", partial, complete);
        assert!(fill.completes(total));
        // One bit off in the outer checksum: no longer what LCO computes.
        outer[7] ^= 1;
        assert!(!fill.completes(sum(outer_pseudo, &outer)));
    }
}
