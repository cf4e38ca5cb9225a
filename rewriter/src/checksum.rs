//! Checksum updates of the rewrites. The sums themselves are the dissector's ([`vxscope_dissector::checksum`]).

use vxscope_dissector::checksum::{fold, pseudo_header_sum, sum, without_field};
use vxscope_dissector::value::IpBytes;

/// The checksum of data whose bytes `old` became `new` (RFC 1624, equation 3: `HC' = ~(~HC + ~m + m')`).
/// `old` and `new` have the same even length and start at an even offset of the checksummed data. A checksum
/// that was right stays right; one that was wrong stays wrong by as much.
pub fn update(checksum: u16, old: &[u8], new: &[u8]) -> u16 {
    debug_assert_eq!(old.len(), new.len());
    let mut acc = u64::from(!checksum);
    for (o, n) in old.chunks(2).zip(new.chunks(2)) {
        let word = |b: &[u8]| u16::from_be_bytes([b[0], b.get(1).copied().unwrap_or(0)]);
        acc += u64::from(!word(o)) + u64::from(word(n));
    }
    !fold(acc)
}

/// The UDP checksum as it goes on the wire: a computed 0 is sent as 0xffff (0 means "no checksum").
pub fn udp_wire(checksum: u16) -> u16 {
    if checksum == 0 { 0xffff } else { checksum }
}

/// The UDP checksum of a whole datagram (`datagram` holds the header, its checksum field zero or not).
pub fn udp(src: &IpBytes, dst: &IpBytes, datagram: &[u8], checksum_field: u16) -> u16 {
    let pseudo = pseudo_header_sum(src, dst, 17, datagram.len() as u32);
    // The checksum is computed with the field zero: take it back out of the sum.
    udp_wire(without_field(sum(pseudo, datagram), checksum_field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vxscope_dissector::checksum::checksum;

    #[test]
    fn incremental_update_agrees_with_a_full_computation() {
        // The seed packet's outer IPv4 header: TTL 64 to 63 changes the word TTL|protocol.
        let mut header =
            hex::decode("4500008675860000 4011e3f4ac106465ac106466".replace(' ', "")).unwrap();
        assert_eq!(checksum(&header), 0);
        let old = header[8..10].to_vec();
        header[8] = 63;
        let updated = update(0xe3f4, &old, &header[8..10]);
        header[10..12].copy_from_slice(&[0, 0]);
        assert_eq!(updated, checksum(&header));
    }

    #[test]
    fn udp_checksum_of_a_datagram() {
        // 192.168.0.1:53 > 192.168.0.2:53, 4 bytes of payload, as computed by hand (RFC 768).
        let src = IpBytes::V4([192, 168, 0, 1]);
        let dst = IpBytes::V4([192, 168, 0, 2]);
        let mut datagram = hex::decode("00350035000c000001020304").unwrap();
        let c = udp(&src, &dst, &datagram, 0);
        datagram[6..8].copy_from_slice(&c.to_be_bytes());
        let pseudo = pseudo_header_sum(&src, &dst, 17, 12);
        assert_eq!(fold(sum(pseudo, &datagram)), 0xffff);
        // The field's value does not matter.
        assert_eq!(udp(&src, &dst, &datagram, c), c);
        // A changed port, updated incrementally, gives what a full computation gives.
        let before = datagram.clone();
        datagram[2..4].copy_from_slice(&4789u16.to_be_bytes());
        let incremental = update(c, &before[2..4], &datagram[2..4]);
        assert_eq!(incremental, udp(&src, &dst, &datagram, c));
        assert_eq!(udp_wire(0), 0xffff);
    }
}
