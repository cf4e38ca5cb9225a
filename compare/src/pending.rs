//! The packets one side of a hop has seen and the other not yet: found by their whole key or by the part NAT
//! leaves, oldest first, and given up in arrival order once the window has passed.
//!
//! Entries live in a slab reused from packet to packet; each is on two chains (same whole key, same NAT key),
//! linked both ways so that an entry taken through one chain leaves the other in constant time. Memory holds the
//! packets in flight, not the capture.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use crate::observe::{ExactKey, NatKey, Observation};

const NONE: u32 = u32::MAX;

#[derive(Clone, Copy)]
struct Link {
    prev: u32,
    next: u32,
}

const UNLINKED: Link = Link {
    prev: NONE,
    next: NONE,
};

#[derive(Clone, Copy)]
struct Chain {
    head: u32,
    tail: u32,
}

struct Slot {
    obs: Observation,
    /// Arrival number; 0 for a free slot.
    serial: u64,
    exact: Link,
    nat: Link,
}

#[derive(Default)]
pub struct Pending {
    slots: Vec<Slot>,
    free: Vec<u32>,
    exact: FxHashMap<ExactKey, Chain>,
    nat: FxHashMap<NatKey, Chain>,
    /// Slots in arrival order, with their serial (a slot freed and reused since is skipped).
    order: VecDeque<(u32, u64)>,
    serial: u64,
    live: usize,
}

/// Which chain an operation follows.
#[derive(Clone, Copy)]
enum Which {
    Exact,
    Nat,
}

