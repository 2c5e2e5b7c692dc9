//! Which shard a workflow id belongs to: FNV-1a (64 bits) of its UTF-8 bytes, modulo the
//! cluster's shard count. Every run of a workflow id (its continue-as-new chain, the
//! runs its id policies compare) lives on one shard.
//!
//! The function is part of the database's format (`cluster.hash_name`): hosts of one
//! cluster must agree on it forever, so it is pinned by the golden values below and a
//! new function would get a new name.

/// The name recorded in the `cluster` row for [`shard_of`].
pub const HASH_NAME: &str = "fnv1a64-v1";

/// The shard of `workflow_id` among `shard_count` shards.
///
/// ```
/// use weft_postgres::cluster::shard_of;
/// assert_eq!(shard_of("order-1", 256), shard_of("order-1", 256));
/// assert!(shard_of("order-1", 256) < 256);
/// ```
pub fn shard_of(workflow_id: &str, shard_count: u32) -> u32 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0100_0000_01b3;
    let hash = workflow_id
        .bytes()
        .fold(OFFSET, |h, b| (h ^ u64::from(b)).wrapping_mul(PRIME));
    (hash % u64::from(shard_count.max(1))) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_values_never_change() {
        // FNV-1a 64 test vectors: "" → cbf29ce484222325, "a" → af63dc4c8601ec8c.
        assert_eq!(
            shard_of("", u32::MAX),
            (0xcbf2_9ce4_8422_2325u64 % 0xffff_ffff) as u32
        );
        assert_eq!(
            shard_of("a", u32::MAX),
            (0xaf63_dc4c_8601_ec8cu64 % 0xffff_ffff) as u32
        );
        assert_eq!(shard_of("order-1", 256), 0x6d);
        assert_eq!(shard_of("hello-1", 256), 0xf9);
    }

    #[test]
    fn ids_spread_over_the_shards() {
        let mut counts = [0u32; 16];
        for i in 0..16_000 {
            counts[shard_of(&format!("wf-{i}"), 16) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (800..1200).contains(&c)),
            "{counts:?}"
        );
    }
}
