//! The web console over raw HTTP: which requests reach it and which still reach SQS, escaping
//! of hostile bodies, the forms' cross-site and token checks, Basic auth with `--auth` (the
//! console and `/metrics`), and `--no-console`.

use std::sync::Arc;

use base64::Engine as _;
use queue::server::{Keys, LocalServer, ServeOptions};

use crate::util::http::{RawResponse, raw, raw_to, xml_all};
use crate::util::server::{SEED, start, start_with};

const HTML: (&str, &str) = ("Accept", "text/html,application/xhtml+xml");

async fn page(server: &LocalServer, path: &str) -> RawResponse {
    raw(server, "GET", path, &[HTML], b"").await
}

/// The anti-forgery token of the forms on the queues page.
async fn token(server: &LocalServer, headers: &[(&str, &str)]) -> String {
    let mut all = vec![HTML];
    all.extend_from_slice(headers);
    let body = raw(server, "GET", "/", &all, b"").await.body;
    let start = body
        .find("name=\"token\" value=\"")
        .expect("a form with a token")
        + 20;
    body[start..start + 32].to_string()
}

/// A console form post from the console's own origin (plus `extra` headers).
async fn post(
    server: &LocalServer,
    path: &str,
    form: &[(&str, &str)],
    extra: &[(&str, &str)],
) -> RawResponse {
    let origin = server.endpoint();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut headers = vec![
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Origin", origin.as_str()),
    ];
    headers.extend_from_slice(extra);
    raw(server, "POST", path, &headers, body.as_bytes()).await
}

fn queue_form<'a>(token: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("token", token),
        ("region", "us-east-1"),
        ("account", "000000000000"),
        ("name", name),
    ]
}

