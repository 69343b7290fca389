//! The limits a hostile client meets: a body over the limit is refused from its
//! `Content-Length` (413, before it is sent) or cut off when chunked; huge headers get a 431; a
//! slow-loris or idle connection is closed after the header timeout and a slow body gets a 408;
//! a client that stops reading its answers is closed after the write timeout; connections
//! beyond the cap wait their turn. Each time the server goes on serving others.

use std::time::{Duration, Instant};

use queue::server::{LocalServer, ServeOptions};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

use crate::util::http::{RawResponse, authorization, json_call, parse_response, query_post};
use crate::util::server::{SEED, client, create_queue, start, start_with};

/// A server held to `limits` (the rest default).
async fn limited(limits: queue::server::Limits) -> LocalServer {
    start_with(ServeOptions {
        limits,
        ..ServeOptions::deterministic(SEED)
    })
    .await
}

/// A raw connection to `server`.
async fn connect(server: &LocalServer) -> TcpStream {
    TcpStream::connect(server.endpoint().trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// Writes `head` (and nothing after it), then reads until the server closes the connection.
async fn send_head(server: &LocalServer, head: &str) -> RawResponse {
    let mut stream = connect(server).await;
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut bytes))
        .await
        .expect("the server answers and closes")
        .expect("read");
    parse_response(&bytes)
}

/// Waits until the server closes `stream` (EOF or reset) and returns how long that took.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Duration {
    let started = Instant::now();
    let mut buf = [0; 1024];
    loop {
        match tokio::time::timeout(limit, stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return started.elapsed(),
            Ok(Ok(_)) => {}
            Err(_) => panic!("the connection is still open after {limit:?}"),
        }
    }
}

