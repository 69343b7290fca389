//! The HTTP face of the server: one service for every method and path. This file owns the
//! service ([`App`]) and the handler, which applies `--latency` and `--fail-rate` and hands
//! the action to [`Engine::dispatch`]; queue semantics live in the engine, and this module only
//! speaks the wire:
//!
//! - `limits.rs`: the body guard (size before buffering, time to send it), in front of all.
//! - `request.rs`: protocol detection (AWS JSON 1.0 by `X-Amz-Target`, Query by `Action=`), the
//!   action name and its input from a JSON body, the query string or a form body.
//! - `identity.rs`: who is calling and how the queue was addressed (SigV4 scope → region,
//!   access key → sender id, `/<account>/<queue>` path), as a [`RequestContext`].
//! - `response.rs`: the answer as JSON, or XML for Query unless the client accepts JSON, with
//!   `x-amzn-RequestId` and, on JSON errors, `x-amzn-query-error`.
//! - `signature.rs`: `--auth`, the signature checked before dispatch.
//!
//! Browsers' page loads and the console's own forms go to the web console (`console`) instead;
//! `GET /metrics` is answered here (with `--auth`, behind HTTP Basic as the console is).

mod identity;
mod limits;
mod request;
mod response;
mod signature;
mod sns;
#[cfg(test)]
mod tests;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use bytes::Bytes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::actions;
use super::answer::Answer;
use super::console::{self, Console, Route};
use super::engine::{Engine, RequestContext, probability};
use super::error::SqsError;
use super::input::RequestInput;
use super::limits::Limits;
use super::metrics::prometheus;
use super::metrics::requests::Requests;
use super::{Keys, ServeOptions};

/// Mixes the server seed so the wire's random stream differs from the engine's.
const WIRE_SEED_SALT: u64 = 0x5157_5f57_4952_4531;

/// Everything a request handler needs, shared by all connections.
struct Wire {
    engine: Engine,
    /// Added to every response (`--latency`).
    latency: Duration,
    /// Fraction of requests answered with a retryable error (`--fail-rate`, as a probability).
    fail_rate: f64,
    /// Draws for `--fail-rate`, seeded from `--seed`.
    rng: Arc<Mutex<StdRng>>,
    /// Cancelled when the server shuts down: waiting long polls answer empty at once.
    shutdown: CancellationToken,
    /// `--auth`: the keys a request must be signed with.
    auth: Option<Arc<Keys>>,
    /// Requests per action and their latencies, for `/metrics`.
    requests: Arc<Requests>,
    /// The web console, unless `--no-console`.
    console: Option<Console>,
}

/// The server's HTTP service: every method and path goes, through the body guard, to the one
/// handler. Called by hyper for each request (and by tests as a `tower::Service`). It stands in
/// for an axum `Router`, whose routing, middleware and boxed layers took 7% of the server's
/// samples for one fallback route.
#[derive(Clone)]
pub(crate) struct App {
    wire: Arc<Wire>,
    limits: Limits,
}

impl<B> tower::Service<axum::http::Request<B>> for App
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        let app = self.clone();
        Box::pin(async move {
            let request = match limits::read_body(app.limits, request.map(Body::new)).await {
                Ok(request) => request,
                Err(refused) => return Ok(refused),
            };
            Ok(handle(&app.wire, request).await)
        })
    }
}

/// The server's service: waiting long polls end (empty) when `shutdown` is cancelled.
pub(crate) fn router(engine: Engine, options: &ServeOptions, shutdown: CancellationToken) -> App {
    let rng = match options.seed {
        Some(seed) => StdRng::seed_from_u64(seed ^ WIRE_SEED_SALT),
        None => StdRng::from_os_rng(),
    };
    let requests = Arc::new(Requests::default());
    let console = options.console.then(|| {
        Console::new(
            engine.clone(),
            options.auth.clone(),
            shutdown.clone(),
            requests.clone(),
        )
    });
    let wire = Wire {
        engine,
        latency: options.latency,
        fail_rate: probability(options.fail_rate),
        rng: Arc::new(Mutex::new(rng)),
        shutdown,
        auth: options.auth.clone(),
        requests,
        console,
    };
    App {
        wire: Arc::new(wire),
        limits: options.limits,
    }
}

