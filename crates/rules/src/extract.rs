//! One pass over a raw record that pulls out only the values the loaded rules look at.
//!
//! Every path the rules of one format use (after mapping) is inserted into a small trie.
//! Walking a record follows the trie: keys no rule names are skipped by sonic-rs without being
//! decoded, so the cost per record is one validating scan plus the handful of values rules
//! need, not a generic JSON tree (DESIGN.md stack notes: `serde_json::Value` costs about six
//! times a borrowed decode). Values land in slots, one per distinct path, as text and as
//! lower-cased text for Sigma's case-insensitive comparisons, in an arena reused across
//! records.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use serde::Deserialize;

use sonic_rs::{JsonType, JsonValueTrait, LazyValue};

use crate::mapping::{FieldPath, KeyCase, Source, ValueMap};

/// Index of a slot: the values found at one source (path and value map).
pub(crate) type SlotId = u32;

/// The JSON type a value had in the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    String,
    Number,
    Bool,
    Null,
    /// An object or array, kept as its JSON text.
    Structure,
    /// The whole raw record.
    Record,
}

/// A value in the arena: `text` is `arena[start..mid]`, its lower-case form `arena[mid..end]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Value {
    pub kind: Kind,
    start: u32,
    mid: u32,
    end: u32,
}

/// Per-thread working memory for evaluating records; reused so the hot path allocates
/// nothing once warm.
#[derive(Debug, Default)]
pub struct Scratch {
    arena: String,
    slots: Vec<Vec<Value>>,
    /// Rules to test on the current record.
    pub(crate) candidates: Vec<u32>,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch::default()
    }

    pub(crate) fn values(&self, slot: SlotId) -> &[Value] {
        self.slots.get(slot as usize).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn text(&self, value: &Value) -> &str {
        &self.arena[value.start as usize..value.mid as usize]
    }

    pub(crate) fn lower(&self, value: &Value) -> &str {
        &self.arena[value.mid as usize..value.end as usize]
    }

    fn reset(&mut self, slots: usize) {
        self.arena.clear();
        if self.slots.len() < slots {
            self.slots.resize_with(slots, Vec::new);
        }
        for slot in &mut self.slots[..slots] {
            slot.clear();
        }
    }

    fn push(&mut self, slot: SlotId, kind: Kind, text: &str, map: Option<&ValueMap>) {
        let text = match (map, kind) {
            (Some(map), Kind::String | Kind::Number | Kind::Bool) => map.apply(text),
            _ => text,
        };
        let start = self.arena.len();
        self.arena.push_str(text);
        let mid = self.arena.len();
        if text.is_ascii() {
            self.arena.push_str(text);
            self.arena[mid..].make_ascii_lowercase();
        } else {
            let lower = text.to_lowercase();
            self.arena.push_str(&lower);
        }
        let end = self.arena.len();
        // Records are far below 4 GiB (the reader caps them); saturate rather than wrap.
        let cast = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        self.slots[slot as usize].push(Value {
            kind,
            start: cast(start),
            mid: cast(mid),
            end: cast(end),
        });
    }
}

#[derive(Debug, Default, Clone)]
struct Node {
    children: Vec<(Box<str>, u32)>,
    /// Each child's [`key_tag`], so that a lookup compares two integers per child and
    /// whole keys only on a likely hit (most keys of a record lead nowhere).
    tags: Vec<u32>,
    slots: Vec<SlotId>,
    selectors: Vec<Selector>,
}

/// A key's length and lower-cased first byte: equal for keys that are equal, ignoring ASCII
/// case or not.
fn key_tag(key: &str) -> u32 {
    let first = key.as_bytes().first().map_or(0, u8::to_ascii_lowercase);
    ((key.len() as u32) << 8) | u32::from(first)
}

/// `list[key=value]`: the elements of `list` whose `key` is `value` continue at `node`.
#[derive(Debug, Clone)]
struct Selector {
    key: Box<str>,
    value: Box<str>,
    node: u32,
}

/// The trie of one format's paths, and the slots they fill.
#[derive(Debug, Clone)]
pub(crate) struct Extractor {
    keys: KeyCase,
    /// Whether a key `a.b` may stand for the path `a` → `b`.
    dotted_keys: bool,
    nodes: Vec<Node>,
    sources: Vec<Source>,
    record_slots: Vec<SlotId>,
}

impl Extractor {
    pub fn new(keys: KeyCase, dotted_keys: bool) -> Extractor {
        Extractor {
            keys,
            dotted_keys,
            nodes: vec![Node::default()],
            sources: Vec::new(),
            record_slots: Vec::new(),
        }
    }

