//! Tests of `pools`.

use std::pin::pin;

use futures::poll;

use super::*;
use crate::activities::ActivityContext;

fn limit(n: usize) -> Option<NonZeroUsize> {
    NonZeroUsize::new(n)
}

fn queue(s: &str) -> TaskQueueConfig {
    s.parse().unwrap()
}

#[tokio::test]
async fn a_queue_runs_at_most_its_limit() {
    let pools = ActivityPools::new(None, &[queue("gpu=2")], &ActivityRegistry::new());
    let a = pools.acquire(Some("gpu")).await.unwrap();
    let _b = pools.acquire(Some("gpu")).await.unwrap();
    let mut third = pin!(pools.acquire(Some("gpu")));
    assert!(poll!(third.as_mut()).is_pending());
    let gpu = pools.load_of("gpu").unwrap();
    assert_eq!((gpu.limit, gpu.running, gpu.waiting), (Some(2), 2, 1));
    // The default queue has no limit of its own and no host limit applies.
    let _d: Vec<Permit> = futures::future::join_all((0..10).map(|_| pools.acquire(None)))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    drop(a);
    let _third = match poll!(third.as_mut()) {
        std::task::Poll::Ready(p) => p.unwrap(),
        std::task::Poll::Pending => panic!("a freed queue slot goes to the waiter"),
    };
    let load = pools.load();
    assert_eq!((load.running, load.waiting), (12, 0));
}

#[tokio::test]
async fn the_host_limit_spans_queues() {
    let pools = ActivityPools::new(limit(2), &[queue("gpu")], &ActivityRegistry::new());
    let a = pools.acquire(None).await.unwrap();
    let _b = pools.acquire(Some("gpu")).await.unwrap();
    let mut third = pin!(pools.acquire(Some("gpu")));
    assert!(poll!(third.as_mut()).is_pending());
    assert_eq!(pools.load().limit, Some(2));
    assert_eq!(pools.load_of("gpu").unwrap().waiting, 1);
    drop(a);
    let permit = match poll!(third.as_mut()) {
        std::task::Poll::Ready(p) => p.unwrap(),
        std::task::Poll::Pending => panic!("a freed host slot goes to the waiter"),
    };
    assert_eq!(permit.queue(), "gpu");
}

#[tokio::test]
async fn a_full_queue_holds_no_host_slot() {
    let pools = ActivityPools::new(limit(2), &[queue("gpu=1")], &ActivityRegistry::new());
    let _gpu = pools.acquire(Some("gpu")).await.unwrap();
    let mut queued = pin!(pools.acquire(Some("gpu")));
    assert!(poll!(queued.as_mut()).is_pending());
    // One host slot is still free for the default queue.
    let mut other = pin!(pools.acquire(None));
    assert!(poll!(other.as_mut()).is_ready());
}

#[tokio::test]
async fn waiters_get_slots_first_come_first_served() {
    let pools = ActivityPools::new(limit(1), &[queue("gpu")], &ActivityRegistry::new());
    let first = pools.acquire(None).await.unwrap();
    let mut waiters: Vec<_> = (0..4)
        .map(|i| Box::pin(pools.acquire(Some(if i % 2 == 0 { "gpu" } else { "default" }))))
        .collect();
    for w in &mut waiters {
        assert!(poll!(w.as_mut()).is_pending());
    }
    let mut held = first;
    for i in 0..waiters.len() {
        drop(held);
        // Later waiters stay queued even when polled first.
        for later in waiters[i + 1..].iter_mut().rev() {
            assert!(poll!(later.as_mut()).is_pending());
        }
        held = match poll!(waiters[i].as_mut()) {
            std::task::Poll::Ready(p) => p.unwrap(),
            std::task::Poll::Pending => panic!("waiter {i} is next"),
        };
    }
    assert_eq!(pools.load().running, 1);
}

