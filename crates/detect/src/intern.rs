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
    ids: FastMap<u64, Symbol>,
    strings: Vec<Box<str>>,
}

impl Interner {
    pub fn new(keys: Keys, namespace: Namespace) -> Self {
        Interner {
            keys,
            namespace,
            ids: FastMap::default(),
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
        if let Some(&id) = self.ids.get(&hash) {
            return id;
        }
        let id = self.strings.len() as Symbol;
        self.strings.push(text.into());
        self.ids.insert(hash, id);
        id
    }

    pub fn by_hash(&self, hash: u64) -> Option<Symbol> {
        self.ids.get(&hash).copied()
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
