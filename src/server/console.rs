//! The web console (`queue serve` at `/` for browsers, docs/console.md): which requests are the
//! console's ([`route`]), and the guard every console request passes before a page is built:
//! `--auth` as HTTP Basic, the host check against DNS rebinding, and for forms the same-origin
//! check and the per-server token. The pages are small functions in:
//!
//! - `html.rs`: escaping and the page frame; `charts.rs`: the SVG charts and the cost;
//! - `queues.rs`: the queues page and create / purge / delete;
//! - `queue_page.rs`: one queue's attributes, policy, monitoring and send-and-receive forms;
//! - `messages.rs`: send, send N numbered, poll, delete message;
//! - `topics.rs`: topics, subscriptions and publish; `events.rs`: the live snapshot stream;
//! - `assets/`: the one script and the one style sheet, embedded.
//!
//! Every action is a real SQS or SNS request run by the engine, counted in the metrics.

mod charts;
mod events;
mod html;
mod messages;
mod queue_page;
mod queues;
mod topics;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine as _;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::Keys;
use super::engine::{Engine, RequestContext};
use super::metrics::requests::Requests;
use super::queue::QueueKey;
use html::{Flash, Section, esc};

/// The script, served as a file: the Content-Security-Policy allows no inline script.
const SCRIPT: &str = include_str!("console/assets/console.js");
/// The one style sheet.
const STYLE: &str = include_str!("console/assets/console.css");
/// No inline script or style, nothing from elsewhere, forms only to ourselves, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// Path prefix of the console's own requests (forms, assets, the event stream).
pub(super) const PREFIX: &str = "/_console/";

/// Who handles a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    /// SQS or SNS, as before the console.
    Api,
    /// A console page, asset or event stream.
    Page,
    /// A console form, unless its body names an `Action` (then it is a Query request).
    Form,
}

/// Browsers' page loads (GET, `Accept: text/html`) and anything under [`PREFIX`] are the
/// console's, unless they carry an SQS action (`X-Amz-Target` or an `Action` parameter in
/// the URL): SDK requests keep working on every path.
pub(super) fn route(method: &Method, uri: &Uri, headers: &HeaderMap) -> Route {
    let has_action = headers.contains_key("x-amz-target")
        || form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .any(|(name, _)| name == "Action");
    if has_action {
        return Route::Api;
    }
    let ours = uri.path().starts_with(PREFIX);
    let html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    match *method {
        Method::GET if ours || html => Route::Page,
        Method::POST if ours => Route::Form,
        _ => Route::Api,
    }
}

/// The console of one server.
#[derive(Clone)]
pub(super) struct Console {
    engine: Engine,
    /// The anti-forgery token every form carries: random per server start.
    token: Arc<str>,
    /// `--auth`: the console asks for HTTP Basic with one of these keys.
    auth: Option<Arc<Keys>>,
    /// Ends the event streams when the server stops.
    shutdown: CancellationToken,
    /// The console's SQS and SNS requests are counted with the API's.
    requests: Arc<Requests>,
}

/// One console request, read.
pub(super) struct Call<'a> {
    pub path: &'a str,
    /// The URL's query parameters, then the form's fields.
    pub params: Vec<(String, String)>,
    /// Who asked, as the API would see it (the host for queue URLs).
    pub ctx: RequestContext,
}

impl Call<'_> {
    /// The first parameter `name`, or "".
    pub fn param(&self, name: &str) -> &str {
        param(&self.params, name)
    }
}

/// The first parameter `name` of `params`, or "".
pub(super) fn param<'p>(params: &'p [(String, String)], name: &str) -> &'p str {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map_or("", |(_, v)| v.as_str())
}

impl Console {
    pub(super) fn new(
        engine: Engine,
        auth: Option<Arc<Keys>>,
        shutdown: CancellationToken,
        requests: Arc<Requests>,
    ) -> Self {
        let token: [u8; 16] = rand::random();
        Self {
            engine,
            token: hex::encode(token).into(),
            auth,
            shutdown,
            requests,
        }
    }

    /// Serves one console request whose form body (if any) is `form`.
    pub(super) async fn serve(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        form: &[u8],
        ctx: RequestContext,
    ) -> Response {
        if let Some(refused) = self.refuse(method, headers) {
            return refused;
        }
        let mut params: Vec<(String, String)> =
            form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        params.extend(form_urlencoded::parse(form).into_owned());
        let call = Call {
            path: uri.path(),
            params,
            ctx,
        };
        if *method == Method::POST {
            if !constant_time_eq(call.param("token").as_bytes(), self.token.as_bytes()) {
                return forbidden(
                    "The form's token is missing or stale: reload the page and try again.",
                );
            }
            return self.post(&call).await;
        }
        self.get(&call).await
    }

