//! Address ranges → values, looked up by binary search.
//!
//! A table keeps its ranges disjoint and sorted by first address in three flat vectors (first
//! addresses, last addresses, values) per address family: `u32` keys for IPv4, `u128` for IPv6.
//! A lookup is one `partition_point` over the first addresses and one comparison with the last
//! address — no allocation, no hashing, a few cache lines. A 65,537-entry index by the top 16
//! bits of the address (where the ranges starting in each /16 begin) narrows the binary search
//! to one bucket first: for the 400,000 ranges of an IPv4 ASN table that is
//! a handful of steps instead of nineteen, most of them cache misses.
//!
//! Input ranges may come unsorted and may overlap; [`RangeTable::build`] cuts them into disjoint
//! pieces first. On overlap, **the range that starts closest to the address wins**, and of ranges
//! that start at the same address the narrower one; of identical ranges, the one given first.
//! For nested ranges — every overlap in prefix-based data such as routing tables — that is the
//! most specific range, as in longest-prefix match.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address family's key: the address as an unsigned integer.
pub trait Key: Copy + Ord {
    /// The next address, `None` past the last one.
    fn next(self) -> Option<Self>;
    /// The previous address, `None` before the first one.
    fn prev(self) -> Option<Self>;
    /// The top 16 bits: the index bucket.
    fn bucket(self) -> usize;
}

impl Key for u32 {
    fn next(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn prev(self) -> Option<Self> {
        self.checked_sub(1)
    }
    fn bucket(self) -> usize {
        (self >> 16) as usize
    }
}

impl Key for u128 {
    fn next(self) -> Option<Self> {
        self.checked_add(1)
    }
    fn prev(self) -> Option<Self> {
        self.checked_sub(1)
    }
    fn bucket(self) -> usize {
        (self >> 112) as usize
    }
}

/// Buckets of the index: one per value of the top 16 bits.
const BUCKETS: usize = 1 << 16;

/// Disjoint ranges of one address family, sorted by first address.
#[derive(Debug, Clone)]
pub struct Ranges<K, V> {
    firsts: Vec<K>,
    lasts: Vec<K>,
    values: Vec<V>,
    /// `index[b]`: how many ranges start in a bucket before `b` (`BUCKETS + 1` entries), so
    /// the ranges starting in bucket `b` are `index[b]..index[b + 1]`. Empty when there are no
    /// ranges, or too many for `u32`.
    index: Vec<u32>,
}

impl<K, V> Default for Ranges<K, V> {
    fn default() -> Self {
        Ranges {
            firsts: Vec::new(),
            lasts: Vec::new(),
            values: Vec::new(),
            index: Vec::new(),
        }
    }
}

impl<K: Key, V: Copy + Eq> Ranges<K, V> {
    /// Cuts `(first, last, value)` rows (inclusive, `first <= last`) into disjoint ranges,
    /// resolving overlaps as the module documents. Adjacent pieces with the same value are
    /// joined.
    fn build(mut rows: Vec<(K, K, V)>) -> Self {
        // By first address; at the same first address the wider range first, so that the
        // narrower one is pushed after it and sits on top. The sort is stable: of identical
        // ranges the one given first stays first, and is the one kept.
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        rows.dedup_by(|later, earlier| later.0 == earlier.0 && later.1 == earlier.1);
        let mut out = Ranges::default();
        out.cut(&rows);
        out.index();
        out
    }

    /// Appends the disjoint pieces of the sorted, deduplicated `rows`.
    fn cut(&mut self, rows: &[(K, K, V)]) {
        let out = self;
        let Some(&(mut cursor, _, _)) = rows.first() else {
            return;
        };
        // Ranges that have started and may still cover addresses past `cursor` (the first
        // address not yet decided), as (last address, value); the top one wins where it
        // does. Deeper ones started earlier, or are wider.
        let mut open: Vec<(K, V)> = Vec::new();
        for &(first, last, value) in rows {
            // Close the ranges that end before this one starts.
            while let Some(&(end, owner)) = open.last() {
                if end >= first {
                    break;
                }
                open.pop();
                if cursor <= end {
                    out.push(cursor, end, owner);
                    // `end < first`, so this cannot overflow.
                    cursor = end.next().unwrap_or(end);
                }
            }
            // The enclosing range keeps the addresses before this one starts.
            if let (Some(&(_, owner)), Some(until)) = (open.last(), first.prev()) {
                if cursor <= until {
                    out.push(cursor, until, owner);
                }
            }
            cursor = first;
            open.push((last, value));
        }
        // Close the rest, from the top.
        let mut cursor = Some(cursor);
        while let (Some(&(end, owner)), Some(from)) = (open.last(), cursor) {
            open.pop();
            if from <= end {
                out.push(from, end, owner);
                // `None` once the address space is used up.
                cursor = end.next();
            }
        }
    }

