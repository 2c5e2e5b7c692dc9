use base64::Engine as _;

use super::*;
use crate::history::codec::{decode_chunks, Chunk};
use crate::history::vocab::{Command, IssuedCommand, Job, Signal, StartWorkflow};

fn key(byte: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

fn codec(active: &str, compress_above: Option<usize>) -> PayloadCodec {
    let text = serde_json::json!({
        "active": active,
        "keys": { "old": key(1), "new": key(2) },
        "compress_above": compress_above,
    });
    PayloadCodec::new(Keyring::from_json(&text.to_string()).unwrap())
}

fn start(input: &str) -> Event {
    Event::Job(Job::StartWorkflow(StartWorkflow {
        workflow_type: "t".into(),
        input: Payload::json(&input.into()),
        workflow_id: "w".into(),
        run_id: "r".into(),
        attempt: 1,
        parent_workflow_id: None,
        random_seed: 7,
        search_attributes: vec![("Customer".into(), Payload::json(&"acme".into()))],
        memo: vec![("note".into(), Payload::json(&"memo-secret".into()))],
    }))
}

fn sample() -> Vec<Event> {
    vec![
        Event::TaskStarted { time_ms: 1 },
        start("input-secret"),
        Event::Job(Job::Signal(Signal {
            name: "s".into(),
            input: Payload::json(&"signal-secret".into()),
        })),
        Event::Command(IssuedCommand {
            command: Command::CompleteWorkflow(Payload::json(&"result-secret".into())),
            location: None,
        }),
    ]
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn decode(codec: &PayloadCodec, bytes: Vec<u8>) -> Result<Vec<Event>, CodecError> {
    let chunk = Chunk {
        first_index: 0,
        bytes,
    };
    let mut events = decode_chunks("r", FORMAT, [chunk]).unwrap();
    codec.decode_events(&mut events)?;
    Ok(events)
}

const FORMAT: u16 = crate::history::FORMAT_VERSION;

#[test]
fn chunks_hold_no_plaintext_but_search_attributes_and_decode_back() {
    let codec = codec("new", Some(1024));
    let (bytes, len) = codec.encode_chunk(FORMAT, &sample());
    for secret in [
        "input-secret",
        "memo-secret",
        "signal-secret",
        "result-secret",
    ] {
        assert!(!contains(&bytes, secret), "{secret} is in the chunk");
    }
    assert!(contains(&bytes, "acme"), "search attributes stay plaintext");
    assert!(contains(&bytes, "new"), "the key id is stored");
    assert_eq!(len, sample().iter().map(encoded_len).sum::<u64>());
    assert_eq!(decode(&codec, bytes).unwrap(), sample());
}

#[test]
fn each_payload_gets_its_own_nonce() {
    let codec = codec("new", None);
    let (a, _) = codec.encode_chunk(FORMAT, &sample());
    let (b, _) = codec.encode_chunk(FORMAT, &sample());
    assert_ne!(a, b);
}

#[test]
fn rotation_keeps_old_payloads_readable() {
    let (old, _) = codec("old", None).encode_chunk(FORMAT, &sample());
    let rotated = codec("new", None);
    assert_eq!(decode(&rotated, old.clone()).unwrap(), sample());
    let (new, _) = rotated.encode_chunk(FORMAT, &sample());
    let mut events = decode_chunks(
        "r",
        FORMAT,
        [Chunk {
            first_index: 0,
            bytes: new,
        }],
    )
    .unwrap();
    let Event::Job(Job::Signal(signal)) = &events[2] else {
        panic!("{:?}", events[2]);
    };
    assert_eq!(
        Envelope::of(&signal.input).unwrap().key_id.as_deref(),
        Some("new")
    );
    rotated.decode_events(&mut events).unwrap();
    assert_eq!(events, sample());
}

#[test]
fn a_missing_key_is_named() {
    let (bytes, _) = codec("old", None).encode_chunk(FORMAT, &sample());
    let only_new = format!(r#"{{"active": "new", "keys": {{"new": "{}"}}}}"#, key(2));
    let only_new = PayloadCodec::new(Keyring::from_json(&only_new).unwrap());
    let err = decode(&only_new, bytes.clone()).unwrap_err();
    assert!(
        matches!(&err, CodecError::MissingKey { key_id } if key_id == "old"),
        "{err}"
    );
    assert!(err.to_string().contains("`old`"));
    let err = decode(&PayloadCodec::none(), bytes.clone()).unwrap_err();
    assert!(
        matches!(&err, CodecError::NoKeys { key_id } if key_id == "old"),
        "{err}"
    );
    assert!(err.to_string().contains("--codec-keys"));
    let wrong = format!(r#"{{"keys": {{"old": "{}"}}}}"#, key(9));
    let wrong = PayloadCodec::new(Keyring::from_json(&wrong).unwrap());
    let err = decode(&wrong, bytes).unwrap_err();
    assert!(matches!(err, CodecError::Decrypt { .. }), "{err}");
}

#[test]
fn large_payloads_are_compressed_then_encrypted() {
    let big = "order line ".repeat(2000);
    let events = vec![start(&big)];
    let plain = crate::history::codec::encode_events(FORMAT, &events);
    let (compressed, _) = codec("new", Some(1024)).encode_chunk(FORMAT, &events);
    let (uncompressed, _) = codec("new", None).encode_chunk(FORMAT, &events);
    assert!(
        compressed.len() * 10 < plain.len(),
        "{} vs {}",
        compressed.len(),
        plain.len()
    );
    assert!(uncompressed.len() > plain.len());
    assert_eq!(
        decode(&codec("new", Some(1024)), compressed).unwrap(),
        events
    );
    // Below the threshold nothing is compressed.
    let mut small = vec![start("tiny")];
    codec("new", Some(1024)).encode_events(&mut small);
    let Event::Job(Job::StartWorkflow(s)) = &small[0] else {
        unreachable!()
    };
    assert!(!Envelope::of(&s.input).unwrap().compressed);
}

#[test]
fn compression_alone_needs_no_key_to_read() {
    let only_zstd = PayloadCodec::new(Keyring::from_json(r#"{"compress_above": 10}"#).unwrap());
    let events = vec![start(&"z".repeat(500))];
    let (bytes, _) = only_zstd.encode_chunk(FORMAT, &events);
    assert!(bytes.len() < 200);
    assert_eq!(decode(&PayloadCodec::none(), bytes).unwrap(), events);
}

#[test]
fn tampering_is_detected() {
    let codec = codec("new", None);
    let mut payload = envelope::seal(codec.0.as_deref().unwrap(), Payload::json(&"secret".into()));
    let mut env = Envelope::of(&payload).unwrap();
    env.encoding = Encoding::Binary;
    payload = env.into_payload();
    let err = envelope::open(codec.0.as_deref(), &payload).unwrap_err();
    assert!(matches!(err, CodecError::Decrypt { .. }), "{err}");
    payload.data[0] = 9;
    let err = envelope::open(codec.0.as_deref(), &payload).unwrap_err();
    assert!(err.to_string().contains("upgrade weft"), "{err}");
}

#[test]
fn without_a_codec_chunks_are_unchanged_and_outcomes_too() {
    let none = PayloadCodec::none();
    assert_eq!(
        none.encode_chunk(FORMAT, &sample()).0,
        crate::history::codec::encode_events(FORMAT, &sample())
    );
    assert!(none.sealed_outcome(&Outcome::Cancelled).is_none());
    let codec = codec("new", None);
    let mut sealed = codec
        .sealed_outcome(&Outcome::Completed(Payload::json(&"result-secret".into())))
        .unwrap();
    assert!(matches!(&sealed, Outcome::Completed(p) if p.encoding == Encoding::Encoded));
    codec.decode_outcome(&mut sealed).unwrap();
    assert_eq!(
        sealed,
        Outcome::Completed(Payload::json(&"result-secret".into()))
    );
}

#[test]
fn a_format_1_run_stays_plaintext_and_older_runs_get_a_newer_chunk_stamp() {
    let codec = codec("new", None);
    assert_eq!(
        codec.encode_chunk(1, &sample()).0,
        crate::history::codec::encode_events(1, &sample())
    );
    let (bytes, _) = codec.encode_chunk(3, &sample());
    assert_eq!(bytes[0] as u16, ENCODED_SINCE_FORMAT);
    let events = decode_chunks(
        "r",
        3,
        [Chunk {
            first_index: 0,
            bytes,
        }],
    )
    .unwrap();
    let mut events = events;
    codec.decode_events(&mut events).unwrap();
    assert_eq!(events, sample());
}

/// A failure whose message, details and cause all say `secret`, and the requests'
/// reasons.
fn failing() -> Vec<Event> {
    let failure = crate::history::Failure::new("main-secret", "Main")
        .caused_by(crate::history::Failure::new("cause-secret", "Cause"));
    vec![
        Event::CancelRequested {
            reason: "cancel-secret".into(),
        },
        Event::Command(IssuedCommand {
            command: Command::FailWorkflow(crate::history::Failure {
                details: Some(Payload::json(&"details-secret".into())),
                ..failure
            }),
            location: None,
        }),
        Event::Terminated {
            reason: "terminate-secret".into(),
        },
    ]
}

#[test]
fn failure_messages_and_reasons_are_encoded_with_the_payloads() {
    let codec = codec("new", None);
    let (bytes, _) = codec.encode_chunk(3, &failing());
    for secret in ["main", "cause", "details", "cancel", "terminate"] {
        assert!(!contains(&bytes, &format!("{secret}-secret")), "{secret}");
    }
    assert_eq!(bytes[0] as u16, ENCODED_TEXT_SINCE_FORMAT);
    let raw = |bytes: Vec<u8>| {
        let chunk = Chunk {
            first_index: 0,
            bytes,
        };
        decode_chunks("r", 3, [chunk]).unwrap()
    };
    let mut events = raw(bytes.clone());
    // As stored: Temporal's "Encoded failure", the message in the encoded attributes,
    // and so is the cause's.
    let Event::Command(IssuedCommand {
        command: Command::FailWorkflow(stored),
        ..
    }) = &events[1]
    else {
        panic!("{:?}", events[1]);
    };
    for f in stored.chain() {
        assert_eq!(f.message, crate::history::Failure::ENCODED_MESSAGE);
        assert!(f.encoded_attributes.is_some());
    }
    codec.decode_events(&mut events).unwrap();
    assert_eq!(events, failing());
    // Without the keys, the reader is told which key it needs.
    let mut events = raw(bytes);
    let err = PayloadCodec::none().decode_events(&mut events).unwrap_err();
    assert!(err.to_string().contains("`new`"), "{err}");
}

#[test]
fn a_failed_outcome_and_a_terminated_one_are_encoded() {
    let codec = codec("new", None);
    let failed = Outcome::Failed(
        crate::history::Failure::new("main-secret", "Main")
            .caused_by(crate::history::Failure::new("cause-secret", "Cause")),
    );
    for outcome in [failed, Outcome::Terminated("terminate-secret".into())] {
        let mut sealed = codec.sealed_outcome(&outcome).unwrap();
        let bytes = postcard::to_stdvec(&sealed).unwrap();
        assert!(!contains(&bytes, "-secret"), "{outcome:?}");
        if let Outcome::Failed(f) = &sealed {
            assert_eq!(f.message, crate::history::Failure::ENCODED_MESSAGE);
            assert!(f.encoded_attributes.is_some());
        }
        codec.decode_outcome(&mut sealed).unwrap();
        assert_eq!(sealed, outcome);
    }
}
