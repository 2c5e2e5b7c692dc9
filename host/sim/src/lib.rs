//! `weft-sim`: deterministic simulation of the weft host. So far its simulated disk
//! ([`disk::SimDisk`]), a redb backend that knows what was synced.

pub mod disk;
