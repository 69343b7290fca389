//! Raw HTTP/1.1 to the in-process server, for what the SDK cannot send (Query protocol, GET,
//! JSON to a queue URL, malformed bodies), and the few XML look-ups the Query tests need.

use queue::server::LocalServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::server::ACCESS_KEY_ID;

/// A response read off the socket.
#[derive(Debug)]
pub struct RawResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header names (lower-case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl RawResponse {
    /// The first header called `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON.
    #[must_use]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Sends one HTTP/1.1 request to `server` by hand and reads the whole response.
/// `Host`, `Content-Length` and `Connection: close` are added.
pub async fn raw(
    server: &LocalServer,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let addr = address(server);
    raw_to(&addr, &addr, method, path_and_query, headers, body).await
}

/// `host:port` of `server`, as a client connects to it and names it in `Host`.
fn address(server: &LocalServer) -> String {
    server.endpoint().trim_start_matches("http://").to_string()
}

/// Sends one HTTP/1.1 request by hand to `connect` (`host:port`, resolved through getaddrinfo
/// as any client resolves a URL's host) with `host` as its `Host` header, and reads the whole
/// response. `Content-Length` and `Connection: close` are added.
pub async fn raw_to(
    connect: &str,
    host: &str,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> RawResponse {
    let mut stream = TcpStream::connect(connect)
        .await
        .unwrap_or_else(|e| panic!("connect to {connect}: {e}"));
    let mut request = format!("{method} {path_and_query} HTTP/1.1\r\nHost: {host}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(request.as_bytes()).await.expect("write");
    stream.write_all(body).await.expect("write body");
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).await.expect("read");
    parse_response(&bytes)
}

/// A Query-protocol POST (form body) to `path`.
pub async fn query_post(server: &LocalServer, path: &str, form: &[(&str, &str)]) -> RawResponse {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    raw(
        server,
        "POST",
        path,
        &[(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        body.as_bytes(),
    )
    .await
}

/// A Query-protocol POST to `/`, where the SDKs send it.
pub async fn query(server: &LocalServer, form: &[(&str, &str)]) -> RawResponse {
    query_post(server, "/", form).await
}

/// A Query-protocol GetQueueAttributes of `url`'s attribute `name` (`All`, say).
pub async fn query_attributes(server: &LocalServer, url: &str, name: &str) -> RawResponse {
    let form = [
        ("Action", "GetQueueAttributes"),
        ("QueueUrl", url),
        ("AttributeName.1", name),
    ];
    query(server, &form).await
}

/// A Query-protocol SendMessage of `body` to `url`, with these other parameters
/// (`MessageGroupId`, message attributes).
pub async fn query_send(
    server: &LocalServer,
    url: &str,
    body: &str,
    other: &[(&str, &str)],
) -> RawResponse {
    let mut form = vec![
        ("Action", "SendMessage"),
        ("QueueUrl", url),
        ("MessageBody", body),
    ];
    form.extend_from_slice(other);
    query(server, &form).await
}

/// [`json_post`] signed for us-east-1.
pub async fn json_call(server: &LocalServer, action: &str, body: &str) -> RawResponse {
    json_post(server, action, "us-east-1", body).await
}

/// A JSON-protocol POST of `action` with `body`, with a SigV4-shaped `Authorization` header
/// for `region` (the server reads the scope, it does not check the signature).
pub async fn json_post(
    server: &LocalServer,
    action: &str,
    region: &str,
    body: &str,
) -> RawResponse {
    let addr = address(server);
    json_post_to(&addr, &addr, "/", action, region, body).await
}

/// A JSON-protocol POST of `action` with `body` to `path` on `connect` (`host:port`), with
/// `host` as its `Host` header and a SigV4-shaped `Authorization` header for `region`.
pub async fn json_post_to(
    connect: &str,
    host: &str,
    path: &str,
    action: &str,
    region: &str,
    body: &str,
) -> RawResponse {
    let target = format!("AmazonSQS.{action}");
    let auth = authorization(region);
    let headers = [
        ("Content-Type", "application/x-amz-json-1.0"),
        ("X-Amz-Target", target.as_str()),
        ("Authorization", auth.as_str()),
    ];
    raw_to(connect, host, "POST", path, &headers, body.as_bytes()).await
}

/// A SigV4-shaped `Authorization` header value for `region`.
#[must_use]
pub fn authorization(region: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={ACCESS_KEY_ID}/20260101/{region}/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000"
    )
}

/// A response read off a socket (head and body), dechunked.
#[must_use]
pub fn parse_response(bytes: &[u8]) -> RawResponse {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&bytes[..split]).to_string();
    let mut body = bytes[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    RawResponse {
        status,
        headers,
        body: String::from_utf8(body).expect("UTF-8 body"),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size_text = String::from_utf8_lossy(&data[..end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .expect("chunk size");
        if size == 0 {
            return out;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
}

/// The text of the first `<tag>…</tag>` in `xml`, unescaped minimally (`&#xD;`, `&quot;`,
/// `&lt;`, `&gt;`, `&amp;`).
#[must_use]
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .replace("&#xD;", "\r")
            .replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&"),
    )
}

/// Every `<tag>…</tag>` text in `xml`.
#[must_use]
pub fn xml_all(xml: &str, tag: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    let close = format!("</{tag}>");
    while let Some(text) = xml_text(rest, tag) {
        out.push(text);
        let Some(pos) = rest.find(&close) else { break };
        rest = &rest[pos + close.len()..];
    }
    out
}
