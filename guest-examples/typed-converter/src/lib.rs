//! `typed-converter`: a workflow whose input is checked on the way in.
//!
//! `place_order` takes an [`Order`]. Its input must decode into the type (unknown
//! fields are refused, as `#[serde(deny_unknown_fields)]` asks) and pass the type's
//! [`Validate`] rules: a customer, at least one line, quantities from 1 to 100 and SKUs
//! of the form `ABC-123`. `#[workflow(validate)]` runs those rules before the workflow
//! starts, and the host refuses a start whose input fails either check: the client
//! gets an error naming the field (`items[1].quantity: must be between 1 and 100`), and
//! no run is recorded.
//!
//! Input: `{"customer": "ada", "items": [{"sku": "TEA-001", "quantity": 2}]}`.
//! Result: `{"customer": "ada", "lines": 1, "units": 2}`.

use serde::{Deserialize, Serialize};
use weft_sdk::{workflow, Validate, ValidationError, WfContext, WfResult};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub customer: String,
    pub items: Vec<Line>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Line {
    pub sku: String,
    pub quantity: u32,
}

impl Validate for Order {
    fn validate(&self) -> Result<(), ValidationError> {
        if self.customer.trim().is_empty() {
            return Err(ValidationError::new("customer", "must not be empty"));
        }
        if self.items.is_empty() {
            return Err(ValidationError::new("items", "must hold at least one line"));
        }
        for (i, line) in self.items.iter().enumerate() {
            if !(1..=100).contains(&line.quantity) {
                return Err(ValidationError::new(
                    format!("items[{i}].quantity"),
                    "must be between 1 and 100",
                ));
            }
            let sku_ok = line.sku.split_once('-').is_some_and(|(a, b)| {
                a.len() == 3
                    && a.chars().all(|c| c.is_ascii_uppercase())
                    && !b.is_empty()
                    && b.chars().all(|c| c.is_ascii_digit())
            });
            if !sku_ok {
                return Err(ValidationError::new(
                    format!("items[{i}].sku"),
                    format!("`{}` is not a SKU such as TEA-001", line.sku),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    pub customer: String,
    pub lines: usize,
    pub units: u32,
}

#[workflow(validate)]
pub async fn place_order(_ctx: WfContext, order: Order) -> WfResult<Placed> {
    Ok(Placed {
        lines: order.items.len(),
        units: order.items.iter().map(|l| l.quantity).sum(),
        customer: order.customer,
    })
}

weft_sdk::export_workflows!(place_order);

#[cfg(test)]
mod tests {
    use weft_sdk::testing::{self, Harness};

    #[test]
    fn a_valid_order_is_placed() {
        let mut harness = Harness::new::<super::place_order>();
        let order =
            serde_json::json!({"customer": "ada", "items": [{"sku": "TEA-001", "quantity": 2}]});
        let done = harness.start(&order).unwrap();
        assert_eq!(
            testing::completed::<super::Placed>(&done),
            Some(super::Placed {
                customer: "ada".into(),
                lines: 1,
                units: 2
            })
        );
    }

    #[test]
    fn an_invalid_order_names_the_field() {
        let mut harness = Harness::new::<super::place_order>();
        let order = serde_json::json!({"customer": "ada", "items": [
            {"sku": "TEA-001", "quantity": 2}, {"sku": "TEA-002", "quantity": 0}]});
        let done = harness.start(&order).unwrap();
        let failure = testing::failed(&done).expect("the input is refused");
        assert_eq!(failure.error_type, "weft.InvalidInput");
        assert!(
            failure
                .message
                .contains("items[1].quantity: must be between 1 and 100"),
            "{}",
            failure.message
        );
        let typo = serde_json::json!({"customer": "ada", "items": [{"sku": "TEA-001", "quantity": "two"}]});
        let failure = testing::failed(&Harness::new::<super::place_order>().start(&typo).unwrap())
            .cloned()
            .unwrap();
        assert!(
            failure.message.contains("items[0].quantity"),
            "{}",
            failure.message
        );
    }
}