impl Pending {
    pub fn len(&self) -> usize {
        self.live
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    fn link(&mut self, id: u32, which: Which) -> &mut Link {
        let s = &mut self.slots[id as usize];
        match which {
            Which::Exact => &mut s.exact,
            Which::Nat => &mut s.nat,
        }
    }

    /// Adds a packet (which must have a key).
    pub fn insert(&mut self, obs: Observation) {
        let Some(key) = obs.key else { return };
        self.serial += 1;
        let slot = Slot {
            obs,
            serial: self.serial,
            exact: UNLINKED,
            nat: UNLINKED,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = slot;
                id
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        self.append(id, Which::Exact, Some(key), None);
        self.append(id, Which::Nat, None, Some(key.rest));
        self.order.push_back((id, self.serial));
        self.live += 1;
    }

    fn append(&mut self, id: u32, which: Which, exact: Option<ExactKey>, nat: Option<NatKey>) {
        let chain = match which {
            Which::Exact => self.exact.entry(exact.expect("key")).or_insert(Chain {
                head: NONE,
                tail: NONE,
            }),
            Which::Nat => self.nat.entry(nat.expect("key")).or_insert(Chain {
                head: NONE,
                tail: NONE,
            }),
        };
        let tail = chain.tail;
        chain.tail = id;
        if tail == NONE {
            chain.head = id;
        }
        *self.link(id, which) = Link {
            prev: tail,
            next: NONE,
        };
        if tail != NONE {
            self.link(tail, which).next = id;
        }
    }

    fn unlink(&mut self, id: u32, which: Which) {
        let Link { prev, next } = *self.link(id, which);
        let key = self.slots[id as usize]
            .obs
            .key
            .expect("pending packets have keys");
        if prev != NONE {
            self.link(prev, which).next = next;
        }
        if next != NONE {
            self.link(next, which).prev = prev;
        }
        let emptied = match which {
            Which::Exact => {
                let c = self.exact.get_mut(&key).expect("chain");
                if c.head == id {
                    c.head = next;
                }
                if c.tail == id {
                    c.tail = prev;
                }
                c.head == NONE
            }
            Which::Nat => {
                let c = self.nat.get_mut(&key.rest).expect("chain");
                if c.head == id {
                    c.head = next;
                }
                if c.tail == id {
                    c.tail = prev;
                }
                c.head == NONE
            }
        };
        if emptied {
            match which {
                Which::Exact => self.exact.remove(&key),
                Which::Nat => self.nat.remove(&key.rest),
            };
        }
    }

    fn remove(&mut self, id: u32) -> Observation {
        self.unlink(id, Which::Exact);
        self.unlink(id, Which::Nat);
        let slot = &mut self.slots[id as usize];
        slot.serial = 0;
        self.free.push(id);
        self.live -= 1;
        slot.obs
    }

    /// Takes the oldest packet with this whole key seen within `window` ns of `ts`.
    pub fn take_exact(&mut self, key: &ExactKey, ts: i64, window: i64) -> Option<Observation> {
        let mut id = self.exact.get(key)?.head;
        while id != NONE {
            let s = &self.slots[id as usize];
            if (s.obs.ts - ts).abs() <= window {
                return Some(self.remove(id));
            }
            id = s.exact.next;
        }
        None
    }

    /// Takes the oldest packet with this NAT key seen within `window` ns of `ts` whose whole key `accept`s.
    pub fn take_nat(
        &mut self,
        key: &NatKey,
        ts: i64,
        window: i64,
        accept: impl Fn(&ExactKey) -> bool,
    ) -> Option<Observation> {
        let mut id = self.nat.get(key)?.head;
        while id != NONE {
            let s = &self.slots[id as usize];
            if (s.obs.ts - ts).abs() <= window && s.obs.key.as_ref().is_some_and(&accept) {
                return Some(self.remove(id));
            }
            id = s.nat.next;
        }
        None
    }

    /// Removes and returns the oldest packet if it was seen before `cutoff` (or any packet, with `i64::MAX`).
    pub fn pop_expired(&mut self, cutoff: i64) -> Option<Observation> {
        while let Some(&(id, serial)) = self.order.front() {
            let s = &self.slots[id as usize];
            if s.serial != serial {
                self.order.pop_front();
                continue;
            }
            if s.obs.ts >= cutoff && cutoff != i64::MAX {
                return None;
            }
            self.order.pop_front();
            return Some(self.remove(id));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::{Attributes, HEAD_KEPT, Head};
    use vxscope_dissector::LinkType;
    use vxscope_dissector::value::IpBytes;

    fn obs(frame: u64, ts: i64, id: u32, src: u8) -> Observation {
        Observation {
            frame,
            ts,
            key: Some(ExactKey {
                src: IpBytes::V4([10, 0, 0, src]),
                dst: IpBytes::V4([10, 0, 0, 9]),
                src_port: 1,
                dst_port: 2,
                rest: NatKey {
                    family: 4,
                    proto: 17,
                    id,
                    ..NatKey::default()
                },
            }),
            attrs: Attributes::default(),
            duplicate: false,
            head: Head {
                link_type: LinkType::ETHERNET,
                wire_len: 0,
                len: 0,
                bytes: [0; HEAD_KEPT],
            },
        }
    }

    #[test]
    fn same_keys_taken_in_order_within_the_window_and_expired_in_arrival_order() {
        let mut p = Pending::default();
        p.insert(obs(1, 100, 7, 1));
        p.insert(obs(2, 200, 7, 1));
        p.insert(obs(3, 300, 8, 1));
        let k = obs(0, 0, 7, 1).key.unwrap();
        // Out of the window of both.
        assert!(p.take_exact(&k, 1000, 50).is_none());
        assert_eq!(p.take_exact(&k, 250, 1000).unwrap().frame, 1);
        assert_eq!(p.take_exact(&k, 250, 1000).unwrap().frame, 2);
        assert!(p.take_exact(&k, 250, 1000).is_none());
        assert_eq!(p.len(), 1);
        assert!(p.pop_expired(300).is_none());
        assert_eq!(p.pop_expired(301).unwrap().frame, 3);
        assert!(p.is_empty() && p.exact.is_empty() && p.nat.is_empty());
    }

    #[test]
    fn a_nat_match_leaves_the_whole_key_chain_consistent() {
        let mut p = Pending::default();
        p.insert(obs(1, 100, 7, 1));
        p.insert(obs(2, 110, 7, 1));
        // Another source address, same rest: found by the NAT key only.
        let translated = obs(0, 0, 7, 5).key.unwrap();
        assert!(p.take_exact(&translated, 120, 1000).is_none());
        let got = p
            .take_nat(&translated.rest, 120, 1000, |k| k.dst == translated.dst)
            .unwrap();
        assert_eq!(got.frame, 1);
        // Slot 0 is reused; frame 2 stays reachable by both keys, then the order skips the reused slot.
        p.insert(obs(3, 130, 9, 1));
        let k = obs(0, 0, 7, 1).key.unwrap();
        assert_eq!(p.take_exact(&k, 120, 1000).unwrap().frame, 2);
        assert_eq!(p.pop_expired(i64::MAX).unwrap().frame, 3);
        assert!(p.pop_expired(i64::MAX).is_none());
    }
}