    /// `--auth` (HTTP Basic), the host (DNS rebinding) and, for forms, the origin.
    fn refuse(&self, method: &Method, headers: &HeaderMap) -> Option<Response> {
        if let Some(keys) = &self.auth {
            if !basic_auth_ok(keys, headers) {
                return Some(unauthorized());
            }
        } else if !host_is_local(header_str(headers, "host")) {
            return Some(forbidden(
                "Without --auth the console answers only when addressed by an IP address or localhost (a defence against DNS rebinding).",
            ));
        }
        if *method == Method::POST && !same_origin(headers) {
            return Some(forbidden(
                "Cross-site request refused: console forms are accepted only from the console's own pages.",
            ));
        }
        None
    }

    async fn get(&self, call: &Call<'_>) -> Response {
        let path = call.path;
        let flash = Flash::from_params(&call.params);
        match path {
            "/" => html(StatusCode::OK, &queues::page(self, call, &flash)),
            "/topics" => html(StatusCode::OK, &topics::list(self, &flash)),
            "/_console/assets/console.js" => asset("text/javascript; charset=utf-8", SCRIPT),
            "/_console/assets/console.css" => asset("text/css; charset=utf-8", STYLE),
            "/_console/events" => events::stream(self, call),
            _ => {
                if let Some(key) = path.strip_prefix("/queues/").and_then(key_from_path) {
                    return match queue_page::page(self, &call.ctx, &key, &flash, None).await {
                        Some(page) => html(StatusCode::OK, &page),
                        None => not_found(&format!("There is no queue {}.", key.name)),
                    };
                }
                if let Some(arn) = path.strip_prefix("/topics/") {
                    return match topics::page(self, arn, &flash) {
                        Some(page) => html(StatusCode::OK, &page),
                        None => not_found(&format!("There is no topic {arn}.")),
                    };
                }
                not_found(&format!("The console has no page {path}."))
            }
        }
    }

    async fn post(&self, call: &Call<'_>) -> Response {
        match call.path.strip_prefix(PREFIX).unwrap_or_default() {
            "queues/create" => queues::create(self, call).await,
            "queues/purge" => queues::purge(self, call).await,
            "queues/delete" => queues::delete(self, call).await,
            "messages/send" => messages::send(self, call).await,
            "messages/receive" => messages::receive(self, call).await,
            "messages/delete" => messages::delete(self, call).await,
            "topics/publish" => topics::publish(self, call).await,
            other => not_found(&format!("The console has no action {other}.")),
        }
    }

    /// Runs an SQS action in `region` as a client would, counted with the API's requests;
    /// an error is its SQS code and message.
    pub(super) async fn sqs(
        &self,
        ctx: &RequestContext,
        region: &str,
        action: &str,
        input: Value,
    ) -> Result<Value, String> {
        let mut ctx = ctx.clone();
        region.clone_into(&mut ctx.region);
        let started = std::time::Instant::now();
        let outcome = self.engine.dispatch(&ctx, action, input).await;
        self.requests
            .record(action, started.elapsed(), outcome.is_err());
        outcome.map_err(|error| error.to_string())
    }

    /// Runs an SNS action in `region`, as [`Console::sqs`].
    pub(super) async fn sns(
        &self,
        ctx: &RequestContext,
        region: &str,
        action: &str,
        params: &[(String, String)],
    ) -> Result<(), String> {
        let mut ctx = ctx.clone();
        region.clone_into(&mut ctx.region);
        let started = std::time::Instant::now();
        let outcome = self.engine.sns(&ctx, action, params).await;
        self.requests
            .record(action, started.elapsed(), outcome.is_err());
        outcome.map(|_| ()).map_err(|error| error.to_string())
    }

    pub(super) fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(super) fn token(&self) -> &str {
        &self.token
    }
}

/// `<region>/<account>/<name>` of a console queue path.
fn key_from_path(rest: &str) -> Option<QueueKey> {
    let mut parts = rest.splitn(3, '/');
    let (region, account, name) = (parts.next()?, parts.next()?, parts.next()?);
    [region, account, name]
        .iter()
        .all(|p| !p.is_empty() && !p.contains('/'))
        .then(|| QueueKey {
            region: region.to_string(),
            account: account.to_string(),
            name: name.to_string(),
        })
}

/// The queue a form names in its `region`, `account` and `name` fields.
pub(super) fn key_from_form(call: &Call<'_>) -> Result<QueueKey, String> {
    let (region, account, name) = (
        call.param("region"),
        call.param("account"),
        call.param("name"),
    );
    if region.is_empty() || account.is_empty() || name.is_empty() {
        return Err("The form does not name a queue (region, account and name).".into());
    }
    Ok(QueueKey {
        region: region.to_string(),
        account: account.to_string(),
        name: name.to_string(),
    })
}

/// The console path of a queue's page.
pub(super) fn queue_path(key: &QueueKey) -> String {
    format!("/queues/{}/{}/{}", key.region, key.account, key.name)
}

