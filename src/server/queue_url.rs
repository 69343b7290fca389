//! Queue URLs: built from the host and port the client used, so that they resolve wherever
//! the client is (`localhost`, `127.0.0.1`, a compose service name), and read back from every
//! shape the server issues or once issued.
//!
//! Built: `http://<host>/<account>/<name>` in the server's home region (us-east-1) and
//! `http://<host>/queue/<region>/<account>/<name>` in any other, so URLs differ per region.
//! Read: both, the `http://sqs.<region>.localhost:<port>/<account>/<name>` URLs of earlier
//! releases (and AWS's own `sqs.<region>.…` and `<region>.queue.…` hosts), a path alone, and a
//! bare queue name.

use crate::rules::DEFAULT_REGION;

/// First path segment of the region-carrying form.
const REGION_PREFIX: &str = "queue";

/// What a queue URL, or a request's path, says about the queue it names. The parts it leaves
/// out come from the request: the signature's region, the server's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Region named by the URL (`/queue/<region>/…` or a `sqs.<region>.` host).
    pub region: Option<String>,
    /// Account id; `None` for a bare queue name.
    pub account: Option<String>,
    /// Queue name.
    pub name: String,
}

/// The URL of queue `name` as seen by a client that reached the server at `host`
/// (`host[:port]`, as its `Host` header gave it).
#[must_use]
pub fn build(host: &str, region: &str, account: &str, name: &str) -> String {
    if region == DEFAULT_REGION {
        format!("http://{host}/{account}/{name}")
    } else {
        format!("http://{host}/{REGION_PREFIX}/{region}/{account}/{name}")
    }
}

/// Whether a `Host` header value can stand in a URL as it is: a name or address and an
/// optional port, nothing that would change the URL's meaning.
#[must_use]
pub fn is_usable_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:[]".contains(&b))
}

/// A `QueueUrl` parameter: a full URL, a path alone, or a bare queue name.
#[must_use]
pub fn parse(queue_url: &str) -> Option<Address> {
    let url = queue_url.trim();
    let url = url.split(['?', '#']).next().unwrap_or_default();
    if url.is_empty() {
        return None;
    }
    if let Some((_, rest)) = url.split_once("://") {
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        return from_request(Some(host), path);
    }
    if url.starts_with('/') {
        return from_request(None, url);
    }
    match url.split_once('/') {
        // `host:port/<account>/<name>`, a URL without its scheme.
        Some((host, path)) => from_request(Some(host), path),
        None => Some(Address {
            region: None,
            account: None,
            name: url.to_string(),
        }),
    }
}

/// The queue a request path names (`/<account>/<name>` or `/queue/<region>/<account>/<name>`,
/// a trailing slash allowed), with the region of a `sqs.<region>.` host when the path has
/// none. `None` for any other path (`/` included).
#[must_use]
pub fn from_request(host: Option<&str>, path: &str) -> Option<Address> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (region, account, name) = match segments.as_slice() {
        [account, name] => (host.and_then(region_of_host), *account, *name),
        [prefix, region, account, name] if *prefix == REGION_PREFIX && is_region(region) => {
            (Some((*region).to_string()), *account, *name)
        }
        _ => return None,
    };
    Some(Address {
        region,
        account: Some(account.to_string()),
        name: name.to_string(),
    })
}

/// The region in an SQS host name: `sqs.<region>.…` (what earlier releases issued, and AWS
/// today) or `<region>.queue.…` (AWS's legacy form).
fn region_of_host(host: &str) -> Option<String> {
    let host = host
        .rsplit_once('@')
        .map_or(host, |(_, h)| h)
        .to_ascii_lowercase();
    let mut labels = host.split('.');
    let first = labels.next()?;
    let second = labels.next()?;
    let region = match (first, second) {
        ("sqs", region) => region,
        (region, "queue") => region,
        _ => return None,
    };
    (is_region(region) && region.contains('-')).then(|| region.to_string())
}