/// The server still answers a plain request.
async fn still_serves(server: &LocalServer) {
    assert_eq!(json_call(server, "ListQueues", "{}").await.status, 200);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_before_it_is_read() {
    // The default limit (2 MiB): a 3 MiB Content-Length is answered without sending the body.
    let server = start().await;
    let response = send_head(
        &server,
        "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonSQS.ListQueues\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 3145728\r\n\r\n",
    )
    .await;
    assert_eq!(response.status, 413, "{response:?}");
    assert_eq!(response.header("connection"), Some("close"));
    assert_eq!(
        response.header("x-amzn-query-error"),
        Some("RequestEntityTooLarge;Sender")
    );
    assert_eq!(
        response.json()["__type"],
        "com.amazonaws.sqs#RequestEntityTooLarge"
    );
    still_serves(&server).await;

    // Within the limit, a large body reaches the handler (which judges it).
    let name = "q".repeat(1_500_000);
    let response = json_call(
        &server,
        "GetQueueUrl",
        &format!(r#"{{"QueueName":"{name}"}}"#),
    )
    .await;
    assert_eq!(response.status, 400, "{}", &response.body[..200]);
    assert_ne!(
        response.json()["__type"],
        "com.amazonaws.sqs#RequestEntityTooLarge"
    );
}

#[tokio::test]
async fn a_chunked_body_is_cut_off_at_the_limit_in_the_query_protocol() {
    let server = limited(queue::server::Limits {
        max_body_bytes: 1024,
        ..Default::default()
    })
    .await;
    let chunk = format!("800\r\n{}\r\n", "a".repeat(0x800));
    let head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n";
    let mut stream = connect(&server).await;
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(chunk.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut bytes))
        .await
        .expect("answered and closed")
        .expect("read");
    let response = parse_response(&bytes);
    assert_eq!(response.status, 413, "{response:?}");
    assert!(
        response.body.contains("<Code>RequestEntityTooLarge</Code>"),
        "{}",
        response.body
    );
    // A form within the limit is served.
    let listed = query_post(&server, "/", &[("Action", "ListQueues")]).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
}

#[tokio::test]
async fn huge_headers_are_refused() {
    let server = start().await;
    let big = "a".repeat(100_000);
    let response = send_head(
        &server,
        &format!("POST / HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\nContent-Length: 0\r\n\r\n"),
    )
    .await;
    assert_eq!(response.status, 431, "{response:?}");
    // A header that never ends is refused too, once it passes the read buffer.
    let mut stream = connect(&server).await;
    stream
        .write_all(b"GET / HTTP/1.1\r\nX-Endless: ")
        .await
        .unwrap();
    let flood = vec![b'a'; 16 * 1024];
    for _ in 0..64 {
        if stream.write_all(&flood).await.is_err() {
            break;
        }
    }
    closed_within(&mut stream, Duration::from_secs(3)).await;
    still_serves(&server).await;
}

#[tokio::test]
async fn slow_loris_and_idle_connections_are_closed_after_the_header_timeout() {
    let timeout = Duration::from_millis(400);
    let server = limited(queue::server::Limits {
        header_timeout: timeout,
        ..Default::default()
    })
    .await;
    let mut loris = connect(&server).await;
    let mut idle = connect(&server).await;
    let started = Instant::now();
    let drip = tokio::spawn(async move {
        for byte in b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: "
            .iter()
            .cycle()
            .take(100)
        {
            if loris.write_all(&[*byte]).await.is_err() {
                return started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        closed_within(&mut loris, Duration::from_secs(3)).await;
        started.elapsed()
    });
    // Others are served meanwhile.
    still_serves(&server).await;
    let idle_for = closed_within(&mut idle, Duration::from_secs(3)).await;
    let dripped_for = drip.await.unwrap();
    assert!(
        idle_for >= timeout - Duration::from_millis(50),
        "{idle_for:?}"
    );
    assert!(idle_for < Duration::from_secs(2), "{idle_for:?}");
    assert!(dripped_for < Duration::from_secs(2), "{dripped_for:?}");
    still_serves(&server).await;

    // A long poll outlives the header timeout: it waits for its answer, not for headers.
    let sqs = client(&server);
    let url = create_queue(&sqs, "longpoll").await;
    let started = Instant::now();
    let received = sqs
        .receive_message()
        .queue_url(&url)
        .wait_time_seconds(1)
        .send()
        .await
        .expect("the long poll is answered");
    assert!(received.messages().is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_slow_body_gets_a_request_timeout() {
    let server = limited(queue::server::Limits {
        body_timeout: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let mut stream = connect(&server).await;
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonSQS.ListQueues\r\nContent-Length: 100\r\n\r\n{\"a\":")
        .await
        .unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(3), stream.read_to_end(&mut bytes))
        .await
        .expect("answered and closed")
        .expect("read");
    let response = parse_response(&bytes);
    assert_eq!(response.status, 408, "{response:?}");
    assert_eq!(
        response.json()["__type"],
        "com.amazonaws.sqs#RequestTimeout"
    );
    still_serves(&server).await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_their_turn() {
    let timeout = Duration::from_millis(500);
    let server = limited(queue::server::Limits {
        max_connections: 2,
        header_timeout: timeout,
        ..Default::default()
    })
    .await;
    // Two idle connections take both places; the next request waits until they are closed.
    let held = [connect(&server).await, connect(&server).await];
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    still_serves(&server).await;
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    drop(held);

    // Many clients at once through two places: all served.
    let server = std::sync::Arc::new(server);
    let clients: Vec<_> = (0..40)
        .map(|_| {
            let server = std::sync::Arc::clone(&server);
            tokio::spawn(async move { json_call(&server, "ListQueues", "{}").await.status })
        })
        .collect();
    for client in clients {
        assert_eq!(client.await.unwrap(), 200);
    }
}

#[tokio::test]
async fn a_client_that_stops_reading_is_closed_after_the_write_timeout() {
    let write_timeout = Duration::from_millis(300);
    let server = limited(queue::server::Limits {
        max_connections: 1,
        write_timeout,
        ..Default::default()
    })
    .await;
    // Six 1 MiB messages: each receive of them all is a 6 MiB answer.
    let created = json_call(&server, "CreateQueue", r#"{"QueueName":"big"}"#).await;
    let url = created.json()["QueueUrl"]
        .as_str()
        .expect("QueueUrl")
        .to_string();
    let body = "a".repeat(1_048_576);
    for _ in 0..6 {
        let message = format!(r#"{{"QueueUrl":"{url}","MessageBody":"{body}"}}"#);
        let sent = json_call(&server, "SendMessage", &message).await;
        assert_eq!(sent.status, 200, "{}", sent.body);
    }
    let receive =
        format!(r#"{{"QueueUrl":"{url}","MaxNumberOfMessages":10,"VisibilityTimeout":0}}"#);
    let answer = json_call(&server, "ReceiveMessage", &receive).await;
    assert!(answer.body.len() > 6 * 1_048_576, "{}", answer.body.len());

    // Three such answers, pipelined, to a client that reads none of them. With a small receive
    // buffer on its side, 18 MiB is far more than the two sockets hold (the server's send
    // buffer grows to 4 MiB by default on Linux), so the server's writes stall.
    let address = server.endpoint().trim_start_matches("http://").to_string();
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(16 * 1024).expect("SO_RCVBUF");
    let mut stalled = socket
        .connect(address.parse().expect("address"))
        .await
        .expect("connect");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nX-Amz-Target: AmazonSQS.ReceiveMessage\r\nContent-Type: application/x-amz-json-1.0\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n{receive}",
        authorization("us-east-1"),
        receive.len()
    );
    let started = Instant::now();
    for _ in 0..3 {
        stalled.write_all(request.as_bytes()).await.expect("write");
    }

    // Its place is freed: with one connection allowed, the next client is served once the
    // stalled one is closed (without the write timeout, never).
    tokio::time::timeout(Duration::from_secs(5), still_serves(&server))
        .await
        .expect("the stalled connection's place is freed");
    let waited = started.elapsed();
    assert!(waited >= write_timeout, "{waited:?}");
    // And the stalled client, reading at last, gets what the sockets held, then the end.
    closed_within(&mut stalled, Duration::from_secs(3)).await;
}
