//! Link-layer header types of capture files (tcpdump.org's LINKTYPE_ values).

/// A capture file's link-layer header type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: a 4-byte address family in the byte order of the capturing host.
    pub const NULL: LinkType = LinkType(0);
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP on OpenBSD (DLT_RAW as some systems number it).
    pub const RAW_OPENBSD: LinkType = LinkType(12);
    /// Raw IP on BSD/OS (DLT_RAW as some systems number it).
    pub const RAW_BSDOS: LinkType = LinkType(14);
    /// Raw IPv4 or IPv6, told apart by the version nibble.
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: a 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture (`tcpdump -i any` before libpcap 1.10).
    pub const LINUX_SLL: LinkType = LinkType(113);
    pub const IPV4: LinkType = LinkType(228);
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2 (`tcpdump -i any` with libpcap 1.10 and later).
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// Every link type the dissector decodes.
    pub const DECODED: [LinkType; 10] = [
        LinkType::NULL,
        LinkType::ETHERNET,
        LinkType::RAW_OPENBSD,
        LinkType::RAW_BSDOS,
        LinkType::RAW,
        LinkType::LOOP,
        LinkType::LINUX_SLL,
        LinkType::IPV4,
        LinkType::IPV6,
        LinkType::LINUX_SLL2,
    ];

    /// tcpdump's name for the link type, if the dissector decodes it.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            LinkType::NULL => "NULL",
            LinkType::ETHERNET => "EN10MB",
            LinkType::RAW | LinkType::RAW_OPENBSD | LinkType::RAW_BSDOS => "RAW",
            LinkType::LOOP => "LOOP",
            LinkType::LINUX_SLL => "LINUX_SLL",
            LinkType::IPV4 => "IPV4",
            LinkType::IPV6 => "IPV6",
            LinkType::LINUX_SLL2 => "LINUX_SLL2",
            _ => return None,
        })
    }

    /// Whether the dissector decodes frames of this link type.
    pub fn is_supported(self) -> bool {
        self.name().is_some()
    }
}

impl std::fmt::Display for LinkType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{} ({})", n, self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoded_link_types_are_those_with_a_name() {
        let named: Vec<LinkType> = (0..1024)
            .map(LinkType)
            .filter(|l| l.is_supported())
            .collect();
        let mut decoded = LinkType::DECODED.to_vec();
        decoded.sort_by_key(|l| l.0);
        assert_eq!(named, decoded);
    }
}