/// Answers a request whose body has been read whole.
async fn handle(wire: &Wire, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let request_id = request_id();
    let started = std::time::Instant::now();
    if method == axum::http::Method::GET {
        if let Some(pem) = crate::server::sns::certificate(uri.path()) {
            return sns::certificate(pem);
        }
        if uri.path() == "/metrics" && uri.query().is_none_or(|q| !q.contains("Action=")) {
            match wire.auth.as_deref() {
                Some(keys) if !console::basic_auth_ok(keys, &headers) => {
                    return console::unauthorized();
                }
                // As the console: without --auth, only when addressed by an IP or localhost.
                None if !console::host_is_local(console::header_str(&headers, "host")) => {
                    return console::forbidden(
                        "Without --auth /metrics answers only when addressed by an IP address or localhost (a defence against DNS rebinding).",
                    );
                }
                _ => {}
            }
            return metrics_page(wire);
        }
    }
    let mut body = body;
    if let Some(console) = &wire.console {
        match console::route(&method, &uri, &headers) {
            Route::Api => {}
            Route::Page => {
                let ctx = identity::context(&uri, &headers, &[]);
                return console.serve(&method, &uri, &headers, &[], ctx).await;
            }
            Route::Form => {
                let Ok(form) = axum::body::to_bytes(body, request::BODY_LIMIT_BYTES).await else {
                    return console::not_found("The form could not be read.");
                };
                let has_action = form_urlencoded::parse(&form).any(|(name, _)| name == "Action");
                if !has_action {
                    let ctx = identity::context(&uri, &headers, &[]);
                    return console.serve(&method, &uri, &headers, &form, ctx).await;
                }
                body = axum::body::Body::from(form);
            }
        }
    }
    let (body, denied) =
        signature::check(wire.auth.as_deref(), &method, &uri, &headers, body).await;
    let request = request::read(&method, &uri, &headers, body).await;
    let ctx = identity::context(&uri, &headers, &request.params);
    if crate::server::sns::wants(&request.params, &headers) {
        return wire
            .sns(&ctx, &request.params, denied, &request_id, started)
            .await;
    }
    // Counted by name only when signed as required and an action SQS has: names come from
    // the network, and every name would be a series of `/metrics` kept for good.
    let action = request
        .call
        .as_ref()
        .ok()
        .filter(|(action, _)| denied.is_none() && actions::exists(action))
        .map(|(action, _)| action.clone());
    let outcome = match (denied, request.call) {
        (Some(denied), _) => Err(denied),
        (None, Ok((action, input))) => wire
            .call(&ctx, &action, input)
            .await
            .map(|out| (action, out)),
        (None, Err(error)) => Err(error),
    };
    if !wire.latency.is_zero() {
        tokio::time::sleep(wire.latency).await;
    }
    if let Some(action) = action {
        wire.requests
            .record(&action, started.elapsed(), outcome.is_err());
    }
    response::render(request.protocol, request.answer_json, outcome, &request_id)
}

/// `GET /metrics`: every queue's figures (gauges sampled now) and the request counts.
fn metrics_page(wire: &Wire) -> Response {
    let text = prometheus::render(&wire.engine.scrape(), &wire.requests.snapshot());
    let mut response = Response::new(axum::body::Body::from(text));
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(prometheus::CONTENT_TYPE),
    );
    response
}

/// A fresh `x-amzn-RequestId`: a UUID v4 like SQS's, drawn from the thread's RNG (seeded once
/// from the OS) rather than from a system call per request as `Uuid::new_v4` does.
fn request_id() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

impl Wire {
    /// `--fail-rate`, then the engine (a long poll ends empty when the server shuts down).
    async fn call(
        &self,
        ctx: &RequestContext,
        action: &str,
        input: RequestInput,
    ) -> Result<Answer, SqsError> {
        if let Some(error) = self.injected_failure() {
            return Err(error);
        }
        tokio::select! {
            outcome = self.engine.answer(ctx, action, input) => outcome,
            () = self.shutdown.cancelled(), if action == "ReceiveMessage" => {
                Ok(Answer::Value(Value::Object(Map::new())))
            }
        }
    }

    /// An SNS request: its action run by the engine (unless `--auth` refused it), answered
    /// in SNS's XML.
    async fn sns(
        &self,
        ctx: &RequestContext,
        params: &[(String, String)],
        denied: Option<SqsError>,
        request_id: &str,
        started: std::time::Instant,
    ) -> Response {
        let action = crate::server::sns::action(params);
        let name = action.as_deref().unwrap_or_default().to_string();
        let denied_request = denied.as_ref().map(|_| ());
        let outcome = match (denied, action) {
            (Some(denied), _) => Err(crate::server::sns::SnsError::denied(denied)),
            (None, Ok(action)) => self.engine.sns(ctx, &action, params).await,
            (None, Err(error)) => Err(error),
        };
        if !self.latency.is_zero() {
            tokio::time::sleep(self.latency).await;
        }
        if denied_request.is_none() && crate::server::sns::is_action(&name) {
            self.requests
                .record(&name, started.elapsed(), outcome.is_err());
        }
        sns::render(&name, outcome, request_id)
    }

    /// With probability `fail_rate`, one of SQS's retryable errors (half each).
    fn injected_failure(&self) -> Option<SqsError> {
        if self.fail_rate <= 0.0 {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(PoisonError::into_inner);
        if !rng.random_bool(self.fail_rate) {
            return None;
        }
        Some(if rng.random_bool(0.5) {
            SqsError::internal_failure()
        } else {
            SqsError::request_throttled()
        })
    }
}
