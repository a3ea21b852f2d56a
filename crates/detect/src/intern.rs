//! String interning: each distinct account, address, user agent… is stored once and named by a
//! 4-byte id, so that keyed state stays small however many events mention it.

use crate::sighting::{Keys, Namespace};

/// An interned string's id.
pub type Symbol = u32;

/// Names of one kind (accounts, sources, agents), keyed by their hash under the run's [`Keys`].
#[derive(Debug)]
pub struct Interner {
    keys: Keys,
    namespace: Namespace,
    ids: Index,
    strings: Vec<Box<str>>,
}

/// Ids by the names' keyed hashes: open addressing with linear probing. The hashes are
/// uniform already (keyed SipHash), so a slot is chosen by their low bits, and one probe
/// reads one slot holding both hash and id — a general map reads its control bytes, then its
/// bucket: two cache misses per name on tables of hundreds of thousands, once per event.
#[derive(Debug, Default)]
struct Index {
    slots: Vec<Slot>,
    len: usize,
}

#[derive(Debug, Default, Clone, Copy)]
struct Slot {
    hash: u64,
    id: Symbol,
    used: bool,
}

impl Index {
    fn get(&self, hash: u64) -> Option<Symbol> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = hash as usize & mask;
        loop {
            let slot = self.slots[i];
            if !slot.used {
                return None;
            }
            if slot.hash == hash {
                return Some(slot.id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Sets the id of a hash.
    fn insert(&mut self, hash: u64, id: Symbol) {
        // At most two thirds full: probes stay short, and an empty slot always ends them.
        if 3 * (self.len + 1) > 2 * self.slots.len() {
            let size = (self.slots.len() * 2).max(16);
            let old = std::mem::replace(&mut self.slots, vec![Slot::default(); size]);
            for slot in old.into_iter().filter(|s| s.used) {
                self.place(slot);
            }
        }
        let new = self.place(Slot {
            hash,
            id,
            used: true,
        });
        self.len += usize::from(new);
    }

    /// Puts the slot where its hash is, or in the first free slot from there; true if the
    /// hash was not there yet.
    fn place(&mut self, slot: Slot) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = slot.hash as usize & mask;
        while self.slots[i].used && self.slots[i].hash != slot.hash {
            i = (i + 1) & mask;
        }
        let new = !self.slots[i].used;
        self.slots[i] = slot;
        new
    }
}

impl Interner {
    pub fn new(keys: Keys, namespace: Namespace) -> Self {
        Interner {
            keys,
            namespace,
            ids: Index::default(),
            strings: Vec::new(),
        }
    }

    fn hash(&self, text: &str) -> u64 {
        // Addresses are hashed by value, so that `::1` and `0::1` are one source.
        match (self.namespace, text.parse()) {
            (Namespace::Source, Ok(ip)) => self.keys.address(ip),
            _ => self.keys.text(self.namespace, text),
        }
    }

    pub fn intern(&mut self, text: &str) -> Symbol {
        let hash = self.hash(text);
        self.intern_hashed(hash, text)
    }

    /// Interns a name whose hash a [`Sightings`](crate::Sightings) already computed.
    pub fn intern_hashed(&mut self, hash: u64, text: &str) -> Symbol {
        if let Some(id) = self.ids.get(hash) {
            return id;
        }
        let id = self.strings.len() as Symbol;
        self.strings.push(text.into());
        self.ids.insert(hash, id);
        id
    }

    pub fn by_hash(&self, hash: u64) -> Option<Symbol> {
        self.ids.get(hash)
    }

    pub fn get(&self, text: &str) -> Option<Symbol> {
        self.by_hash(self.hash(text))
    }

    pub fn resolve(&self, id: Symbol) -> &str {
        self.strings.get(id as usize).map_or("", |s| s)
    }

    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Every name, in id order.
    pub fn names(&self) -> &[Box<str>] {
        &self.strings
    }

    /// Names saved by [`Interner::names`], interned again in the same order (so with the same
    /// ids) under this interner's keys.
    pub fn with_names(keys: Keys, namespace: Namespace, names: Vec<Box<str>>) -> Self {
        let mut interner = Interner::new(keys, namespace);
        for name in names {
            let hash = interner.hash(&name);
            let id = interner.strings.len() as Symbol;
            interner.ids.insert(hash, id);
            interner.strings.push(name);
        }
        interner
    }

    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_text_gets_the_same_id() {
        let mut interner = Interner::new(Keys::default(), Namespace::Account);
        let a = interner.intern("jane@example.com");
        let b = interner.intern("joe@example.com");
        assert_ne!(a, b);
        assert_eq!(interner.intern("jane@example.com"), a);
        assert_eq!(interner.resolve(b), "joe@example.com");
        assert_eq!(interner.get("nobody"), None);
    }

    #[test]
    fn the_index_finds_every_id_as_it_grows() {
        let mut index = Index::default();
        assert_eq!(index.get(7), None);
        // Hashes that share their low bits probe past each other.
        let hashes: Vec<u64> = (0..5000u64).map(|i| i << 40 | (i % 7)).collect();
        for (id, &hash) in hashes.iter().enumerate() {
            index.insert(hash, id as Symbol);
        }
        for (id, &hash) in hashes.iter().enumerate() {
            assert_eq!(index.get(hash), Some(id as Symbol));
        }
        assert_eq!(index.get(u64::MAX), None);
        index.insert(hashes[3], 9);
        assert_eq!(index.get(hashes[3]), Some(9));
        assert_eq!(index.len, hashes.len());
    }

    #[test]
    fn addresses_are_one_source_however_written() {
        let mut interner = Interner::new(Keys::default(), Namespace::Source);
        let a = interner.intern("2001:db8::1");
        assert_eq!(interner.get("2001:0db8:0::1"), Some(a));
        assert_eq!(interner.resolve(a), "2001:db8::1");
    }
}

/// A fast hasher for small keys (ids, addresses): FxHash's multiply-rotate. The standard
/// SipHash resists hash flooding, which the engine does not need for ids it assigned itself;
/// keys that come from input (strings) keep the standard hasher.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

pub type FastBuild = std::hash::BuildHasherDefault<FastHasher>;
pub type FastMap<K, V> = std::collections::HashMap<K, V, FastBuild>;
pub type FastSet<K> = std::collections::HashSet<K, FastBuild>;