    #[cfg(test)]
    pub fn slot_count(&self) -> usize {
        self.sources.len()
    }

    /// The slot for a source, added on first use.
    pub fn slot(&mut self, source: &Source) -> SlotId {
        if let Some(existing) = self.sources.iter().position(|s| s == source) {
            return existing as SlotId;
        }
        let slot = self.sources.len() as SlotId;
        self.sources.push(source.clone());
        match &source.path {
            FieldPath::Record => self.record_slots.push(slot),
            FieldPath::Keys(segments) => {
                let mut node = 0u32;
                for segment in segments {
                    node = self.child(node, &segment.key);
                    if let Some((key, value)) = &segment.select {
                        node = self.selector(node, key, value);
                    }
                }
                self.nodes[node as usize].slots.push(slot);
            }
        }
        slot
    }

    fn key_eq(&self, a: &str, b: &str) -> bool {
        match self.keys {
            KeyCase::Exact => a == b,
            KeyCase::AsciiCaseInsensitive => a.eq_ignore_ascii_case(b),
        }
    }

    fn child(&mut self, node: u32, key: &str) -> u32 {
        if let Some(&(_, child)) = self.nodes[node as usize]
            .children
            .iter()
            .find(|(k, _)| self.key_eq(k, key))
        {
            return child;
        }
        let child = self.nodes.len() as u32;
        self.nodes.push(Node::default());
        let parent = &mut self.nodes[node as usize];
        parent.children.push((key.into(), child));
        parent.tags.push(key_tag(key));
        child
    }

    fn find_child(&self, node: u32, key: &str) -> Option<u32> {
        let here = &self.nodes[node as usize];
        let tag = key_tag(key);
        here.tags
            .iter()
            .zip(&here.children)
            .find(|(t, (k, _))| **t == tag && self.key_eq(k, key))
            .map(|(_, &(_, child))| child)
    }

    fn selector(&mut self, node: u32, key: &str, value: &str) -> u32 {
        if let Some(existing) = self.nodes[node as usize]
            .selectors
            .iter()
            .find(|s| self.key_eq(&s.key, key) && *s.value == *value)
        {
            return existing.node;
        }
        let child = self.nodes.len() as u32;
        self.nodes.push(Node::default());
        self.nodes[node as usize].selectors.push(Selector {
            key: key.into(),
            value: value.into(),
            node: child,
        });
        child
    }

    /// Fills `scratch` with this record's values. A record that is not JSON (an sshd line)
    /// or is malformed yields only `$record`.
    pub fn extract(&self, record: &[u8], scratch: &mut Scratch) {
        scratch.reset(self.sources.len());
        if !self.record_slots.is_empty() {
            let text = String::from_utf8_lossy(record);
            for &slot in &self.record_slots {
                scratch.push(slot, Kind::Record, &text, None);
            }
        }
        let root = &self.nodes[0];
        if root.children.is_empty() {
            return;
        }
        let Some(first) = record.iter().find(|b| !b.is_ascii_whitespace()) else {
            return;
        };
        if *first != b'{' {
            return;
        }
        let mark = scratch.arena.len();
        let mut deserializer = sonic_rs::Deserializer::from_slice(record);
        let walked = NodeSeed {
            extractor: self,
            node: 0,
            scratch: &mut *scratch,
        }
        .deserialize(&mut deserializer);
        if walked.is_err() {
            // Half a record's values would let `not` conditions match on what is missing.
            scratch.arena.truncate(mark);
            for slot in scratch.slots.iter_mut() {
                slot.retain(|v| v.kind == Kind::Record);
            }
        }
    }

    fn child_by_key(&self, node: u32, key: &str) -> Option<u32> {
        match self.find_child(node, key) {
            Some(child) => Some(child),
            // Flattened exports (ECS, some SIEMs) write nested names as dotted keys.
            None if self.dotted_keys && key.contains('.') => self.dotted(node, key),
            None => None,
        }
    }

