//! The rewrites of the VXLAN packets in capture files (read and written with `vxscope-capture`).
//!
//! [`locate`] finds the VXLAN header and the frame it carries in a dissected packet; [`strip`], [`encap`] and
//! [`remap`] are the rewrites, one packet at a time; [`run`] streams a capture through one of them into
//! another, [`defrag`] putting the outer IP fragments of a datagram back together for strip; [`output`] writes that capture to a temporary file beside its destination and renames it into
//! place.

pub mod checksum;
pub mod defrag;
pub mod encap;
pub mod link;
pub mod locate;
pub mod output;
pub mod remap;
pub mod run;
pub mod select;
pub mod strip;
