//! Which live host a shard belongs to: rendezvous (highest random weight) hashing. Every
//! host computes the same answer from the same list of live nodes, with no coordination;
//! when a node joins or leaves, only the shards it wins or held move (about 1/n of them).

use std::collections::BTreeSet;

/// The shards of `0..shard_count` that `node_id` wins among `live` (the live nodes,
/// which should include `node_id`; when they do not, it wins as if it were one).
pub fn assigned(node_id: &str, live: &[String], shard_count: u32) -> BTreeSet<u32> {
    (0..shard_count)
        .filter(|&shard| {
            let mine = weight(node_id, shard);
            live.iter()
                .filter(|n| n.as_str() != node_id)
                .all(|other| (weight(other, shard), other.as_str()) < (mine, node_id))
        })
        .collect()
}

/// The weight of `node_id` for `shard`: FNV-1a 64 of the node id and the shard,
/// finished with SplitMix64's mix so that near inputs spread.
fn weight(node_id: &str, shard: u32) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let hash = (node_id.bytes().chain([0]).chain(shard.to_le_bytes()))
        .fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME));
    let mut z = hash.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nodes(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn every_shard_has_exactly_one_winner() {
        let live = nodes(&["a", "b", "c"]);
        let sets: Vec<_> = live.iter().map(|n| assigned(n, &live, 256)).collect();
        let total: usize = sets.iter().map(BTreeSet::len).sum();
        assert_eq!(total, 256);
        for set in &sets {
            assert!((50..120).contains(&set.len()), "{}", set.len());
        }
        for shard in 0..256 {
            assert_eq!(sets.iter().filter(|s| s.contains(&shard)).count(), 1);
        }
    }

    #[test]
    fn a_node_alone_wins_everything() {
        assert_eq!(assigned("a", &nodes(&["a"]), 16).len(), 16);
        assert_eq!(assigned("a", &[], 16).len(), 16);
    }

    #[test]
    fn a_joining_node_takes_shards_only_from_others_never_moves_the_rest() {
        let before = nodes(&["a", "b"]);
        let after = nodes(&["a", "b", "c"]);
        for n in ["a", "b"] {
            let (old, new) = (assigned(n, &before, 256), assigned(n, &after, 256));
            assert!(new.is_subset(&old), "{n} gained a shard when c joined");
        }
    }
}
