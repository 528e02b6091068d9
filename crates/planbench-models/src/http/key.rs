//! The API key: where it may go and how it is attached.

use std::net::IpAddr;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::Url;

use super::transport::Failure;

/// Whether a key may be sent to `url` without an explicit opt-in: over `https`, or over plain
/// `http` to a loopback host (`localhost`, `127.0.0.0/8`, `::1`), where it never leaves the
/// machine. Unparsable URLs are refused (validation reports them separately).
pub(crate) fn may_carry_key(url: &str) -> bool {
    let Ok(url) = Url::parse(url) else {
        return false;
    };
    match url.scheme() {
        "https" => true,
        "http" => url.host_str().is_some_and(is_loopback),
        _ => false,
    }
}

/// Whether a URL host (as [`Url::host_str`] gives it: IPv6 in brackets) is a loopback host.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The `Authorization` header for the key in the environment variable `var`, marked sensitive
/// so that it is never printed.
pub(crate) fn bearer(var: &str) -> Result<HeaderMap, Failure> {
    let key = std::env::var(var)
        .map_err(|_| Failure::Local(format!("the API key variable {var} is not set")))?;
    let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
        .map_err(|_| Failure::Local(format!("the API key in {var} is not a valid header value")))?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, value);
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_go_over_https_or_to_loopback_only() {
        for ok in [
            "https://api.example.com/v1",
            "https://10.0.0.5:8443",
            "http://127.0.0.1:8080",
            "http://127.8.9.1",
            "http://localhost:1234/v1",
            "http://LOCALHOST",
            "http://[::1]:8080",
        ] {
            assert!(may_carry_key(ok), "{ok}");
        }
        for refused in [
            "http://api.example.com",
            "http://10.0.0.5:8080",
            "http://192.168.1.2",
            "http://localhost.example.com",
            "http://[::2]:8080",
            "http://0.0.0.0:8080",
            "ftp://127.0.0.1",
            "not a url",
        ] {
            assert!(!may_carry_key(refused), "{refused}");
        }
    }
}
