//! String interning: each distinct account, address, user agent… is stored once and named by a
//! 4-byte id, so that keyed state stays small however many events mention it.

use std::collections::HashMap;

/// An interned string's id.
pub type Symbol = u32;

#[derive(Debug, Default)]
pub struct Interner {
    ids: HashMap<Box<str>, Symbol>,
    strings: Vec<Box<str>>,
}

impl Interner {
    pub fn intern(&mut self, text: &str) -> Symbol {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.strings.len() as Symbol;
        self.strings.push(text.into());
        self.ids.insert(text.into(), id);
        id
    }

    pub fn get(&self, text: &str) -> Option<Symbol> {
        self.ids.get(text).copied()
    }

    pub fn resolve(&self, id: Symbol) -> &str {
        &self.strings[id as usize]
    }

    pub fn len(&self) -> usize {
        self.strings.len()
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
        let mut interner = Interner::default();
        let a = interner.intern("jane@example.com");
        let b = interner.intern("joe@example.com");
        assert_ne!(a, b);
        assert_eq!(interner.intern("jane@example.com"), a);
        assert_eq!(interner.resolve(b), "joe@example.com");
        assert_eq!(interner.get("nobody"), None);
    }
}
