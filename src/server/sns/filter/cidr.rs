//! IP addresses and `cidr` ranges, read the way AWS's rule compiler reads them.
//!
//! AWS turns `"a.b.c.d/n"` into the byte range from the address *as written* up to that
//! address with its host bits set; it does not clear the host bits first, so
//! `10.0.0.5/24` covers `10.0.0.5`..=`10.0.0.255`. String match values that are IP
//! literals become one-address ranges, so `"::1"` also matches `"0:0::1"`.

use std::net::Ipv6Addr;

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
pub(super) type IpBytes = Vec<u8>;

/// An inclusive range of addresses of one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CidrRange {
    bottom: IpBytes,
    top: IpBytes,
}

impl CidrRange {
    /// Whether `value` is an IP literal inside the range.
    pub(super) fn contains(&self, value: &str) -> bool {
        parse_ip(value)
            .is_some_and(|ip| ip.len() == self.bottom.len() && self.bottom <= ip && ip <= self.top)
    }
}

/// Compiles a `cidr` operand, with AWS's messages for each fault.
pub(super) fn compile_cidr(text: &str) -> Result<CidrRange, String> {
    let parts = java_split_slash(text);
    let [address, mask] = parts.as_slice() else {
        return Err("Malformed CIDR, one '/' required".to_owned());
    };
    let bits = parse_java_int(mask)
        .ok_or_else(|| "Malformed CIDR, mask bits must be an integer".to_owned())?;
    if bits < 0 {
        return Err("Malformed CIDR, mask bits must not be negative".to_owned());
    }
    let ip = address_bytes(address)?;
    // AWS's own bounds: a full-length mask is refused (an exact match does that job).
    if ip.len() == 4 && bits > 31 {
        return Err("IPv4 mask bits must be < 32".to_owned());
    }
    if ip.len() == 16 && bits > 127 {
        return Err("IPv6 mask bits must be < 128".to_owned());
    }
    let host_bits = u32::try_from(ip.len() * 8).unwrap_or(u32::MAX) - bits.unsigned_abs();
    let top = set_host_bits(&ip, host_bits);
    Ok(CidrRange { bottom: ip, top })
}

/// Reads an address operand: not shaped like an IP is "Nonstandard", shaped like one but
/// unreadable is "Invalid".
fn address_bytes(address: &str) -> Result<IpBytes, String> {
    if !looks_like_ipv4(address) && !looks_like_ipv6(address) {
        return Err(format!("Nonstandard IP address: {address}"));
    }
    parse_ip(address).ok_or_else(|| format!("Invalid IP address: {address}"))
}

/// Parses an IPv4 dotted quad (octets read as decimal, leading zeros allowed, as Java
/// does) or an IPv6 literal.
pub(super) fn parse_ip(text: &str) -> Option<IpBytes> {
    if looks_like_ipv4(text) {
        return text
            .split('.')
            .map(|octet| octet.parse::<u8>().ok())
            .collect::<Option<Vec<u8>>>();
    }
    if looks_like_ipv6(text) {
        return text.parse::<Ipv6Addr>().ok().map(|ip| ip.octets().to_vec());
    }
    None
}

fn looks_like_ipv4(text: &str) -> bool {
    let octets: Vec<&str> = text.split('.').collect();
    octets.len() == 4
        && octets.iter().all(|octet| {
            (1..=3).contains(&octet.len()) && octet.bytes().all(|b| b.is_ascii_digit())
        })
}

fn looks_like_ipv6(text: &str) -> bool {
    text.contains(':')
        && text
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
}

/// Java's `String.split("/")`: trailing empty fields are dropped.
fn java_split_slash(text: &str) -> Vec<&str> {
    let mut parts: Vec<&str> = text.split('/').collect();
    while parts.len() > 1 && parts.last().is_some_and(|part| part.is_empty()) {
        parts.pop();
    }
    if parts.len() == 1 && parts[0].is_empty() && text.contains('/') {
        parts.clear();
    }
    parts
}

/// Java's `Integer.parseInt`: an optional sign, then ASCII digits, within `i32`.
fn parse_java_int(text: &str) -> Option<i32> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i32>().ok()
}

/// `ip` with its lowest `host_bits` bits set.
fn set_host_bits(ip: &[u8], host_bits: u32) -> IpBytes {
    let mut remaining = host_bits;
    let mut top = ip.to_vec();
    for byte in top.iter_mut().rev() {
        if remaining >= 8 {
            *byte = 0xff;
            remaining -= 8;
        } else {
            *byte |= u8::try_from((1u32 << remaining) - 1).unwrap_or(u8::MAX);
            remaining = 0;
        }
    }
    top
}
