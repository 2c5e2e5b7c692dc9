use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use redb::{Database, ReadableDatabase, TableDefinition};

use super::*;

const T: TableDefinition<u64, u64> = TableDefinition::new("t");

fn write(disk: &SimDisk, offset: u64, data: &[u8]) -> io::Result<()> {
    disk.backend().write(offset, data)
}

#[test]
fn synced_writes_survive_a_power_cut_and_unsynced_ones_may_not() {
    let disk = SimDisk::default();
    write(&disk, 0, &[1; 1024]).unwrap();
    disk.backend().sync_data().unwrap();
    write(&disk, 1024, &[2; 2048]).unwrap();
    assert_eq!(disk.unsynced(), 1);
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..64 {
        let image = disk.power_loss_image(&mut ChaCha8Rng::seed_from_u64(seed));
        assert_eq!(&image[..1024], &[1; 1024], "the synced write is kept");
        let tail = image.get(1024..).unwrap_or_default();
        assert!(
            tail.iter().all(|&b| b == 2),
            "a kept write has its own bytes"
        );
        seen.insert(tail.len());
    }
    assert!(seen.contains(&0), "dropped: {seen:?}");
    assert!(seen.contains(&2048), "kept whole: {seen:?}");
    assert!(
        seen.iter().any(|&n| n % 512 == 0 && n > 0 && n < 2048),
        "torn: {seen:?}"
    );
    assert_eq!(
        disk.process_kill_image().len(),
        3072,
        "a process kill keeps it all"
    );
}

#[test]
fn a_crash_at_an_operation_fails_it_and_every_later_one() {
    let disk = SimDisk::default();
    disk.arm(Faults {
        crash_at_op: Some(2),
        ..Faults::default()
    });
    write(&disk, 0, &[1; 10]).unwrap();
    assert!(write(&disk, 10, &[2; 10]).is_err());
    assert!(disk.severed());
    assert!(disk.backend().sync_data().is_err());
    assert!(disk.backend().set_len(0).is_err());
    assert_eq!(disk.process_kill_image(), vec![1; 10]);
}

#[test]
fn a_failed_fsync_leaves_the_writes_unsynced() {
    let disk = SimDisk::default();
    disk.arm(Faults {
        fail_sync_at: Some(1),
        ..Faults::default()
    });
    write(&disk, 0, &[1; 10]).unwrap();
    assert!(disk.backend().sync_data().is_err());
    assert_eq!(disk.unsynced(), 1);
    disk.backend().sync_data().unwrap();
    assert_eq!(disk.unsynced(), 0);
    let image = disk.power_loss_image(&mut ChaCha8Rng::seed_from_u64(0));
    assert_eq!(image, vec![1; 10]);
}

#[test]
fn a_full_disk_refuses_to_grow_the_file() {
    let disk = SimDisk::default();
    disk.arm(Faults {
        quota_bytes: Some(100),
        ..Faults::default()
    });
    write(&disk, 0, &[1; 100]).unwrap();
    let error = write(&disk, 90, &[1; 20]).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::StorageFull);
    assert!(disk.backend().set_len(200).is_err());
    write(&disk, 0, &[3; 50]).unwrap();
}

/// redb on the simulated disk: whatever operation the process dies in, and whatever a
/// power cut then keeps, the database reopens with each committed value or, for the
/// commit the crash interrupted, its old one.
#[test]
fn redb_recovers_from_a_crash_at_every_operation() {
    let commit = |db: &Database, k: u64| -> Result<(), redb::Error> {
        let tx = db.begin_write()?;
        tx.open_table(T)?.insert(k, k * 10)?;
        tx.commit()?;
        Ok(())
    };
    let base = SimDisk::default();
    let db = Database::builder()
        .create_with_backend(base.backend())
        .unwrap();
    commit(&db, 1).unwrap();
    drop(db);
    let ops_after_open = {
        let probe = SimDisk::from_image(base.process_kill_image());
        let db = Database::builder()
            .create_with_backend(probe.backend())
            .unwrap();
        commit(&db, 2).unwrap();
        probe.ops()
    };
    assert!(ops_after_open > 1);
    for k in 1..=ops_after_open {
        for power in [false, true] {
            let disk = SimDisk::from_image(base.process_kill_image());
            disk.arm(Faults {
                crash_at_op: Some(k),
                ..Faults::default()
            });
            let acked = Database::builder()
                .create_with_backend(disk.backend())
                .is_ok_and(|db| commit(&db, 2).is_ok());
            let image = match power {
                true => disk.power_loss_image(&mut ChaCha8Rng::seed_from_u64(k)),
                false => disk.process_kill_image(),
            };
            let db = Database::builder()
                .create_with_backend(SimDisk::from_image(image).backend())
                .unwrap_or_else(|e| panic!("reopen after a crash at op {k}: {e}"));
            let tx = db.begin_read().unwrap();
            let table = tx.open_table(T).unwrap();
            assert_eq!(table.get(1).unwrap().unwrap().value(), 10, "op {k}");
            let two = table.get(2).unwrap().map(|v| v.value());
            assert!(two.is_none() || two == Some(20), "op {k}");
            assert!(
                !acked || two == Some(20),
                "an acknowledged commit is kept (op {k})"
            );
        }
    }
}