    /// Builds the bucket index over the ranges.
    fn index(&mut self) {
        if self.firsts.is_empty() || u32::try_from(self.firsts.len()).is_err() {
            return;
        }
        let mut index = Vec::with_capacity(BUCKETS + 1);
        let mut at = 0usize;
        for bucket in 0..=BUCKETS {
            while self.firsts.get(at).is_some_and(|f| f.bucket() < bucket) {
                at += 1;
            }
            // `at <= len`, which fits in u32 (checked above).
            index.push(at as u32);
        }
        self.index = index;
    }

    /// Appends a range after the last one, joining it to the last when adjacent and equal.
    fn push(&mut self, first: K, last: K, value: V) {
        if let (Some(prev_last), Some(prev_value)) = (self.lasts.last_mut(), self.values.last()) {
            if *prev_value == value && prev_last.next() == Some(first) {
                *prev_last = last;
                return;
            }
        }
        self.firsts.push(first);
        self.lasts.push(last);
        self.values.push(value);
    }

    /// The value of the range holding `key`.
    #[inline]
    pub fn get(&self, key: K) -> Option<V> {
        let bucket = key.bucket();
        let (lo, hi) = match (self.index.get(bucket), self.index.get(bucket + 1)) {
            (Some(&lo), Some(&hi)) => (lo as usize, hi as usize),
            _ => (0, self.firsts.len()),
        };
        // The range holding `key` starts in its bucket, or is the last one before it.
        let within = self
            .firsts
            .get(lo..hi)?
            .partition_point(|&first| first <= key);
        let i = (lo + within).checked_sub(1)?;
        // The three vectors have the same length by construction.
        if *self.lasts.get(i)? >= key {
            self.values.get(i).copied()
        } else {
            None
        }
    }

    pub fn len(&self) -> usize {
        self.firsts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.firsts.is_empty()
    }

    /// The disjoint ranges, in order.
    pub fn iter(&self) -> impl Iterator<Item = (K, K, V)> + '_ {
        self.firsts
            .iter()
            .zip(&self.lasts)
            .zip(&self.values)
            .map(|((&f, &l), &v)| (f, l, v))
    }
}

/// IPv4 and IPv6 ranges to values.
#[derive(Debug, Clone)]
pub struct RangeTable<V> {
    v4: Ranges<u32, V>,
    v6: Ranges<u128, V>,
}

impl<V: Copy + Eq> RangeTable<V> {
    /// Builds a table from inclusive ranges in any order; see the module for overlaps.
    pub fn build(v4: Vec<(u32, u32, V)>, v6: Vec<(u128, u128, V)>) -> Self {
        RangeTable {
            v4: Ranges::build(v4),
            v6: Ranges::build(v6),
        }
    }

    /// The value of the range holding `ip`. An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is
    /// looked up as the IPv4 address it carries.
    #[inline]
    pub fn get(&self, ip: IpAddr) -> Option<V> {
        match ip {
            IpAddr::V4(v4) => self.v4.get(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => self.v4.get(u32::from(v4)),
                None => self.v6.get(u128::from(v6)),
            },
        }
    }

    /// How many disjoint ranges the table holds (after overlaps were cut and neighbours with
    /// the same value joined).
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn v4(&self) -> &Ranges<u32, V> {
        &self.v4
    }

    pub fn v6(&self) -> &Ranges<u128, V> {
        &self.v6
    }

