//! Where the host's randomness comes from: run ids, generated workflow ids, update and
//! query ids, and the seed each run's workflow code draws its random numbers from.
//!
//! In production it is the operating system's ([`Entropy::system`], the default): ids
//! are random v4 UUIDs. A simulator gives the host a seeded source
//! ([`Entropy::seeded`]), so that two runs of one seed name every run alike and every
//! history comes out the same, byte for byte.

use std::sync::{Arc, Mutex};

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// The host's source of random ids and seeds.
#[derive(Clone, Default)]
pub struct Entropy {
    seeded: Option<Arc<Mutex<ChaCha8Rng>>>,
}

impl std::fmt::Debug for Entropy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seeded {
            None => f.write_str("Entropy::System"),
            Some(_) => f.write_str("Entropy::Seeded"),
        }
    }
}

impl Entropy {
    /// The operating system's randomness (the default).
    pub fn system() -> Entropy {
        Entropy { seeded: None }
    }

    /// A deterministic stream drawn from `seed`.
    pub fn seeded(seed: u64) -> Entropy {
        Entropy {
            seeded: Some(Arc::new(Mutex::new(ChaCha8Rng::seed_from_u64(seed)))),
        }
    }

    /// A fresh id: 32 lowercase hex digits (a v4 UUID in its simple form).
    pub fn id(&self) -> String {
        match &self.seeded {
            None => uuid::Uuid::new_v4().simple().to_string(),
            Some(rng) => {
                let mut bytes = [0u8; 16];
                rng.lock().unwrap().fill_bytes(&mut bytes);
                uuid::Builder::from_random_bytes(bytes)
                    .into_uuid()
                    .simple()
                    .to_string()
            }
        }
    }

    /// A fresh 64-bit seed (a run's random seed).
    pub fn seed(&self) -> u64 {
        match &self.seeded {
            None => uuid::Uuid::new_v4().as_u64_pair().0,
            Some(rng) => rng.lock().unwrap().next_u64(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seeded_source_repeats_and_looks_like_the_system_one() {
        let (a, b) = (Entropy::seeded(7), Entropy::seeded(7));
        let ids: Vec<String> = (0..3).map(|_| a.id()).collect();
        assert_eq!(ids, (0..3).map(|_| b.id()).collect::<Vec<_>>());
        assert_eq!(a.seed(), b.seed());
        assert_ne!(ids[0], ids[1]);
        assert_eq!(ids[0].len(), Entropy::system().id().len());
        assert_ne!(Entropy::seeded(8).id(), Entropy::seeded(7).id());
    }
}
