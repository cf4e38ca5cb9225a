//! Maps keyed by a hash computed beforehand ([`crate::observe::KeyHashes`]): the key is its own hash.

use std::hash::{BuildHasherDefault, Hasher};

/// Passes a `u64` through as its hash.
#[derive(Default)]
pub struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed with this; other input is folded in, for completeness.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// A map from a precomputed hash.
pub type HashMap<V> = std::collections::HashMap<u64, V, BuildHasherDefault<Identity>>;
