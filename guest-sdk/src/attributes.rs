//! Search attributes and memo as the workflow sees and changes them: the values its
//! start gave, merged with its own upserts (deterministic, so replay sees the same).

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::context::WfContext;
use crate::payload;
use crate::search_attributes::{self, SearchAttributeValue};
use crate::wit::{Command, Encoding, Payload, StartWorkflow};

/// The run's current search attributes and memo.
#[derive(Default)]
pub(crate) struct Attributes {
    pub(crate) search: BTreeMap<String, SearchAttributeValue>,
    pub(crate) memo: BTreeMap<String, Payload>,
}

impl Attributes {
    /// What the start gave. A value the SDK cannot read is left out (the host checked
    /// it when the run started).
    pub(crate) fn from_start(start: &StartWorkflow) -> Attributes {
        let mut attributes = Attributes::default();
        for (name, value) in &start.search_attributes {
            if let Ok(Some(v)) = search_attributes::decode(&value.data) {
                attributes.search.insert(name.clone(), v);
            }
        }
        for (name, value) in &start.memo {
            attributes.memo.insert(name.clone(), value.clone());
        }
        attributes
    }
}

fn is_null(p: &Payload) -> bool {
    p.encoding == Encoding::Json && (p.data.is_empty() || p.data == b"null")
}

impl<S> WfContext<S> {
    /// Set search attributes of this execution: recorded in its history, indexed by
    /// the host in the same durable step, and found with `weft list --query`. Other
    /// attributes keep their values; a name keeps its type for good.
    ///
    /// ```no_run
    /// # use weft_sdk::{workflow, WfContext, WfResult, SearchAttributeValue};
    /// #[workflow]
    /// async fn order(ctx: WfContext, id: String) -> WfResult<()> {
    ///     ctx.upsert_search_attributes([
    ///         ("OrderId", SearchAttributeValue::keyword(id)),
    ///         ("OrderStatus", SearchAttributeValue::keyword("paid")),
    ///     ]);
    ///     Ok(())
    /// }
    /// ```
    #[track_caller]
    pub fn upsert_search_attributes<N: Into<String>>(
        &self,
        values: impl IntoIterator<Item = (N, SearchAttributeValue)>,
    ) {
        let changes = values
            .into_iter()
            .map(|(n, v)| (n.into(), Some(v)))
            .collect();
        self.change_search_attributes(changes);
    }

    /// Remove search attributes of this execution (an upsert of `null`): it no longer
    /// matches queries on them.
    #[track_caller]
    pub fn remove_search_attributes<N: Into<String>>(&self, names: impl IntoIterator<Item = N>) {
        let changes = names.into_iter().map(|n| (n.into(), None)).collect();
        self.change_search_attributes(changes);
    }

    #[track_caller]
    fn change_search_attributes(&self, changes: Vec<(String, Option<SearchAttributeValue>)>) {
        let location = std::panic::Location::caller();
        let mut state = self.state.borrow_mut();
        let mut encoded = Vec::with_capacity(changes.len());
        for (name, value) in changes {
            let data = search_attributes::encode(value.as_ref());
            match value {
                Some(v) => state.attributes.search.insert(name.clone(), v),
                None => state.attributes.search.remove(&name),
            };
            encoded.push((
                name,
                Payload {
                    encoding: Encoding::Json,
                    data,
                },
            ));
        }
        state.issue(Command::UpsertSearchAttributes(encoded), Some(location));
    }

    /// The execution's search attributes now: the start's, merged with upserts.
    pub fn search_attributes(&self) -> BTreeMap<String, SearchAttributeValue> {
        self.state.borrow().attributes.search.clone()
    }

    /// Set a memo entry (shown by `weft describe`, never indexed; carried across
    /// continue-as-new). A JSON `null` removes the entry, as [`remove_memo`] does.
    ///
    /// [`remove_memo`]: Self::remove_memo
    ///
    /// # Panics
    /// If `value` cannot be encoded as JSON.
    #[track_caller]
    pub fn upsert_memo<T: Serialize + ?Sized>(&self, name: &str, value: &T) {
        let payload = payload::to_json(value)
            .unwrap_or_else(|e| panic!("the memo entry `{name}` does not encode as JSON: {e}"));
        self.change_memo(name, payload, std::panic::Location::caller());
    }

    /// Remove a memo entry.
    #[track_caller]
    pub fn remove_memo(&self, name: &str) {
        let null = payload::to_json(&()).expect("null encodes");
        self.change_memo(name, null, std::panic::Location::caller());
    }

    fn change_memo(&self, name: &str, payload: Payload, location: &std::panic::Location<'_>) {
        let mut state = self.state.borrow_mut();
        if is_null(&payload) {
            state.attributes.memo.remove(name);
        } else {
            state
                .attributes
                .memo
                .insert(name.to_string(), payload.clone());
        }
        state.issue(
            Command::UpsertMemo(vec![(name.to_string(), payload)]),
            Some(location),
        );
    }

    /// A memo entry now, decoded as `T`; `None` when absent or of another shape.
    pub fn memo<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        let state = self.state.borrow();
        payload::from_json(state.attributes.memo.get(name)?).ok()
    }
}
