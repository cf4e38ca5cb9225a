//! Capture files for vxscope, and the rewrites of the VXLAN packets in them.
//!
//! [`capture`] reads and writes pcap and pcapng as streams.

pub mod capture;
