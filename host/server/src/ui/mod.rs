//! The web UI under `/ui/`: server-rendered HTML pages (maud) over the same host
//! functions the JSON API calls, with a vendored htmx and a little hand-written JS and
//! CSS, all embedded in the binary.
//!
//! | method | path                                   | page or action                            |
//! |--------|----------------------------------------|-------------------------------------------|
//! | GET    | /ui/executions?query=&cursor=&id=      | the list: counts, query box, pages        |
//! | GET    | /ui/executions/counts?query=           | the status counts (loaded apart)          |
//! | GET    | /ui/executions/{id}?tab=               | one execution: timeline, history, …       |
//! | GET    | /ui/executions/{id}/history.json       | the history file, as a download           |
//! | POST   | /ui/executions/{id}/{terminate,cancel} | form field `reason`                       |
//! | POST   | /ui/executions/{id}/{signal,query,update} | fields `name`, `input` (JSON)          |
//! | POST   | /ui/executions/{id}/{pause,unpause}    | form field `reason`                       |
//! | POST   | /ui/executions/{id}/reset              | `point`, `event`, `reason`, `reapply`     |
//! | POST   | /ui/executions/{id}/delete             | a closed execution; then to the list      |
//! | POST   | /ui/executions/{id}/activities/{seq}/{pause,unpause,reset,update-options} | |
//! | GET    | /ui/batches, /ui/batches/{id}          | batch jobs, one with its failures         |
//! | GET    | /ui/batches/new?query=&operation=&…    | a batch to confirm, with the query's count|
//! | POST   | /ui/batches, /ui/batches/{id}/stop     | submit a batch, stop one                  |
//! | GET    | /ui/schedules, /ui/schedules/{id}      | schedules                                 |
//! | POST   | /ui/schedules/{id}/{pause,unpause,trigger,delete} |                                |
//! | GET    | /ui/modules                            | deployed module versions                  |
//! | GET    | /ui/start, POST /ui/start              | start a workflow (`?like={id}` prefills)  |
//! | GET    | /ui/login, POST /ui/login, /ui/logout  | with tokens: a token for a session cookie |
//! | GET    | /ui/assets/{name}                      | htmx, app.js, app.css                     |
//!
//! Ids are percent-encoded in paths (a `/` in an id is `%2F`) and escaped in pages
//! (maud escapes every value). Every POST is checked by [`guard`]: the session (with
//! tokens), a CSRF token and the request's origin, and `--ui-read-only` refuses them
//! all with 403.

mod actions;
mod assets;
mod batch_new;
mod batches;
mod execution;
mod executions;
mod guard;
mod history;
mod import;
mod layout;
mod modules;
mod schedules;
mod start;
mod steer;
mod steer_view;
mod timeline;
mod timeline_scale;
mod timeline_svg;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::api::auth::Tokens;
use crate::api::ApiError;
use crate::batches::Batches;
use crate::runtime::Host;
use crate::schedules::Schedules;

/// Whether `weft server` serves the web UI, and whether its actions are allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UiMode {
    /// Pages and actions (the default).
    #[default]
    On,
    /// Pages only: every action is hidden and refused with 403 (`--ui-read-only`).
    ReadOnly,
    /// No `/ui/` at all (`--no-ui`).
    Off,
}

/// What every UI handler reads: the host, its schedules and batches, the access rules.
#[derive(Clone)]
pub(crate) struct Ui {
    pub(crate) host: Host,
    pub(crate) schedules: Schedules,
    pub(crate) batches: Batches,
    pub(crate) guard: Arc<guard::Guard>,
    pub(crate) counts: Arc<executions::CountCache>,
}

/// The UI's routes over `host`, `schedules` and `batches`, or `None` with
/// [`UiMode::Off`].
/// `tokens`: with tokens, pages need a session from the login page (or a bearer
/// header); `tls`: session cookies are `Secure`.
pub fn router(
    host: Host,
    schedules: Schedules,
    batches: Batches,
    mode: UiMode,
    tokens: Option<Tokens>,
    tls: bool,
) -> Option<Router> {
    if mode == UiMode::Off {
        return None;
    }
    let guard = Arc::new(guard::Guard::new(tokens, mode == UiMode::ReadOnly, tls));
    let ui = Ui {
        host,
        schedules,
        batches,
        guard: guard.clone(),
        counts: Arc::default(),
    };
    let to_list = || async { Redirect::to("/ui/executions") };
    let pages = Router::new()
        .route("/", get(to_list))
        .route("/ui", get(to_list))
        .route("/ui/", get(to_list))
        .route("/ui/login", get(guard::login_page).post(guard::login))
        .route("/ui/logout", post(guard::logout))
        .route("/ui/assets/{name}", get(assets::serve))
        .route("/ui/executions", get(executions::list))
        .route("/ui/executions/counts", get(executions::counts))
        .route("/ui/executions/{id}", get(execution::page))
        .route("/ui/executions/{id}/history.json", get(history::download))
        .route("/ui/executions/{id}/terminate", post(actions::terminate))
        .route("/ui/executions/{id}/cancel", post(actions::cancel))
        .route("/ui/executions/{id}/signal", post(actions::signal))
        .route("/ui/executions/{id}/query", post(actions::query))
        .route("/ui/executions/{id}/update", post(actions::update))
        .route("/ui/executions/{id}/pause", post(steer::pause))
        .route("/ui/executions/{id}/unpause", post(steer::unpause))
        .route("/ui/executions/{id}/reset", post(steer::reset))
        .route("/ui/executions/{id}/delete", post(steer::delete))
        .route(
            "/ui/executions/{id}/activities/{activity}/{op}",
            post(steer::activity),
        )
        .route("/ui/batches", get(batches::list).post(batch_new::submit))
        .route("/ui/batches/new", get(batch_new::confirm))
        .route("/ui/batches/{id}", get(batches::page))
        .route("/ui/batches/{id}/stop", post(batches::stop))
        .route("/ui/schedules", get(schedules::list))
        .route("/ui/schedules/{id}", get(schedules::page))
        .route("/ui/schedules/{id}/{action}", post(schedules::act))
        .route("/ui/modules", get(modules::list))
        .route("/ui/start", get(start::form).post(start::submit))
        .route("/ui/import", get(import::form).post(import::show))
        .with_state(ui);
    Some(pages.layer(axum::middleware::from_fn_with_state(guard, guard::check)))
}

/// A page that could not be shown, or an action that failed: its status and a message
/// for a person, rendered as a small HTML page.
#[derive(Debug)]
pub(crate) struct UiError {
    status: StatusCode,
    message: String,
}

impl UiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> UiError {
        UiError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let body = layout::bare(
            &format!("Error {}", self.status.as_u16()),
            maud::html! {
                div.error role="alert" { (self.message) }
                p { a href="/ui/executions" { "Back to the executions" } }
            },
        );
        (self.status, body).into_response()
    }
}

impl From<ApiError> for UiError {
    fn from(e: ApiError) -> UiError {
        UiError::new(e.status(), e.message())
    }
}

/// The host's errors answer as the API answers them (same status, same message).
macro_rules! as_the_api_does {
    ($($error:ty),*) => {$(
        impl From<$error> for UiError {
            fn from(e: $error) -> UiError {
                ApiError::from(e).into()
            }
        }
    )*};
}

as_the_api_does!(
    crate::runtime::QueryError,
    crate::runtime::MessageError,
    crate::schedules::ScheduleError,
    crate::runtime::SteerError,
    crate::runtime::DeleteError,
    crate::batches::BatchError
);

pub(crate) type UiResult<T> = Result<T, UiError>;
