//! Short lists kept inline: an account's places (addresses, devices, networks, countries,
//! clients) and a source's clients are read for many events, and most have a handful; a list
//! in an allocation of its own costs a cache miss per read, one inline costs none beyond its
//! owner's.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A list in insertion order, inline up to `N` items and in a `Vec` beyond (once spilled it
/// stays there). Reads as a slice.
#[derive(Debug, Clone)]
pub enum Places<T, const N: usize> {
    Inline(u8, [T; N]),
    /// Also the empty list, which allocates nothing.
    Spilled(Vec<T>),
}

impl<T, const N: usize> Default for Places<T, N> {
    fn default() -> Self {
        Places::Spilled(Vec::new())
    }
}

impl<T, const N: usize> std::ops::Deref for Places<T, N> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Places::Inline(len, items) => &items[..usize::from(*len)],
            Places::Spilled(items) => items,
        }
    }
}

impl<T: Copy + PartialEq, const N: usize> Places<T, N> {
    /// Adds `item` unless it is there; at `cap` items the oldest is forgotten first.
    pub fn add(&mut self, item: T, cap: usize) {
        if self.contains(&item) {
            return;
        }
        if self.len() >= cap.max(1) {
            self.remove_first();
        }
        self.push(item);
    }

    /// Adds `item` at the end, whether it is there or not.
    pub fn push(&mut self, item: T) {
        match self {
            Places::Spilled(items) if items.is_empty() && N > 0 => {
                *self = Places::Inline(1, [item; N]);
            }
            Places::Spilled(items) => items.push(item),
            Places::Inline(len, items) => match items.get_mut(usize::from(*len)) {
                Some(slot) => {
                    *slot = item;
                    *len += 1;
                }
                None => {
                    let mut spilled = Vec::with_capacity(2 * N);
                    spilled.extend_from_slice(items);
                    spilled.push(item);
                    *self = Places::Spilled(spilled);
                }
            },
        }
    }

    fn remove_first(&mut self) {
        match self {
            Places::Inline(len, items) => {
                let n = usize::from(*len);
                if n > 0 {
                    items.copy_within(1..n, 0);
                    *len -= 1;
                }
            }
            Places::Spilled(items) => {
                if !items.is_empty() {
                    items.remove(0);
                }
            }
        }
    }
}

impl<'a, T, const N: usize> IntoIterator for &'a Places<T, N> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: Copy + PartialEq, const N: usize> FromIterator<T> for Places<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut places = Places::default();
        for item in iter {
            places.push(item);
        }
        places
    }
}

/// Written as the list it is, so checkpoints read the same as when it was a `Vec`.
impl<T: Serialize, const N: usize> Serialize for Places<T, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de, T: Deserialize<'de> + Copy + PartialEq, const N: usize> Deserialize<'de>
    for Places<T, N>
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<T>::deserialize(deserializer)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_spills_and_forgets_its_oldest_like_a_vec() {
        for cap in [1, 2, 3, 4, 5, 8] {
            let mut places: Places<u32, 3> = Places::default();
            let mut vec: Vec<u32> = Vec::new();
            for item in [1, 2, 1, 3, 4, 2, 5, 6, 7, 1, 8] {
                places.add(item, cap);
                if !vec.contains(&item) {
                    if vec.len() >= cap {
                        vec.remove(0);
                    }
                    vec.push(item);
                }
                assert_eq!(&places[..], &vec[..], "cap {cap}");
            }
        }
    }

    #[test]
    fn it_is_saved_as_a_list() {
        let places: Places<u32, 2> = [7, 8, 9].into_iter().collect();
        let json = serde_json::to_string(&places).unwrap();
        assert_eq!(json, "[7,8,9]");
        let back: Places<u32, 2> = serde_json::from_str(&json).unwrap();
        assert_eq!(&back[..], &[7, 8, 9]);
        let short: Places<u32, 4> = serde_json::from_str("[1]").unwrap();
        assert!(matches!(short, Places::Inline(1, _)));
    }
}