#[tokio::test]
async fn a_dropped_wait_is_not_counted() {
    let pools = ActivityPools::new(None, &[queue("gpu=1")], &ActivityRegistry::new());
    let _held = pools.acquire(Some("gpu")).await.unwrap();
    {
        let mut gave_up = pin!(pools.acquire(Some("gpu")));
        assert!(poll!(gave_up.as_mut()).is_pending());
        assert_eq!(pools.load_of("gpu").unwrap().waiting, 1);
    }
    let gpu = pools.load_of("gpu").unwrap();
    assert_eq!((gpu.running, gpu.waiting), (1, 0));
}

#[tokio::test]
async fn an_unknown_queue_is_refused_with_the_served_ones() {
    let pools = ActivityPools::new(None, &[queue("gpu=1")], &ActivityRegistry::new());
    let err = pools.acquire(Some("tpu")).await.unwrap_err();
    assert_eq!(
        err,
        PoolError::UnknownQueue {
            queue: "tpu".into(),
            served: vec!["default".into(), "gpu".into()],
        }
    );
    let message = err.to_string();
    assert!(message.contains("`tpu` is not served by this host (it serves: default, gpu)"));
    let failure = ActivityError::from(err);
    assert!(failure.non_retryable);
    assert_eq!(failure.error_type, "weft.UnknownTaskQueue");
}

#[tokio::test]
async fn a_queue_registered_at_run_time_is_served() {
    let registry = ActivityRegistry::new();
    let pools = ActivityPools::new(None, &[], &registry);
    assert!(pools.acquire(Some("late")).await.is_err());
    registry
        .on_queue("late")
        .register_fn("ping", |_ctx: ActivityContext, _: ()| async { Ok(()) });
    let permit = pools.acquire(Some("late")).await.unwrap();
    assert_eq!(pools.served(), vec!["default", "late"]);
    assert_eq!(pools.load_of("late").unwrap().running, 1);
    // Unregistered, it is no longer served; the attempt that runs still counts.
    registry.on_queue("late").remove("ping");
    assert!(!pools.serves("late"));
    assert!(pools.acquire(Some("late")).await.is_err());
    assert_eq!(pools.load_of("late").unwrap().running, 1);
    drop(permit);
    assert_eq!(pools.load_of("late"), None);
}

#[test]
fn declarations_parse_and_refuse_nonsense() {
    let gpu = queue("gpu=3");
    assert_eq!((gpu.name(), gpu.max_concurrent()), ("gpu", limit(3)));
    assert_eq!(queue("io").max_concurrent(), None);
    let err = |s: &str| s.parse::<TaskQueueConfig>().unwrap_err();
    assert_eq!(
        err("gpu=0"),
        TaskQueueConfigError::ZeroLimit {
            queue: "gpu".into()
        }
    );
    assert!(matches!(
        err("gpu=x"),
        TaskQueueConfigError::BadLimit { .. }
    ));
    assert!(matches!(
        err("gpu=-1"),
        TaskQueueConfigError::BadLimit { .. }
    ));
    assert_eq!(err(""), TaskQueueConfigError::EmptyName);
    assert_eq!(err("=2"), TaskQueueConfigError::EmptyName);
    assert!(matches!(err("a b"), TaskQueueConfigError::BadName(_)));
    assert!(err("gpu=0")
        .to_string()
        .contains("a limit of 0 would never run"));
    let twice = [queue("gpu=1"), queue("io"), queue("gpu=2")];
    assert_eq!(
        TaskQueueConfig::check_unique(&twice),
        Err(TaskQueueConfigError::Duplicate("gpu".into()))
    );
}

#[tokio::test]
async fn declaring_default_limits_the_default_queue() {
    let pools = ActivityPools::new(None, &[queue("default=1")], &ActivityRegistry::new());
    let _held = pools.acquire(None).await.unwrap();
    let mut next = pin!(pools.acquire(Some("default")));
    assert!(poll!(next.as_mut()).is_pending());
}
