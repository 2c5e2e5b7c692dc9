//! The payment's steps, driven by hand with the SDK's harness: the activities get the
//! real card values, and every step goes through `audit`.

use serde_json::{json, Value};
use weft_sdk::testing::{self, Harness};
use weft_sdk::wit::{Command, IssuedCommand};
use weft_sdk::Sensitive;

use super::*;

fn request() -> PaymentRequest {
    PaymentRequest {
        id: "p-7".into(),
        customer: "Ada".into(),
        card_number: "4111 1111 1111 1111".into(),
        cvv: Sensitive("123".into()),
        amount_cents: 1999,
    }
}

/// The one activity `commands` schedule: its type and input.
#[track_caller]
fn scheduled(commands: &[IssuedCommand]) -> (String, Value) {
    let [IssuedCommand {
        command: Command::ScheduleActivity(s),
        ..
    }] = commands
    else {
        panic!("one activity scheduled, not {commands:?}")
    };
    (
        s.activity_type.clone(),
        serde_json::from_slice(&s.input.data).unwrap(),
    )
}

#[test]
fn every_step_is_audited_and_the_activities_get_the_real_card() {
    let mut harness = Harness::new::<audited_payment>();
    let real = json!({
        "id": "p-7", "customer": "Ada", "card_number": "4111 1111 1111 1111",
        "cvv": {"$sensitive": "123"}, "amount_cents": 1999
    });
    let first = harness.start(&request()).unwrap();
    assert_eq!(
        scheduled(&first),
        ("audit".into(), json!({"step": "received", "details": real}))
    );
    let next = harness
        .activate(vec![testing::complete_activity(1, &1u64)])
        .unwrap();
    assert_eq!(scheduled(&next), ("authorize_card".into(), real));
    let authorization = Authorization {
        authorization_id: "auth-p-7".into(),
        card_last4: "1111".into(),
        card_fingerprint: "f00d".into(),
    };
    let next = harness
        .activate(vec![testing::complete_activity(2, &authorization)])
        .unwrap();
    assert_eq!(scheduled(&next).1["step"], "authorized");
    let next = harness
        .activate(vec![testing::complete_activity(3, &2u64)])
        .unwrap();
    assert_eq!(
        scheduled(&next),
        ("capture_payment".into(), json!(["auth-p-7", 1999]))
    );
    let capture = Capture {
        payment_id: "pay-p-7".into(),
        amount_cents: 1999,
    };
    let next = harness
        .activate(vec![testing::complete_activity(4, &capture)])
        .unwrap();
    assert_eq!(scheduled(&next).1["step"], "captured");
    let done = harness
        .activate(vec![testing::complete_activity(5, &3u64)])
        .unwrap();
    let receipt: Receipt = testing::completed(&done).expect("the payment is made");
    assert_eq!(receipt.card_number, "4111 1111 1111 1111");
    assert_eq!(
        (receipt.card_fingerprint.as_str(), receipt.audit_entries),
        ("f00d", 3)
    );
}

#[test]
fn a_declined_card_is_audited_and_fails_the_run() {
    let mut harness = Harness::new::<audited_payment>();
    harness.start(&request()).unwrap();
    harness
        .activate(vec![testing::complete_activity(1, &1u64)])
        .unwrap();
    let declined = testing::fail_activity(2, "the card number is not valid", "CardInvalid");
    let next = harness.activate(vec![declined]).unwrap();
    assert_eq!(
        scheduled(&next).1,
        json!({"step": "declined", "details": {"reason": "the card number is not valid"}})
    );
    let ended = harness
        .activate(vec![testing::complete_activity(3, &2u64)])
        .unwrap();
    let failure = testing::failed(&ended).expect("the run fails");
    assert_eq!(failure.error_type, PAYMENT_DECLINED);
}