    /// Walks one object. `entries` makes a fresh iterator over it, because a selector
    /// (`list[key=value]`) can only tell whether an element is selected once its `key` has
    /// been read, and then walks the element again from that selector's node.
    fn walk_object<'de, I>(
        &self,
        node: u32,
        entries: &dyn Fn() -> I,
        scratch: &mut Scratch,
    ) -> sonic_rs::Result<()>
    where
        I: Iterator<Item = sonic_rs::Result<(Cow<'de, str>, LazyValue<'de>)>>,
    {
        let here = &self.nodes[node as usize];
        let mut selected: Vec<u32> = Vec::new();
        for entry in entries() {
            let (key, value) = entry?;
            for selector in &here.selectors {
                if self.key_eq(&selector.key, &key)
                    && value.as_str().is_some_and(|text| *selector.value == *text)
                {
                    selected.push(selector.node);
                }
            }
            if let Some(child) = self.child_by_key(node, &key) {
                self.walk_value(child, value, scratch)?;
            }
        }
        for node in selected {
            self.walk_object(node, entries, scratch)?;
        }
        Ok(())
    }

    fn dotted(&self, node: u32, key: &str) -> Option<u32> {
        let mut node = node;
        for piece in key.split('.') {
            node = self.find_child(node, piece)?;
        }
        Some(node)
    }

    fn walk_value(
        &self,
        node: u32,
        value: LazyValue<'_>,
        scratch: &mut Scratch,
    ) -> sonic_rs::Result<()> {
        let here = &self.nodes[node as usize];
        for &slot in &here.slots {
            self.capture(slot, &value, scratch)?;
        }
        if here.children.is_empty() && here.selectors.is_empty() {
            return Ok(());
        }
        self.descend(node, value, scratch)
    }

    /// Continues a path into an object, or into each element of an array (Sigma matches a
    /// list-valued field when any element matches).
    fn descend(
        &self,
        node: u32,
        value: LazyValue<'_>,
        scratch: &mut Scratch,
    ) -> sonic_rs::Result<()> {
        match value.get_type() {
            JsonType::Object => {
                let entries = || value.clone().into_object_iter().into_iter().flatten();
                self.walk_object(node, &entries, scratch)
            }
            JsonType::Array => {
                if let Some(elements) = value.into_array_iter() {
                    for element in elements {
                        self.descend(node, element?, scratch)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn capture(
        &self,
        slot: SlotId,
        value: &LazyValue<'_>,
        scratch: &mut Scratch,
    ) -> sonic_rs::Result<()> {
        let map = self.sources[slot as usize].values.as_ref();
        match value.get_type() {
            JsonType::String => {
                if let Some(text) = value.as_str() {
                    scratch.push(slot, Kind::String, text, map);
                }
            }
            JsonType::Number => scratch.push(slot, Kind::Number, value.as_raw_str(), map),
            JsonType::Boolean => scratch.push(slot, Kind::Bool, value.as_raw_str(), map),
            JsonType::Null => scratch.push(slot, Kind::Null, "null", None),
            JsonType::Object => scratch.push(slot, Kind::Structure, value.as_raw_str(), None),
            JsonType::Array => {
                let raw = value.as_raw_str();
                let mut any = false;
                if let Some(elements) = value.clone().into_array_iter() {
                    for element in elements {
                        any = true;
                        self.capture(slot, &element?, scratch)?;
                    }
                }
                if !any {
                    scratch.push(slot, Kind::Structure, raw, None);
                }
            }
        }
        Ok(())
    }
}

/// Walks a value along the trie in one pass of the deserializer: keys no rule needs are
/// skipped by sonic-rs (validated, not decoded), nested objects on a rule's path are entered
/// directly. A node that captures values or selects array elements takes the value as raw
/// JSON (a `LazyValue`) instead, since it needs the text or a second look.
struct NodeSeed<'a> {
    extractor: &'a Extractor,
    node: u32,
    scratch: &'a mut Scratch,
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let here = &self.extractor.nodes[self.node as usize];
        if !here.slots.is_empty() || !here.selectors.is_empty() {
            let value = LazyValue::deserialize(deserializer)?;
            return self
                .extractor
                .walk_value(self.node, value, self.scratch)
                .map_err(D::Error::custom);
        }
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(child) = map.next_key_seed(KeySeed {
            extractor: self.extractor,
            node: self.node,
        })? {
            match child {
                Some(child) => map.next_value_seed(NodeSeed {
                    extractor: self.extractor,
                    node: child,
                    scratch: &mut *self.scratch,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    /// Arrays on a path are transparent: each element continues from the same node.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(NodeSeed {
                extractor: self.extractor,
                node: self.node,
                scratch: &mut *self.scratch,
            })?
            .is_some()
        {}
        Ok(())
    }

    // A scalar where the path expected an object or array: nothing to follow.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// Reads an object key and answers with the trie node it leads to, if any; no allocation.
struct KeySeed<'a> {
    extractor: &'a Extractor,
    node: u32,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<u32>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<u32>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<u32>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<u32>, E> {
        Ok(self.extractor.child_by_key(self.node, key))
    }
}
