//! Stand-ins for AWS on loopback ports, for what only real AWS produces: a fake that answers
//! every request with one canned error, and an endpoint nothing listens on.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

/// An error only real AWS answers with: HTTP status, legacy error code (`x-amzn-query-error`),
/// JSON `__type` and `message`.
pub struct AwsError {
    pub status: u16,
    pub query_code: &'static str,
    pub shape: &'static str,
    pub message: &'static str,
}

/// A Learner Lab session's token has run out.
pub const EXPIRED_TOKEN: AwsError = AwsError {
    status: 400,
    query_code: "ExpiredToken",
    shape: "com.amazon.coral.service#ExpiredTokenException",
    message: "The security token included in the request is expired",
};

const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

/// The access key is unknown (the Query protocol's name for it).
pub const INVALID_CLIENT_TOKEN_ID: AwsError = AwsError {
    status: 403,
    query_code: "InvalidClientTokenId",
    shape: "com.amazon.coral.service#InvalidClientTokenId",
    message: INVALID_TOKEN,
};

/// The access key is unknown (the JSON protocol's name for it).
pub const UNRECOGNIZED_CLIENT: AwsError = AwsError {
    status: 403,
    query_code: "UnrecognizedClientException",
    shape: "com.amazon.coral.service#UnrecognizedClientException",
    message: INVALID_TOKEN,
};

/// The secret key or the clock is wrong.
pub const SIGNATURE_DOES_NOT_MATCH: AwsError = AwsError {
    status: 403,
    query_code: "SignatureDoesNotMatch",
    shape: "com.amazon.coral.service#SignatureDoesNotMatch",
    message: "The request signature we calculated does not match the signature you provided.",
};

/// The credentials may not use the queue.
pub const ACCESS_DENIED: AwsError = AwsError {
    status: 400,
    query_code: "AccessDenied",
    shape: "com.amazon.coral.service#AccessDeniedException",
    message: "User is not authorized to perform: sqs:getqueueurl",
};

/// A fake of AWS on a loopback port that answers every request with `error`. Returns the
/// endpoint.
pub fn fake_aws(error: &AwsError) -> String {
    let AwsError {
        status,
        query_code,
        shape,
        message,
    } = error;
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
