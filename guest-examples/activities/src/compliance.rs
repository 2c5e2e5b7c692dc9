//! A card gateway and an audit trail, for the `audited-payment` example.
//!
//! `authorize_card` checks the real card number (its Luhn check digit) and security
//! code, so a masked value could never pass it. `audit` appends one JSON line per entry
//! to the file named by `WEFT_EXAMPLE_AUDIT_LOG` (to stderr without it), with the
//! entry's sensitive fields masked ([`SensitiveFields::default`]):
//!
//! ```text
//! {"workflow_id":"pay-1","run_id":"…","seq":1,"entry":1,"step":"received","details":{"card_number":"****1111","cvv":{"$sensitive":"****"},…}}
//! ```
//!
//! An attempt that is retried after its entry was written does not write it again (an
//! entry is known by its run and the activity's seq), so each step is in the trail once.

use std::io::{BufRead, Write};
use std::sync::Mutex;

use example_activities_api::{
    Audit, AuditEntry, Authorization, AuthorizeCard, Capture, CapturePayment, PaymentRequest,
    CARD_INVALID,
};
use weft_activity::{ActivityContext, ActivityError, ActivityRegistry, SensitiveFields};

use crate::observe;

/// The environment variable naming the audit trail's file.
pub const AUDIT_LOG_VAR: &str = "WEFT_EXAMPLE_AUDIT_LOG";

/// One audit entry at a time, so entries are numbered in order.
static TRAIL: Mutex<()> = Mutex::new(());

pub(crate) fn register(registry: &mut ActivityRegistry) {
    registry
        .register(AuthorizeCard, |ctx, request| async move {
            observe(&ctx).await?;
            authorize(&request)
        })
        .register(
            CapturePayment,
            |ctx, (authorization, amount): (String, u64)| async move {
                observe(&ctx).await?;
                Ok(Capture {
                    payment_id: authorization.replacen("auth-", "pay-", 1),
                    amount_cents: amount,
                })
            },
        )
        .register(Audit, |ctx, entry| async move {
            observe(&ctx).await?;
            audit(&ctx, entry)
        });
}

fn authorize(request: &PaymentRequest) -> Result<Authorization, ActivityError> {
    let invalid = |what: &str| {
        ActivityError::non_retryable(format!("payment {}: {what}", request.id))
            .with_type(CARD_INVALID)
    };
    let digits = card_digits(&request.card_number)
        .filter(|d| luhn_valid(d))
        .ok_or_else(|| invalid("the card number is not a valid card number"))?;
    let cvv = request.cvv.as_str();
    if !(3..=4).contains(&cvv.len()) || !cvv.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid("the security code is not 3 or 4 digits"));
    }
    Ok(Authorization {
        authorization_id: format!("auth-{}", request.id),
        card_last4: digits[digits.len() - 4..].to_string(),
        card_fingerprint: fingerprint(&digits),
    })
}

/// The digits of a card number written with digits, spaces and dashes only (12 to 19
/// digits), or `None`.
fn card_digits(number: &str) -> Option<String> {
    if !number
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    {
        return None;
    }
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    (12..=19).contains(&digits.len()).then_some(digits)
}

fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match (i % 2 == 1, d * 2) {
                (false, _) => d,
                (true, doubled) if doubled > 9 => doubled - 9,
                (true, doubled) => doubled,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// FNV-1a (64 bits) of a card's digits, in hex.
pub fn fingerprint(digits: &str) -> String {
    let hash = digits.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

fn audit(ctx: &ActivityContext, mut entry: AuditEntry) -> Result<u64, ActivityError> {
    SensitiveFields::default().mask(&mut entry.details);
    let _one_at_a_time = TRAIL.lock().unwrap_or_else(|e| e.into_inner());
    let Ok(path) = std::env::var(AUDIT_LOG_VAR) else {
        eprintln!("audit {}", line(ctx, 0, &entry));
        return Ok(0);
    };
    let failed = |e: std::io::Error| ActivityError::retryable(format!("audit trail {path}: {e}"));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(&path)
        .map_err(failed)?;
    let (mut number, mut written) = (0, None);
    for text in std::io::BufReader::new(&file).lines() {
        let Ok(old) = serde_json::from_str::<serde_json::Value>(&text.map_err(failed)?) else {
            continue;
        };
        if old["run_id"] == ctx.run_id.as_str() {
            number += 1;
            if old["seq"] == ctx.seq {
                written = old["entry"].as_u64();
            }
        }
    }
    if let Some(entry) = written {
        return Ok(entry);
    }
    let text = line(ctx, number + 1, &entry) + "\n";
    file.write_all(text.as_bytes()).map_err(failed)?;
    Ok(number + 1)
}

fn line(ctx: &ActivityContext, number: u64, entry: &AuditEntry) -> String {
    serde_json::json!({
        "workflow_id": ctx.workflow_id,
        "run_id": ctx.run_id,
        "seq": ctx.seq,
        "entry": number,
        "step": entry.step,
        "details": entry.details,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use weft_activity::Sensitive;

    fn request(card: &str, cvv: &str) -> PaymentRequest {
        PaymentRequest {
            id: "p1".into(),
            customer: "Ada".into(),
            card_number: card.into(),
            cvv: Sensitive(cvv.into()),
            amount_cents: 500,
        }
    }

    #[test]
    fn a_real_card_is_authorized_and_a_masked_one_is_not() {
        let auth = authorize(&request("4111 1111 1111 1111", "123")).unwrap();
        assert_eq!(auth.card_last4, "1111");
        assert_eq!(auth.card_fingerprint, fingerprint("4111111111111111"));
        for (card, cvv) in [
            ("****1111", "123"),
            ("4111 1111 1111 1112", "123"),
            ("4111111111111111", "****"),
        ] {
            let err = authorize(&request(card, cvv)).unwrap_err();
            assert_eq!(err.error_type, CARD_INVALID, "{card} {cvv}");
        }
    }
}
