//! [`Proxy`]: where requests go out. Direct by default: a proxy named in
//! the environment (`HTTPS_PROXY`, ...) is used only when asked for
//! ([`Proxy::System`]), so that a variable set for other tools never sends
//! API credentials through a machine the caller did not choose.
//!
//! Through a proxy, the proxy resolves host names, so the address guard
//! (see `guard.rs`) can no longer check the addresses a name leads to. It
//! still checks every URL's scheme, every host written as an address or
//! `localhost`, and every redirect; the proxy's own egress rules must do
//! the rest.

use std::fmt;

use crate::error::Error;
use crate::redact::redact_url;
use crate::secret::Secret;

/// Where a transport's requests go out.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Proxy {
    /// Straight to the servers (the default), whatever the environment
    /// says.
    #[default]
    Direct,
    /// Through the proxy the environment names, as curl reads it:
    /// `HTTPS_PROXY`/`https_proxy`, `HTTP_PROXY`/`http_proxy`, `ALL_PROXY`,
    /// with `NO_PROXY` exceptions.
    System,
    /// Through the HTTP(S) proxy at this URL (`http://host:port`,
    /// `https://host:port`), for every request. Credentials in it
    /// (`http://user:password@host:port`) are kept secret.
    Url(Secret),
}

impl Proxy {
    /// Through the proxy at `url`.
    pub fn url(url: impl Into<String>) -> Self {
        Proxy::Url(Secret::new(url))
    }

    /// A proxy as people write it in a flag or a setting: `system` (any
    /// case) for [`Proxy::System`], empty or `direct` for
    /// [`Proxy::Direct`], anything else a proxy URL (checked when the
    /// client is built).
    pub fn parse(value: &str) -> Self {
        let value = value.trim();
        if value.is_empty() || value.eq_ignore_ascii_case("direct") {
            Proxy::Direct
        } else if value.eq_ignore_ascii_case("system") {
            Proxy::System
        } else {
            Proxy::url(value)
        }
    }

    /// Applies the choice to a reqwest client builder.
    pub(crate) fn apply(
        &self,
        builder: reqwest::ClientBuilder,
    ) -> Result<reqwest::ClientBuilder, Error> {
        match self {
            Proxy::Direct => Ok(builder.no_proxy()),
            Proxy::System => Ok(builder),
            Proxy::Url(url) => {
                let shown = redact_url(url.expose());
                let parsed = url::Url::parse(url.expose())
                    .map_err(|e| Error::config(format!("proxy {shown} is not a URL: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                    return Err(Error::config(format!(
                        "proxy {shown} must be http(s)://host:port"
                    )));
                }
                let proxy = reqwest::Proxy::all(url.expose())
                    .map_err(|e| Error::config(format!("proxy {shown}: {}", e.without_url())))?;
                Ok(builder.proxy(proxy))
            }
        }
    }
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Proxy::Direct => f.write_str("Direct"),
            Proxy::System => f.write_str("System"),
            Proxy::Url(url) => write!(f, "Url({})", redact_url(url.expose())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_proxys_password_and_bad_urls_are_refused() {
        let proxy = Proxy::url("http://me:hunter2@proxy.example:3128");
        let shown = format!("{proxy:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("proxy.example"), "{shown}");
        for bad in ["proxy.example:3128", "ftp://proxy.example", "http://"] {
            let error = Proxy::url(bad)
                .apply(reqwest::Client::builder())
                .unwrap_err();
            assert!(error.to_string().contains("proxy"), "{bad}: {error}");
        }
        assert!(Proxy::Direct.apply(reqwest::Client::builder()).is_ok());
        assert!(matches!(Proxy::parse(" System "), Proxy::System));
        assert!(matches!(Proxy::parse(""), Proxy::Direct));
        assert!(matches!(Proxy::parse("direct"), Proxy::Direct));
        assert!(matches!(Proxy::parse("http://p:3128"), Proxy::Url(_)));
    }
}