pub(super) fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Authorization: Basic` with a listed access key id as the user and its secret as the
/// password.
pub(super) fn basic_auth_ok(keys: &Keys, headers: &HeaderMap) -> bool {
    let Some(encoded) =
        header_str(headers, "authorization").and_then(|value| value.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Ok(decoded) = String::from_utf8(decoded) else {
        return false;
    };
    decoded
        .split_once(':')
        .is_some_and(|(user, password)| keys.password_matches(user, password))
}

/// Whether a `Host` names this machine in a way no other site's name can (an IP address,
/// `localhost`): a page on a rebound DNS name would otherwise count as same-origin.
pub(super) fn host_is_local(host: Option<&str>) -> bool {
    let Some(host) = host.map(str::trim) else {
        return true; // HTTP/1.0 without Host: not a browser.
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.parse::<std::net::IpAddr>().is_ok()
        || name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().ends_with(".localhost")
}

/// A form post from the console's own pages: `Sec-Fetch-Site` (when the browser sends it)
/// is `same-origin` or `none`, and `Origin` (when sent) is `http://<Host>`.
fn same_origin(headers: &HeaderMap) -> bool {
    if header_str(headers, "sec-fetch-site")
        .is_some_and(|site| site != "same-origin" && site != "none")
    {
        return false;
    }
    match header_str(headers, "origin") {
        None => true,
        Some(origin) => header_str(headers, "host")
            .is_some_and(|host| origin.eq_ignore_ascii_case(&format!("http://{}", host.trim()))),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// An HTML response with the console's security headers.
pub(super) fn html(status: StatusCode, page: &str) -> Response {
    let mut response = Response::new(Body::from(page.to_string()));
    *response.status_mut() = status;
    secure(&mut response, "text/html; charset=utf-8");
    response
}

fn secure(response: &mut Response, content_type: &'static str) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

fn asset(content_type: &'static str, text: &'static str) -> Response {
    let mut response = Response::new(Body::from(text));
    secure(&mut response, content_type);
    response
}

/// 303 to `location` (a console path), with the outcome for the next page.
pub(super) fn redirect(location: &str, flash: &Flash) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::SEE_OTHER;
    let target = format!("{location}{}", flash.query());
    if let Ok(value) = HeaderValue::from_str(&target) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn message_page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<h1>{}</h1><p>{}</p><p><a href=\"/\">Queues</a></p>",
        esc(title),
        esc(text)
    );
    html(
        status,
        &html::page(title, Section::Queues, &Flash::default(), &body),
    )
}

pub(super) fn not_found(text: &str) -> Response {
    message_page(StatusCode::NOT_FOUND, "Not found", text)
}

pub(super) fn forbidden(text: &str) -> Response {
    message_page(StatusCode::FORBIDDEN, "Refused", text)
}

/// 401 asking for the `--auth` key id and secret.
pub(super) fn unauthorized() -> Response {
    let mut response = message_page(
        StatusCode::UNAUTHORIZED,
        "Sign in",
        "This server runs with --auth: sign in with an access key id as the user name and its secret access key as the password.",
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"queue serve\", charset=\"UTF-8\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn routes_browsers_to_the_console_and_sdks_to_the_api() {
        let get = Method::GET;
        let html = headers(&[("accept", "text/html,application/xhtml+xml")]);
        let uri = |s: &'static str| Uri::from_static(s);
        assert_eq!(route(&get, &uri("/"), &html), Route::Page);
        assert_eq!(route(&get, &uri("/?Action=ListQueues"), &html), Route::Api);
        assert_eq!(route(&get, &uri("/"), &HeaderMap::new()), Route::Api);
        assert_eq!(
            route(&get, &uri("/_console/events"), &HeaderMap::new()),
            Route::Page
        );
        assert_eq!(
            route(
                &Method::POST,
                &uri("/_console/queues/create"),
                &HeaderMap::new()
            ),
            Route::Form
        );
        assert_eq!(route(&Method::POST, &uri("/"), &html), Route::Api);
        let target = headers(&[
            ("accept", "text/html"),
            ("x-amz-target", "AmazonSQS.ListQueues"),
        ]);
        assert_eq!(route(&get, &uri("/_console/x"), &target), Route::Api);
    }

    #[test]
    fn origins_and_hosts() {
        assert!(same_origin(&headers(&[
            ("host", "127.0.0.1:9324"),
            ("origin", "http://127.0.0.1:9324")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:9324"),
            ("origin", "http://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "127.0.0.1:9324"),
            ("sec-fetch-site", "same-site")
        ])));
        assert!(same_origin(&headers(&[("host", "127.0.0.1:9324")])));
        assert!(host_is_local(Some("127.0.0.1:9324")));
        assert!(host_is_local(Some("[::1]:9324")));
        assert!(host_is_local(Some("localhost:9324")));
        assert!(!host_is_local(Some("rebound.example:9324")));
    }

    #[test]
    fn queue_paths() {
        let key = key_from_path("eu-west-1/000000000000/q.fifo").unwrap();
        assert_eq!(queue_path(&key), "/queues/eu-west-1/000000000000/q.fifo");
        assert!(key_from_path("eu-west-1/q").is_none());
        assert!(key_from_path("a/b/c/d").is_none());
    }
}
