//! The values a definition computes with: variables, `{"ref": …}` references to them,
//! and conditions. Plain functions of the variables, so replay sees the same answers.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::definition::Condition;

/// The variables, by name: `input`, and each named activity step's result.
pub type Variables = BTreeMap<String, Value>;

/// The value at `reference`: a variable's name, then a dotted path into it (object keys
/// or array indices): `order.items.0.sku`.
pub fn lookup(variables: &Variables, reference: &str) -> Result<Value, String> {
    let mut path = reference.split('.');
    let name = path.next().unwrap_or_default();
    let mut value = variables
        .get(name)
        .ok_or_else(|| format!("no variable `{name}` (there are: {})", names(variables)))?;
    for key in path {
        let inner = match value {
            Value::Object(fields) => fields.get(key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
        value = inner.ok_or_else(|| format!("`{reference}` has no `{key}`"))?;
    }
    Ok(value.clone())
}

fn names(variables: &Variables) -> String {
    let names: Vec<&str> = variables.keys().map(String::as_str).collect();
    names.join(", ")
}

/// `value` with every `{"ref": "…"}` in it (an object with that one key) replaced by
/// what it refers to.
pub fn resolve(variables: &Variables, value: &Value) -> Result<Value, String> {
    match value {
        Value::Object(fields) => match fields.get("ref") {
            Some(Value::String(reference)) if fields.len() == 1 => lookup(variables, reference),
            _ => fields
                .iter()
                .map(|(key, value)| Ok((key.clone(), resolve(variables, value)?)))
                .collect::<Result<_, String>>()
                .map(Value::Object),
        },
        Value::Array(items) => items
            .iter()
            .map(|item| resolve(variables, item))
            .collect::<Result<_, String>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// Whether `condition` holds on the variables.
pub fn holds(variables: &Variables, condition: &Condition) -> Result<bool, String> {
    let left = lookup(variables, &condition.reference)?;
    let comparisons = [
        &condition.equals,
        &condition.not_equals,
        &condition.greater_than,
        &condition.less_than,
    ];
    if comparisons.iter().filter(|c| c.is_some()).count() != 1 {
        return Err(format!(
            "the condition on `{}` needs exactly one of `equals`, `not_equals`, \
             `greater_than`, `less_than`",
            condition.reference
        ));
    }
    let operand = |value: &Value| resolve(variables, value);
    let number = |value: &Value, what: &str| {
        value
            .as_f64()
            .ok_or_else(|| format!("{what} is {value}, not a number"))
    };
    let left_number = || number(&left, &format!("`{}`", condition.reference));
    if let Some(right) = &condition.equals {
        return Ok(left == operand(right)?);
    }
    if let Some(right) = &condition.not_equals {
        return Ok(left != operand(right)?);
    }
    if let Some(right) = &condition.greater_than {
        return Ok(left_number()? > number(&operand(right)?, "the bound")?);
    }
    let right = condition.less_than.as_ref().expect("one comparison is set");
    Ok(left_number()? < number(&operand(right)?, "the bound")?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn variables() -> Variables {
        let mut variables = Variables::new();
        variables.insert(
            "input".into(),
            json!({"order": {"items": [{"sku": "TEA"}]}}),
        );
        variables.insert("n".into(), json!(12));
        variables
    }

    fn condition(json: Value) -> Condition {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn references_reach_into_objects_and_arrays() {
        let variables = variables();
        assert_eq!(
            lookup(&variables, "input.order.items.0.sku"),
            Ok(json!("TEA"))
        );
        assert_eq!(
            lookup(&variables, "input.order.total"),
            Err("`input.order.total` has no `total`".into())
        );
        assert_eq!(
            lookup(&variables, "missing"),
            Err("no variable `missing` (there are: input, n)".into())
        );
    }

    #[test]
    fn refs_are_replaced_anywhere_in_a_value() {
        let value = json!({"count": {"ref": "n"}, "list": [{"ref": "n"}, 1], "ref": 3});
        assert_eq!(
            resolve(&variables(), &value),
            Ok(json!({"count": 12, "list": [12, 1], "ref": 3}))
        );
    }

    #[test]
    fn conditions_compare_values_and_numbers() {
        let variables = variables();
        let holds = |json| holds(&variables, &condition(json));
        assert_eq!(holds(json!({"ref": "n", "equals": 12})), Ok(true));
        assert_eq!(
            holds(json!({"ref": "n", "not_equals": {"ref": "n"}})),
            Ok(false)
        );
        assert_eq!(holds(json!({"ref": "n", "greater_than": 10})), Ok(true));
        assert_eq!(holds(json!({"ref": "n", "less_than": 12.5})), Ok(true));
        assert!(holds(json!({"ref": "input", "less_than": 1}))
            .unwrap_err()
            .contains("not a number"));
        assert!(holds(json!({"ref": "n"}))
            .unwrap_err()
            .contains("exactly one"));
    }
}