#[tokio::test]
async fn browsers_get_the_console_and_sdk_requests_still_reach_sqs() {
    let server = start().await;
    let created = post(
        &server,
        "/_console/queues/create",
        &[
            ("token", &token(&server, &[]).await),
            ("name", "first"),
            ("region", "us-east-1"),
        ],
        &[],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let home = page(&server, "/").await;
    assert_eq!(home.status, 200);
    assert!(
        home.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let csp = home.header("content-security-policy").expect("a CSP");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        home.body
            .contains("href=\"/queues/us-east-1/000000000000/first\""),
        "{}",
        home.body
    );

    // A Query GET with Action from a browser-like client is still SQS.
    let listed = raw(&server, "GET", "/?Action=ListQueues", &[HTML], b"").await;
    assert_eq!(listed.status, 200);
    assert!(
        listed.header("content-type").unwrap().contains("xml"),
        "{:?}",
        listed.headers
    );
    assert_eq!(
        xml_all(&listed.body, "QueueUrl").len(),
        1,
        "{}",
        listed.body
    );
    // A Query POST with Action under /_console/ is SQS too (a queue URL there, to SQS).
    let body = b"Action=GetQueueUrl&QueueName=first";
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let query = raw(&server, "POST", "/_console/x", &form, body).await;
    assert!(
        query.body.contains("<GetQueueUrlResponse"),
        "{}",
        query.body
    );
    // Without Accept: text/html a GET / is what it always was: a Query request missing its action.
    let bare = raw(&server, "GET", "/", &[], b"").await;
    assert_eq!(bare.status, 400, "{}", bare.body);

    let script = raw(&server, "GET", "/_console/assets/console.js", &[], b"").await;
    assert!(
        script
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(script.body.contains("EventSource"));
    assert_eq!(
        page(&server, "/queues/us-east-1/000000000000/nope")
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_hostile_body_and_queue_prefix_show_as_text() {
    let server = start().await;
    let token = token(&server, &[]).await;
    post(
        &server,
        "/_console/queues/create",
        &[("token", &token), ("name", "q"), ("region", "us-east-1")],
        &[],
    )
    .await;
    let mut form = queue_form(&token, "q");
    form.push(("body", "<script>alert(1)</script>"));
    form.push(("attr_name", "who"));
    form.push(("attr_value", "<img src=x onerror=alert(2)>"));
    let sent = post(&server, "/_console/messages/send", &form, &[]).await;
    assert_eq!(sent.status, 303);
    let polled = post(
        &server,
        "/_console/messages/receive",
        &queue_form(&token, "q"),
        &[],
    )
    .await;
    assert_eq!(polled.status, 200);
    assert!(
        polled
            .body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        polled.body
    );
    assert!(polled.body.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(!polled.body.contains("<script>alert") && !polled.body.contains("<img src=x"));
    let filtered = page(&server, "/?prefix=%3Cb%3E").await;
    assert!(
        filtered.body.contains("value=\"&lt;b&gt;\""),
        "{}",
        filtered.body
    );
    assert!(!filtered.body.contains("<b>"));
}

#[tokio::test]
async fn cross_site_and_tokenless_posts_are_refused() {
    let server = start().await;
    let token = token(&server, &[]).await;
    let form = [
        ("token", token.as_str()),
        ("name", "evil"),
        ("region", "us-east-1"),
    ];
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let evil = raw(
        &server,
        "POST",
        "/_console/queues/create",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "http://evil.example"),
        ],
        body.as_bytes(),
    )
    .await;
    assert_eq!(evil.status, 403);
    assert!(evil.body.contains("Cross-site request refused"));
    let cross = post(
        &server,
        "/_console/queues/create",
        &form,
        &[("Sec-Fetch-Site", "cross-site")],
    )
    .await;
    assert_eq!(cross.status, 403);
    let no_token = post(
        &server,
        "/_console/queues/create",
        &[("name", "evil"), ("region", "us-east-1")],
        &[],
    )
    .await;
    assert_eq!(no_token.status, 403);
    let wrong = post(
        &server,
        "/_console/queues/create",
        &[("token", "0".repeat(32).as_str()), ("name", "evil")],
        &[],
    )
    .await;
    assert_eq!(wrong.status, 403);
    // A page reached through a DNS name rebound to the server (not an IP or localhost).
    let addr = server.endpoint().trim_start_matches("http://").to_string();
    let port = addr.rsplit(':').next().unwrap();
    let rebound = raw_to(
        &addr,
        &format!("rebound.example:{port}"),
        "GET",
        "/",
        &[HTML],
        b"",
    )
    .await;
    assert_eq!(rebound.status, 403);
    // So is /metrics.
    let rebound = raw_to(
        &addr,
        &format!("rebound.example:{port}"),
        "GET",
        "/metrics",
        &[],
        b"",
    )
    .await;
    assert_eq!(rebound.status, 403);
    assert!(!page(&server, "/").await.body.contains(">evil<"));
    // A purge without confirm=yes is not done.
    post(
        &server,
        "/_console/queues/create",
        &[("token", &token), ("name", "kept"), ("region", "us-east-1")],
        &[],
    )
    .await;
    let mut send = queue_form(&token, "kept");
    send.push(("body", "x"));
    post(&server, "/_console/messages/send", &send, &[]).await;
    let unconfirmed = post(
        &server,
        "/_console/queues/purge",
        &queue_form(&token, "kept"),
        &[],
    )
    .await;
    assert!(
        unconfirmed.header("location").unwrap().contains("error="),
        "{:?}",
        unconfirmed.headers
    );
    assert!(page(&server, "/").await.body.contains("kept:visible\">1<"));
    let mut confirmed = queue_form(&token, "kept");
    confirmed.push(("confirm", "yes"));
    // A `back` that would leave the site ("/\\host" is "//host" to a browser) goes home.
    confirmed.push(("back", "/\\evil.example"));
    let purged = post(&server, "/_console/queues/purge", &confirmed, &[]).await;
    let location = purged.header("location").unwrap();
    assert!(location.starts_with("/?") || location == "/", "{location}");
    assert!(page(&server, "/").await.body.contains("kept:visible\">0<"));
}

#[tokio::test]
async fn with_auth_the_console_and_metrics_need_basic_auth() {
    let keys =
        Keys::parse("[a]\naws_access_key_id=AKIDCONSOLE\naws_secret_access_key=console-secret\n")
            .unwrap();
    let server = start_with(ServeOptions {
        auth: Some(Arc::new(keys)),
        ..ServeOptions::deterministic(SEED)
    })
    .await;
    let basic = |user: &str, password: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    };
    let refused = page(&server, "/").await;
    assert_eq!(refused.status, 401);
    assert!(
        refused
            .header("www-authenticate")
            .unwrap()
            .starts_with("Basic")
    );
    let wrong = basic("AKIDCONSOLE", "nope");
    assert_eq!(
        raw(&server, "GET", "/", &[HTML, ("Authorization", &wrong)], b"")
            .await
            .status,
        401
    );
    let right = basic("AKIDCONSOLE", "console-secret");
    let home = raw(&server, "GET", "/", &[HTML, ("Authorization", &right)], b"").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(!home.body.contains("console-secret"));
    assert_eq!(raw(&server, "GET", "/metrics", &[], b"").await.status, 401);
    let metrics = raw(
        &server,
        "GET",
        "/metrics",
        &[("Authorization", &right)],
        b"",
    )
    .await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.body.contains("# TYPE"), "{}", metrics.body);
    // A signed form still needs the token; with it and the password it is served.
    let token = token(&server, &[("Authorization", &right)]).await;
    let made = post(
        &server,
        "/_console/queues/create",
        &[
            ("token", &token),
            ("name", "authed"),
            ("region", "us-east-1"),
        ],
        &[("Authorization", &right)],
    )
    .await;
    assert_eq!(made.status, 303);
    let unsigned = post(
        &server,
        "/_console/queues/create",
        &[("token", &token), ("name", "x")],
        &[],
    )
    .await;
    assert_eq!(unsigned.status, 401);
}

#[tokio::test]
async fn no_console_answers_as_before() {
    let server = start_with(ServeOptions {
        console: false,
        ..ServeOptions::deterministic(SEED)
    })
    .await;
    let home = page(&server, "/").await;
    assert_eq!(home.status, 400, "{}", home.body);
    assert!(!home.body.contains("<html"));
    let events = raw(&server, "GET", "/_console/events", &[], b"").await;
    assert_ne!(events.status, 200);
}

#[tokio::test]
async fn the_queue_page_charts_what_was_sent() {
    let server = start().await;
    let token = token(&server, &[]).await;
    post(
        &server,
        "/_console/queues/create",
        &[
            ("token", &token),
            ("name", "charted.fifo"),
            ("fifo", "yes"),
            ("content_based_deduplication", "yes"),
            ("region", "eu-west-1"),
        ],
        &[],
    )
    .await;
    let mut form = vec![
        ("token", token.as_str()),
        ("region", "eu-west-1"),
        ("account", "000000000000"),
        ("name", "charted.fifo"),
    ];
    form.extend([("count", "12"), ("prepend", "hi "), ("group_id", "g")]);
    let sent = post(&server, "/_console/messages/send", &form, &[]).await;
    assert!(
        sent.header("location")
            .unwrap()
            .contains("12+numbered+messages+sent"),
        "{:?}",
        sent.headers
    );
    let queue = page(&server, "/queues/eu-west-1/000000000000/charted.fifo").await;
    assert_eq!(queue.status, 200);
    assert!(
        queue.body.contains("12 messages in the last hour"),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("data-v=\"12\""));
    assert!(queue.body.contains("FIFO queue"));
    for metric in [
        "NumberOfMessagesSent",
        "NumberOfEmptyReceives",
        "ApproximateAgeOfOldestMessage",
        "SentMessageSize",
    ] {
        assert!(
            queue.body.contains(&format!("data-chart=\"{metric}\"")),
            "{metric}"
        );
    }
    assert!(queue.body.contains("$0.50 per million"), "FIFO price");
    assert!(queue.body.contains("<h3>Policy</h3>"));
    let polled = post(&server, "/_console/messages/receive", &form[..4], &[]).await;
    assert!(polled.body.contains("hi Message 1<"), "{}", polled.body);
    assert!(polled.body.contains("client"));
    // The event stream's first snapshot carries the counts and the charts.
    let mut stream =
        tokio::net::TcpStream::connect(server.endpoint().trim_start_matches("http://"))
            .await
            .unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = server.endpoint();
    let request = format!(
        "GET /_console/events?queue=eu-west-1/000000000000/charted.fifo HTTP/1.1\r\nHost: {}\r\n\r\n",
        host.trim_start_matches("http://")
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut seen = String::new();
    let mut buffer = [0u8; 65536];
    while !seen.contains("\n\n{") && !seen.contains("}\n\n") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "stream ended: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buffer[..n]));
    }
    assert!(seen.contains("text/event-stream"));
    assert!(
        seen.contains("\"in_flight\":10") && seen.contains("\"visible\":2"),
        "{seen}"
    );
    assert!(seen.contains("NumberOfMessagesReceived"));
}

#[tokio::test]
async fn topics_pages_list_subscriptions_and_publish_through_the_form() {
    use crate::util::sns;
    let server = start().await;
    let (sqs, topics) = (crate::util::server::client(&server), sns::client(&server));
    let url = crate::util::server::create_queue(&sqs, "fanned").await;
    let topic = sns::create_topic(&topics, "news", false).await;
    sns::subscribe(
        &topics,
        &topic,
        "arn:aws:sqs:us-east-1:000000000000:fanned",
        &[
            ("RawMessageDelivery", "true"),
            ("FilterPolicy", r#"{"client":["<b>bold</b>"]}"#),
        ],
    )
    .await;
    let list = page(&server, "/topics").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("news"), "{}", list.body);
    assert!(list.body.contains("fanned"));
    assert!(
        !list.body.contains("<b>bold</b>"),
        "the filter policy is escaped"
    );
    assert!(list.body.contains("&lt;b&gt;bold&lt;/b&gt;"));
    let one = page(&server, &format!("/topics/{topic}")).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert!(one.body.contains("/_console/topics/publish"));

    // Publishing through the form: the message passes the filter only with its attribute,
    // and the form sends none, so a subscriber without a filter is what receives it.
    sns::subscribe(
        &topics,
        &topic,
        "arn:aws:sqs:us-east-1:000000000000:open",
        &[("RawMessageDelivery", "true")],
    )
    .await;
    let open = crate::util::server::create_queue(&sqs, "open").await;
    let token = token(&server, &[]).await;
    let form = [
        ("token", token.as_str()),
        ("topic_arn", topic.as_str()),
        ("region", "us-east-1"),
        ("message", "from the console"),
    ];
    let published = post(&server, "/_console/topics/publish", &form, &[]).await;
    assert_eq!(published.status, 303, "{}", published.body);
    let got = crate::util::sdk::receive(&sqs, &open, 10, 0).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body(), Some("from the console"));
    assert!(
        crate::util::sdk::receive(&sqs, &url, 10, 0)
            .await
            .is_empty()
    );
    // Without the token the form is refused and nothing is published.
    let refused = post(&server, "/_console/topics/publish", &form[1..], &[]).await;
    assert_eq!(refused.status, 403);
    assert!(
        crate::util::sdk::receive(&sqs, &open, 10, 0)
            .await
            .is_empty()
    );
}
