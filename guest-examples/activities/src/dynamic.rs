//! Activities whose names are known only at run time: one dynamic handler serves the
//! `text.*` operations, dispatching on the name it is called by; and `word_count`, an
//! ordinary activity that a host may register while it runs.

use example_activities_api::TEXT_OPERATIONS;
use weft_activity::Payload;
use weft_activity::{ActivityContext, ActivityError, ActivityRegistry};

/// Answer every activity no handler is registered for: the names in
/// [`TEXT_OPERATIONS`] with their operation, any other name with a non-retryable
/// `weft.UnknownActivity` failure that says what is served.
pub fn register_dynamic(registry: &mut ActivityRegistry) {
    registry.register_dynamic(|ctx, input| async move {
        super::observe(&ctx).await?;
        text_operation(&ctx, &input)
    });
}

fn text_operation(ctx: &ActivityContext, input: &Payload) -> Result<Payload, ActivityError> {
    let name = ctx.activity_type.as_str();
    let op: fn(&str) -> String = match name {
        "text.upper" => str::to_uppercase,
        "text.lower" => str::to_lowercase,
        "text.reverse" => |s| s.chars().rev().collect(),
        _ => {
            return Err(ActivityError::non_retryable(format!(
                "no activity named `{name}` is registered on this host, and its dynamic \
                 handler serves only {}; register `{name}`, or call one of those",
                TEXT_OPERATIONS.join(", ")
            ))
            .with_type("weft.UnknownActivity"))
        }
    };
    let serde_json::Value::String(text) = input.to_json() else {
        return Err(ActivityError::non_retryable(format!(
            "`{name}` takes a string, got {}",
            input.to_json()
        ))
        .with_type("weft.InvalidInput"));
    };
    Ok(Payload::json(&serde_json::Value::String(op(&text))))
}

/// The implementation of [`WordCount`](example_activities_api::WordCount).
pub async fn word_count(ctx: ActivityContext, text: String) -> Result<u64, ActivityError> {
    super::observe(&ctx).await?;
    Ok(text.split_whitespace().count() as u64)
}