/// A region id's characters: lower-case letters, digits and dashes.
fn is_region(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(region: Option<&str>, account: Option<&str>, name: &str) -> Address {
        Address {
            region: region.map(str::to_string),
            account: account.map(str::to_string),
            name: name.to_string(),
        }
    }

    #[test]
    fn urls_carry_the_region_unless_it_is_the_home_region() {
        assert_eq!(
            build("localhost:9324", "us-east-1", "000000000000", "q"),
            "http://localhost:9324/000000000000/q"
        );
        assert_eq!(
            build("queue:9324", "eu-west-1", "000000000000", "q.fifo"),
            "http://queue:9324/queue/eu-west-1/000000000000/q.fifo"
        );
    }

    #[test]
    fn built_urls_read_back() {
        for region in ["us-east-1", "ap-southeast-2"] {
            let url = build("[::1]:4566", region, "000000000000", "orders");
            let read = parse(&url).unwrap();
            assert_eq!(read.account.as_deref(), Some("000000000000"));
            assert_eq!(read.name, "orders");
            let expected = (region != DEFAULT_REGION).then_some(region);
            assert_eq!(read.region.as_deref(), expected, "{url}");
        }
    }

    #[test]
    fn every_shape_issued_before_still_reads() {
        assert_eq!(
            parse("http://sqs.eu-west-2.localhost:9324/000000000000/q"),
            Some(address(Some("eu-west-2"), Some("000000000000"), "q"))
        );
        assert_eq!(
            parse("https://sqs.ap-southeast-2.amazonaws.com/123456789012/q/"),
            Some(address(Some("ap-southeast-2"), Some("123456789012"), "q"))
        );
        assert_eq!(
            parse("https://us-west-2.queue.amazonaws.com/123456789012/q"),
            Some(address(Some("us-west-2"), Some("123456789012"), "q"))
        );
        assert_eq!(
            parse("http://127.0.0.1:9/000000000000/q"),
            Some(address(None, Some("000000000000"), "q"))
        );
        assert_eq!(
            parse("localhost:9324/000000000000/q"),
            Some(address(None, Some("000000000000"), "q"))
        );
        assert_eq!(
            parse("/000000000000/q?Action=SendMessage"),
            Some(address(None, Some("000000000000"), "q"))
        );
    }

    #[test]
    fn a_bare_name_is_a_name() {
        assert_eq!(parse(" orders "), Some(address(None, None, "orders")));
        assert_eq!(parse(""), None);
    }

    #[test]
    fn other_paths_name_no_queue() {
        for url in [
            "http://localhost:9324",
            "http://localhost:9324/",
            "http://localhost:9324/000000000000",
            "http://localhost:9324/a/b/c",
            "http://localhost:9324/queue/EU/000000000000/q",
            "http://localhost:9324/notqueue/eu-west-1/000000000000/q",
        ] {
            assert_eq!(parse(url), None, "{url}");
        }
        assert_eq!(from_request(Some("localhost"), "/"), None);
    }

    #[test]
    fn request_paths_take_the_region_from_the_path_or_an_sqs_host() {
        assert_eq!(
            from_request(Some("localhost:9324"), "/queue/eu-north-1/000000000000/q"),
            Some(address(Some("eu-north-1"), Some("000000000000"), "q"))
        );
        assert_eq!(
            from_request(Some("sqs.us-west-1.localhost:9324"), "/000000000000/q"),
            Some(address(Some("us-west-1"), Some("000000000000"), "q"))
        );
        // A host that only looks like one keeps the request's region.
        assert_eq!(
            from_request(Some("sqs.localhost:9324"), "/000000000000/q"),
            Some(address(None, Some("000000000000"), "q"))
        );
        assert_eq!(
            from_request(Some("queue:9324"), "/000000000000/q"),
            Some(address(None, Some("000000000000"), "q"))
        );
    }

    #[test]
    fn hosts_that_would_change_the_url_are_not_used() {
        assert!(is_usable_host("localhost:9324"));
        assert!(is_usable_host("sqs_service:9324"));
        assert!(is_usable_host("[::1]:9324"));
        assert!(!is_usable_host(""));
        assert!(!is_usable_host("evil/path"));
        assert!(!is_usable_host("a b"));
        assert!(!is_usable_host("user@host"));
    }
}
