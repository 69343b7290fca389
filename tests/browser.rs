//! The web console in a real browser: headless Chromium driven over WebDriver (fantoccini and
//! chromedriver; docs/console.md says why). Needs `chromium` and `chromedriver`:
//! `cargo test --features browser-tests --test browser` (`.ci/run` installs them). Each test
//! starts its own server and its own chromedriver on a free port, killed when it ends.
//! `QUEUE_SCREENSHOTS=1` also writes docs/console-queues.png and docs/console-queue.png.

/// The integration tests' raw-HTTP and server helpers (this target uses a few of them).
#[allow(dead_code)]
#[path = "util"]
mod util {
    pub mod http;
    pub mod server;
}

use std::net::TcpListener as StdListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use queue::server::{LocalServer, ServeOptions};
use serde_json::{Value, json};

use util::http::query;
use util::server::SEED;

/// How long to wait for the browser to show something.
const PATIENCE: Duration = Duration::from_secs(15);

/// A chromedriver child and a browser session on it; the driver is killed on drop.
struct Browser {
    client: Option<Client>,
    driver: Child,
}

impl Browser {
    async fn start() -> Self {
        let port = StdListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {driver_path} (install chromium-driver): {e}")
            });
        let mut browser = Self {
            client: None,
            driver,
        };
        let mut chrome = json!({"args": [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=1280,800", "--hide-scrollbars",
        ]});
        if std::path::Path::new("/usr/bin/chromium").exists() {
            chrome["binary"] = json!("/usr/bin/chromium");
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), chrome);
        let deadline = Instant::now() + PATIENCE;
        loop {
            let connected = ClientBuilder::rustls()
                .expect("rustls")
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await;
            match connected {
                Ok(client) => {
                    browser.client = Some(client);
                    return browser;
                }
                Err(error) if Instant::now() > deadline => {
                    panic!("chromedriver did not answer: {error}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("a session")
    }

    /// Closes the session (the browser quits) and stops the driver.
    async fn finish(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }

    async fn goto(&self, url: &str) {
        self.client().goto(url).await.expect("navigate");
    }

    async fn js(&self, script: &str) -> Value {
        self.client()
            .execute(script, Vec::new())
            .await
            .expect("script")
    }

    async fn text(&self, css: &str) -> String {
        self.client()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    /// Waits until the text of `css` is `expected`.
    async fn wait_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let seen = match self.client().find(Locator::Css(css)).await {
                Ok(element) => element.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if seen == expected {
                return;
            }
            if Instant::now() > deadline {
                let url = self.client().current_url().await.map(|u| u.to_string());
                let source = self.client().source().await.unwrap_or_default();
                panic!("{css} shows {seen:?}, not {expected:?}, at {url:?}:\n{source}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn fill(&self, css: &str, text: &str) {
        let field = self
            .client()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    async fn click(&self, css: &str) {
        self.client()
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .expect("click");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

async fn server_with(queues: &[&str]) -> LocalServer {
    LocalServer::start(ServeOptions {
        queues: queues.iter().map(|q| (*q).to_string()).collect(),
        ..ServeOptions::deterministic(SEED)
    })
    .await
    .expect("server")
}

fn queue_page(server: &LocalServer, name: &str) -> String {
    format!("{}/queues/us-east-1/000000000000/{name}", server.endpoint())
}

fn visible(name: &str) -> String {
    format!("[data-live='us-east-1/000000000000/{name}:visible']")
}

async fn send_via_api(server: &LocalServer, name: &str, body: &str) {
    let url = format!("{}/000000000000/{name}", server.endpoint());
    let sent = query(
        server,
        &[
            ("Action", "SendMessage"),
            ("QueueUrl", &url),
            ("MessageBody", body),
        ],
    )
    .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
}

#[tokio::test]
async fn the_queues_page_lists_queues_and_creates_one_through_the_form() {
    let server = server_with(&["listed"]).await;
    let browser = Browser::start().await;
    browser.goto(&format!("{}/", server.endpoint())).await;
    assert_eq!(browser.text("table.grid tbody td a").await, "listed");
    browser
        .fill(
            "form[action='/_console/queues/create'] input[name=name]",
            "made-in-browser",
        )
        .await;
    browser
        .click("form[action='/_console/queues/create'] button")
        .await;
    browser
        .wait_text(".flash.note", "Queue made-in-browser created in us-east-1.")
        .await;
    let names = browser.js("return [...document.querySelectorAll('table.grid tbody tr td:first-child a')].map(a => a.textContent)").await;
    assert_eq!(names, json!(["listed", "made-in-browser"]));
    browser.finish().await;
}

#[tokio::test]
async fn a_message_sent_through_the_form_and_another_show_without_reload() {
    let server = server_with(&["live"]).await;
    let browser = Browser::start().await;
    browser.goto(&queue_page(&server, "live")).await;
    browser
        .fill(
            "form[action='/_console/messages/send'] textarea[name=body]",
            "from the form",
        )
        .await;
    browser
        .click("form[action='/_console/messages/send'] button")
        .await;
    browser.wait_text(&visible("live"), "1").await;
    // Mark this document: a reload would lose the mark.
    browser.js("window.notReloaded = true").await;
    send_via_api(&server, "live", "from elsewhere").await;
    browser.wait_text(&visible("live"), "2").await;
    assert_eq!(
        browser.js("return window.notReloaded === true").await,
        json!(true)
    );
    assert_ne!(
        browser.js("return document.body.dataset.updates").await,
        Value::Null
    );
    browser.finish().await;
}

#[tokio::test]
async fn a_hostile_body_shows_as_text_and_runs_nothing() {
    let server = server_with(&["hostile"]).await;
    let browser = Browser::start().await;
    let hostile = "<script>window.pwned=1;alert(1)</script><img src=x onerror=\"window.pwned=2\">";
    send_via_api(&server, "hostile", hostile).await;
    browser.goto(&queue_page(&server, "hostile")).await;
    browser
        .click("form[action='/_console/messages/receive'] button")
        .await;
    browser.wait_text("#polled", "1 message(s) received.").await;
    assert_eq!(browser.text("pre.body").await, hostile);
    assert!(
        browser.client().get_alert_text().await.is_err(),
        "an alert is open"
    );
    assert_eq!(
        browser.js("return window.pwned === undefined").await,
        json!(true)
    );
    assert_eq!(
        browser
            .js("return document.querySelectorAll('main script, main img').length")
            .await,
        json!(0)
    );
    browser.finish().await;
}

/// A page on another origin (no CSP of ours), as a hostile site would serve it.
async fn foreign_site() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await;
            let page = "<!doctype html><html><body><p>a page on another site</p></body></html>";
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (origin, task)
}

#[tokio::test]
async fn a_cross_origin_post_is_refused_even_with_the_token() {
    let server = server_with(&["target"]).await;
    send_via_api(&server, "target", "keep me").await;
    let browser = Browser::start().await;
    browser.goto(&format!("{}/", server.endpoint())).await;
    assert_eq!(browser.text(&visible("target")).await, "1");
    let token = browser
        .js("return document.querySelector('input[name=token]').value")
        .await;
    let (origin, site) = foreign_site().await;
    browser.goto(&origin).await;
    // The worst case: the other site knows the token; its form posts to the console anyway.
    let script = format!(
        "const f = document.createElement('form'); f.method = 'post'; f.action = '{}/_console/queues/purge';
         for (const [n, v] of Object.entries({{token: {token}, region: 'us-east-1', account: '000000000000', name: 'target', confirm: 'yes'}})) {{
           const i = document.createElement('input'); i.type = 'hidden'; i.name = n; i.value = v; f.appendChild(i); }}
         document.body.appendChild(f); f.submit();",
        server.endpoint()
    );
    browser.js(&script).await;
    browser.wait_text("h1", "Refused").await;
    assert!(
        browser
            .text("main")
            .await
            .contains("Cross-site request refused")
    );
    browser.goto(&format!("{}/", server.endpoint())).await;
    assert_eq!(
        browser.text(&visible("target")).await,
        "1",
        "after the form"
    );
    browser.goto(&origin).await;
    assert_eq!(browser.js("return location.origin").await, json!(origin));
    // And a fetch from there is refused too (its answer is opaque to the other site).
    let fetched = browser
        .client()
        .execute_async(
            &format!("const done = arguments[0]; fetch('{}/_console/queues/purge', {{method: 'POST', mode: 'no-cors', body: new URLSearchParams({{token: {token}, region: 'us-east-1', account: '000000000000', name: 'target', confirm: 'yes'}})}}).then(() => done('sent'), e => done(String(e)));", server.endpoint()),
            Vec::new(),
        )
        .await
        .expect("fetch");
    assert_eq!(fetched, json!("sent"));
    browser.goto(&format!("{}/", server.endpoint())).await;
    assert_eq!(browser.text(&visible("target")).await, "1");
    site.abort();
    browser.finish().await;
}

#[tokio::test]
async fn purge_asks_first() {
    let server = server_with(&["purged"]).await;
    send_via_api(&server, "purged", "a").await;
    send_via_api(&server, "purged", "b").await;
    let browser = Browser::start().await;
    browser.goto(&format!("{}/", server.endpoint())).await;
    assert_eq!(browser.text(&visible("purged")).await, "2");
    browser
        .click("form[action='/_console/queues/purge'] button")
        .await;
    assert_eq!(
        browser
            .client()
            .get_alert_text()
            .await
            .expect("a confirmation"),
        "Purge queue purged? Every message in it is deleted."
    );
    browser.client().dismiss_alert().await.expect("dismiss");
    assert_eq!(browser.text(&visible("purged")).await, "2");
    browser
        .click("form[action='/_console/queues/purge'] button")
        .await;
    browser.client().accept_alert().await.expect("accept");
    browser
        .wait_text(".flash.note", "Queue purged purged.")
        .await;
    assert_eq!(browser.text(&visible("purged")).await, "0");
    browser.finish().await;
}

#[tokio::test]
async fn monitoring_charts_draw_what_was_sent() {
    let server = server_with(&["charted"]).await;
    let browser = Browser::start().await;
    browser.goto(&queue_page(&server, "charted")).await;
    assert_eq!(
        browser
            .js("return document.querySelectorAll('[data-chart] svg').length")
            .await,
        json!(8)
    );
    browser
        .fill(
            "form[action='/_console/messages/send'] input[name=count]",
            "7",
        )
        .await;
    browser.click("form:has(input[name=count]) button").await;
    browser
        .wait_text(".flash.note", "7 numbered messages sent.")
        .await;
    let bars = browser.js("return [...document.querySelectorAll('[data-chart=NumberOfMessagesSent] rect.bar')].map(r => r.dataset.v)").await;
    assert_eq!(bars, json!(["7"]));
    // Live: a poll through the API shows in the received chart without a reload.
    browser.js("window.notReloaded = true").await;
    let url = format!("{}/000000000000/charted", server.endpoint());
    query(
        &server,
        &[
            ("Action", "ReceiveMessage"),
            ("QueueUrl", &url),
            ("MaxNumberOfMessages", "3"),
        ],
    )
    .await;
    browser
        .wait_text(
            "[data-chart=NumberOfMessagesReceived] figcaption span",
            "3 messages in the last hour",
        )
        .await;
    assert_eq!(
        browser.js("return window.notReloaded === true").await,
        json!(true)
    );
    browser.finish().await;
}

/// Some queues, a dead-letter queue and twenty minutes of traffic (the server's clock moved a
/// minute at a time), then the two pages at 1280×800.
#[tokio::test]
#[ignore = "writes docs/console-*.png: cargo test --features browser-tests --test browser -- --ignored screenshots"]
async fn screenshots() {
    let server = server_with(&[
        "orders",
        "orders-dlq",
        "csse6400_prac",
        "csse6400_prac.fifo",
    ])
    .await;
    let endpoint = server.endpoint();
    let url = |name: &str| format!("{endpoint}/000000000000/{name}");
    let dlq_arn = "arn:aws:sqs:us-east-1:000000000000:orders-dlq";
    let policy = format!("{{\"deadLetterTargetArn\":\"{dlq_arn}\",\"maxReceiveCount\":\"5\"}}");
    let set = query(
        &server,
        &[
            ("Action", "SetQueueAttributes"),
            ("QueueUrl", &url("orders")),
            ("Attribute.1.Name", "RedrivePolicy"),
            ("Attribute.1.Value", &policy),
        ],
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.body);
    for minute in 0..20u32 {
        let sends = 4 + (minute * 7) % 11;
        for i in 0..sends {
            send_via_api(
                &server,
                "orders",
                &format!("order {minute}-{i}: {}", "x".repeat((i * 40) as usize)),
            )
            .await;
        }
        send_via_api(&server, "csse6400_prac", &format!("Message {minute}")).await;
        // Short polls of an empty queue: the empty receives that cost money.
        for _ in 0..(minute % 4) {
            let empty = url("orders-dlq");
            query(
                &server,
                &[("Action", "ReceiveMessage"), ("QueueUrl", &empty)],
            )
            .await;
        }
        // A consumer that keeps up some minutes (and then polls an empty queue) and falls
        // behind in others.
        let polls = if minute % 5 < 3 { 4 } else { 1 };
        for _ in 0..polls {
            let received = query(
                &server,
                &[
                    ("Action", "ReceiveMessage"),
                    ("QueueUrl", &url("orders")),
                    ("MaxNumberOfMessages", "10"),
                ],
            )
            .await;
            let handles = util::http::xml_all(&received.body, "ReceiptHandle");
            for handle in &handles {
                query(
                    &server,
                    &[
                        ("Action", "DeleteMessage"),
                        ("QueueUrl", &url("orders")),
                        ("ReceiptHandle", handle),
                    ],
                )
                .await;
            }
        }
        for _ in 0..(minute % 5) {
            query(
                &server,
                &[
                    ("Action", "ReceiveMessage"),
                    ("QueueUrl", &url("orders-dlq")),
                ],
            )
            .await;
        }
        util::http::raw(&server, "GET", "/metrics", &[], b"").await;
        server.advance_clock(Duration::from_secs(60));
    }
    let browser = Browser::start().await;
    browser.goto(&format!("{endpoint}/")).await;
    // A 1280×800 viewport: the window is the viewport plus whatever the browser adds.
    let chrome = browser
        .js("return window.outerHeight - window.innerHeight")
        .await;
    let extra = u32::try_from(chrome.as_u64().unwrap_or(0)).unwrap_or(0);
    browser
        .client()
        .set_window_size(1280, 800 + extra)
        .await
        .expect("size");
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    std::fs::write(
        docs.join("console-queues.png"),
        browser.client().screenshot().await.expect("shot"),
    )
    .unwrap();
    browser.goto(&queue_page(&server, "orders")).await;
    browser.wait_text("#live", "live").await;
    std::fs::write(
        docs.join("console-queue.png"),
        browser.client().screenshot().await.expect("shot"),
    )
    .unwrap();
    browser.finish().await;
}
