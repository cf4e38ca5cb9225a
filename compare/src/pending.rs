//! The packets one side of a hop has seen and the other not yet: found by their whole key or by the part NAT
//! leaves, oldest first, and given up in arrival order once the window has passed.
//!
//! Entries live in a slab reused from packet to packet; each is on two chains (same whole key, same NAT key),
//! linked both ways so that an entry taken through one chain leaves the other in constant time. Memory holds the
//! packets in flight, not the capture.

use std::collections::VecDeque;

use crate::observe::{ExactKey, NatKey, Observation};
use crate::prehashed::HashMap;

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
    /// Chains by the hash of the key (keys whose hashes collide share a chain: a walk compares keys).
    exact: HashMap<Chain>,
    nat: HashMap<Chain>,
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
    pub fn insert(&mut self, obs: &Observation) {
        if obs.key.is_none() {
            return;
        }
        let obs = *obs;
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
        self.append(id, Which::Exact, obs.hashes.exact);
        self.append(id, Which::Nat, obs.hashes.nat);
        self.order.push_back((id, self.serial));
        self.live += 1;
    }

    fn append(&mut self, id: u32, which: Which, hash: u64) {
        let map = match which {
            Which::Exact => &mut self.exact,
            Which::Nat => &mut self.nat,
        };
        let chain = map.entry(hash).or_insert(Chain {
            head: NONE,
            tail: NONE,
        });
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
        let hashes = self.slots[id as usize].obs.hashes;
        if prev != NONE {
            self.link(prev, which).next = next;
        }
        if next != NONE {
            self.link(next, which).prev = prev;
        }
        let (map, hash) = match which {
            Which::Exact => (&mut self.exact, hashes.exact),
            Which::Nat => (&mut self.nat, hashes.nat),
        };
        let c = map.get_mut(&hash).expect("chain");
        if c.head == id {
            c.head = next;
        }
        if c.tail == id {
            c.tail = prev;
        }
        if c.head == NONE {
            map.remove(&hash);
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

    /// Takes the oldest packet with this whole key (of hash `hash`) seen within `window` ns of `ts`.
    pub fn take_exact(
        &mut self,
        key: &ExactKey,
        hash: u64,
        ts: i64,
        window: i64,
    ) -> Option<Observation> {
        let mut id = self.exact.get(&hash)?.head;
        while id != NONE {
            let s = &self.slots[id as usize];
            if (s.obs.ts - ts).abs() <= window && s.obs.key.as_ref() == Some(key) {
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
        hash: u64,
        ts: i64,
        window: i64,
        accept: impl Fn(&ExactKey) -> bool,
    ) -> Option<Observation> {
        let mut id = self.nat.get(&hash)?.head;
        while id != NONE {
            let s = &self.slots[id as usize];
            if (s.obs.ts - ts).abs() <= window
                && s.obs
                    .key
                    .as_ref()
                    .is_some_and(|k| k.rest == *key && accept(k))
            {
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
    use crate::observe::{Attributes, HEAD_KEPT, Head, KeyHashes};
    use vxscope_dissector::LinkType;
    use vxscope_dissector::value::IpBytes;

    fn obs(frame: u64, ts: i64, id: u32, src: u8) -> Observation {
        let key = ExactKey {
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
        };
        Observation {
            frame,
            ts,
            hashes: KeyHashes::of(&key),
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
            outer_fragment: None,
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
        p.insert(&obs(1, 100, 7, 1));
        p.insert(&obs(2, 200, 7, 1));
        p.insert(&obs(3, 300, 8, 1));
        let o = obs(0, 0, 7, 1);
        let (k, h) = (o.key.unwrap(), o.hashes.exact);
        // Out of the window of both.
        assert!(p.take_exact(&k, h, 1000, 50).is_none());
        assert_eq!(p.take_exact(&k, h, 250, 1000).unwrap().frame, 1);
        assert_eq!(p.take_exact(&k, h, 250, 1000).unwrap().frame, 2);
        assert!(p.take_exact(&k, h, 250, 1000).is_none());
        assert_eq!(p.len(), 1);
        assert!(p.pop_expired(300).is_none());
        assert_eq!(p.pop_expired(301).unwrap().frame, 3);
        assert!(p.is_empty() && p.exact.is_empty() && p.nat.is_empty());
    }

    #[test]
    fn a_nat_match_leaves_the_whole_key_chain_consistent() {
        let mut p = Pending::default();
        p.insert(&obs(1, 100, 7, 1));
        p.insert(&obs(2, 110, 7, 1));
        // Another source address, same rest: found by the NAT key only.
        let t = obs(0, 0, 7, 5);
        let translated = t.key.unwrap();
        assert!(
            p.take_exact(&translated, t.hashes.exact, 120, 1000)
                .is_none()
        );
        let got = p
            .take_nat(&translated.rest, t.hashes.nat, 120, 1000, |k| {
                k.dst == translated.dst
            })
            .unwrap();
        assert_eq!(got.frame, 1);
        // Slot 0 is reused; frame 2 stays reachable by both keys, then the order skips the reused slot.
        p.insert(&obs(3, 130, 9, 1));
        let o = obs(0, 0, 7, 1);
        assert_eq!(
            p.take_exact(&o.key.unwrap(), o.hashes.exact, 120, 1000)
                .unwrap()
                .frame,
            2
        );
        assert_eq!(p.pop_expired(i64::MAX).unwrap().frame, 3);
        assert!(p.pop_expired(i64::MAX).is_none());
    }
}
