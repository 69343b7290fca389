//! Stand-ins for AWS on loopback ports, for what only real AWS produces: a fake that answers
//! every request with one canned error, and an endpoint nothing listens on.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

/// A fake of AWS on a loopback port: answers every request with this HTTP status, legacy error
/// code (`x-amzn-query-error`) and JSON `__type`/`message`. Returns the endpoint.
pub fn fake_aws_error(status: u16, query_code: &str, shape: &str, message: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    let body = serde_json::json!({ "__type": shape, "message": message }).to_string();
    let response = format!(
        "HTTP/1.1 {status} Error\r\nx-amzn-RequestId: 00000000-0000-0000-0000-000000000000\r\n\
         x-amzn-query-error: {query_code};Sender\r\nContent-Type: application/x-amz-json-1.0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = stream.write_all(response.as_bytes());
        }
    });
    endpoint
}

/// A loopback endpoint nothing listens on.
pub fn dead_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    endpoint
}