    /// Every range as addresses, IPv4 first.
    pub fn ranges(&self) -> impl Iterator<Item = (IpAddr, IpAddr, V)> + '_ {
        let v4 = self
            .v4
            .iter()
            .map(|(f, l, v)| (Ipv4Addr::from(f).into(), Ipv4Addr::from(l).into(), v));
        let v6 = self
            .v6
            .iter()
            .map(|(f, l, v)| (Ipv6Addr::from(f).into(), Ipv6Addr::from(l).into(), v));
        v4.chain(v6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(u32, u32, u32)]) -> Ranges<u32, u32> {
        Ranges::build(rows.to_vec())
    }

    /// What the overlap rule says `key` gets, by brute force over the rows: of the ranges
    /// holding it, the one starting closest to it, then the narrower, then the first given.
    fn by_the_rule(rows: &[(u32, u32, u32)], key: u32) -> Option<u32> {
        rows.iter()
            .enumerate()
            .filter(|(_, &(first, last, _))| first <= key && key <= last)
            .min_by(|(i, a), (j, b)| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(i.cmp(j)))
            .map(|(_, &(_, _, value))| value)
    }

    fn pieces(r: &Ranges<u32, u32>) -> Vec<(u32, u32, u32)> {
        r.iter().collect()
    }

    #[test]
    fn finds_addresses_at_both_edges_and_nothing_between_ranges() {
        let r = table(&[(10, 19, 1), (30, 39, 2)]);
        assert_eq!(r.get(9), None);
        assert_eq!(r.get(10), Some(1));
        assert_eq!(r.get(19), Some(1));
        assert_eq!(r.get(20), None);
        assert_eq!(r.get(29), None);
        assert_eq!(r.get(30), Some(2));
        assert_eq!(r.get(39), Some(2));
        assert_eq!(r.get(40), None);
        assert_eq!(r.get(u32::MAX), None);
        assert_eq!(table(&[]).get(5), None);
    }

    #[test]
    fn unsorted_input_is_sorted() {
        let r = table(&[(30, 39, 2), (0, 9, 0), (10, 19, 1)]);
        assert_eq!(pieces(&r), [(0, 9, 0), (10, 19, 1), (30, 39, 2)]);
    }

    #[test]
    fn a_range_inside_another_wins_inside_it_and_the_outer_one_resumes_after() {
        let r = table(&[(0, 100, 1), (10, 20, 2), (50, 60, 3)]);
        assert_eq!(
            pieces(&r),
            [
                (0, 9, 1),
                (10, 20, 2),
                (21, 49, 1),
                (50, 60, 3),
                (61, 100, 1)
            ]
        );
        assert_eq!(r.get(55), Some(3));
        assert_eq!(r.get(70), Some(1));
        // The inner range given first changes nothing.
        let r2 = table(&[(10, 20, 2), (50, 60, 3), (0, 100, 1)]);
        assert_eq!(pieces(&r), pieces(&r2));
    }

    #[test]
    fn deeply_nested_ranges_give_the_most_specific() {
        let r = table(&[(0, 1000, 1), (100, 500, 2), (200, 300, 3), (250, 260, 4)]);
        for (key, want) in [
            (50, 1),
            (150, 2),
            (220, 3),
            (255, 4),
            (270, 3),
            (400, 2),
            (900, 1),
        ] {
            assert_eq!(r.get(key), Some(want), "at {key}");
        }
    }

    #[test]
    fn of_ranges_starting_together_the_narrower_wins() {
        let r = table(&[(10, 100, 1), (10, 20, 2)]);
        assert_eq!(pieces(&r), [(10, 20, 2), (21, 100, 1)]);
    }

    #[test]
    fn of_identical_ranges_the_first_given_wins() {
        let r = table(&[(10, 20, 1), (10, 20, 2)]);
        assert_eq!(pieces(&r), [(10, 20, 1)]);
    }

    #[test]
    fn partly_overlapping_ranges_give_the_later_start_its_own_addresses() {
        let r = table(&[(0, 50, 1), (40, 90, 2)]);
        assert_eq!(pieces(&r), [(0, 39, 1), (40, 90, 2)]);
    }

    #[test]
    fn ranges_at_the_ends_of_the_address_space_do_not_overflow() {
        let r = table(&[(0, u32::MAX, 1), (u32::MAX - 1, u32::MAX, 2), (0, 0, 3)]);
        assert_eq!(
            pieces(&r),
            [(0, 0, 3), (1, u32::MAX - 2, 1), (u32::MAX - 1, u32::MAX, 2)]
        );
        let v6: Ranges<u128, u32> = Ranges::build(vec![(0, u128::MAX, 7), (5, u128::MAX, 8)]);
        assert_eq!(v6.get(u128::MAX), Some(8));
        assert_eq!(v6.get(4), Some(7));
    }

    #[test]
    fn adjacent_ranges_with_the_same_value_are_joined() {
        let r = table(&[(0, 9, 1), (10, 19, 1), (20, 29, 2), (31, 40, 2)]);
        assert_eq!(pieces(&r), [(0, 19, 1), (20, 29, 2), (31, 40, 2)]);
    }

    /// Every address of a small space against a brute-force reading of the rule.
    #[test]
    fn agrees_with_the_rule_on_random_overlapping_ranges() {
        let mut seed = 0x9e37_79b9_u32;
        let mut next = |n: u32| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed % n
        };
        for _ in 0..200 {
            let rows: Vec<(u32, u32, u32)> = (0..next(8) + 1)
                .map(|v| {
                    let a = next(64);
                    let b = next(64);
                    (a.min(b), a.max(b), v)
                })
                .collect();
            let r = table(&rows);
            for key in 0..70 {
                assert_eq!(r.get(key), by_the_rule(&rows, key), "{rows:?} at {key}");
            }
        }
    }

    #[test]
    fn ranges_reaching_across_index_buckets_are_found_from_each_bucket() {
        let r = table(&[(0x0001_fff0, 0x0003_0005, 1), (0x0002_1000, 0x0002_2000, 2)]);
        assert_eq!(r.get(0x0001_ffef), None);
        assert_eq!(r.get(0x0001_fff0), Some(1));
        assert_eq!(r.get(0x0002_0000), Some(1));
        assert_eq!(r.get(0x0002_1000), Some(2));
        assert_eq!(r.get(0x0002_2001), Some(1));
        assert_eq!(r.get(0x0003_0005), Some(1));
        assert_eq!(r.get(0x0003_0006), None);
        assert_eq!(r.get(u32::MAX), None);
        let v6: Ranges<u128, u32> = Ranges::build(vec![(5 << 112, (9 << 112) + 7, 1)]);
        assert_eq!(v6.get(7 << 112), Some(1));
        assert_eq!(v6.get((9 << 112) + 8), None);
        assert_eq!(v6.get(4 << 112), None);
    }

    /// The rule again, with ranges spread over many index buckets.
    #[test]
    fn agrees_with_the_rule_across_buckets() {
        let mut seed = 0x1234_5678_u32;
        let mut next = |n: u32| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed % n
        };
        const SCALE: u32 = 0x3fff;
        for _ in 0..100 {
            let rows: Vec<(u32, u32, u32)> = (0..next(12) + 1)
                .map(|v| {
                    let a = next(64) * SCALE + next(3);
                    let b = next(64) * SCALE + next(3);
                    (a.min(b), a.max(b), v)
                })
                .collect();
            let r = table(&rows);
            for step in 0..66 {
                for key in [
                    step * SCALE,
                    step * SCALE + 1,
                    (step * SCALE).saturating_sub(1),
                ] {
                    assert_eq!(r.get(key), by_the_rule(&rows, key), "{rows:?} at {key:#x}");
                }
            }
        }
    }

    #[test]
    fn ipv4_mapped_ipv6_addresses_are_looked_up_as_ipv4() {
        let t = RangeTable::build(
            vec![(
                u32::from(Ipv4Addr::new(1, 0, 0, 0)),
                u32::from(Ipv4Addr::new(1, 0, 0, 255)),
                13335,
            )],
            vec![],
        );
        assert_eq!(t.get("1.0.0.1".parse().unwrap()), Some(13335));
        assert_eq!(t.get("::ffff:1.0.0.1".parse().unwrap()), Some(13335));
        assert_eq!(t.get("2001:db8::1".parse().unwrap()), None);
    }
}
