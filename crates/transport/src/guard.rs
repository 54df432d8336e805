//! Where URLs that did not come from the user's configuration may lead.
//!
//! Signed upload and download links come from a server, and a MotionDynamic
//! picture URL may come from a web form. Fetched blindly, either can reach
//! the cloud metadata service (`169.254.169.254`) or a service on the
//! user's network. The guard checks the addresses a host name resolves to,
//! not only the URL's text, so DNS cannot route around it, and it checks
//! every redirect.
//!
//! - Link-local, unspecified, multicast and broadcast addresses are never
//!   reached through a server-supplied URL.
//! - Loopback and private addresses (and link-local ones for user-supplied
//!   URLs) are reached only when the API base URL itself points at such an
//!   address (a sandbox on the same machine or network), or when the
//!   caller opts in with
//!   [`TransportBuilder::allow_local_addresses`](crate::TransportBuilder::allow_local_addresses).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use url::{Host, Url};

use crate::redact::redact_parsed;

/// Most redirects a guarded request follows.
pub(crate) const MAX_REDIRECTS: usize = 5;

/// Who chose a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A server answer (signed storage links and their redirects).
    Server,
    /// A user of the library's caller (picture URLs).
    User,
}

/// The kind of network an address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    Public,
    /// Loopback, private (RFC 1918), shared (RFC 6598), unique-local IPv6.
    Local,
    /// 169.254.0.0/16 and fe80::/10: metadata services live here.
    LinkLocal,
    /// Unspecified, multicast, broadcast: never a real peer.
    Never,
}

fn reach(ip: IpAddr) -> Reach {
    match ip {
        IpAddr::V4(v4) => reach_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return reach_v4(v4);
            }
            if v6.is_unspecified() || v6.is_multicast() {
                Reach::Never
            } else if v6.is_unicast_link_local() {
                Reach::LinkLocal
            } else if v6.is_loopback() || v6.is_unique_local() {
                Reach::Local
            } else {
                Reach::Public
            }
        }
    }
}

fn reach_v4(ip: Ipv4Addr) -> Reach {
    let [a, b, ..] = ip.octets();
    if ip.is_unspecified() || ip.is_multicast() || ip.is_broadcast() {
        Reach::Never
    } else if ip.is_link_local() {
        Reach::LinkLocal
    } else if ip.is_loopback() || ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Reach::Local
    } else {
        Reach::Public
    }
}

/// The rule for one transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AddressPolicy {
    /// The API base URL points at a loopback or private address.
    pub(crate) local_base: bool,
    /// The caller allowed every address.
    pub(crate) allow_local: bool,
}

impl AddressPolicy {
    pub(crate) fn for_base(base: &Url, allow_local: bool) -> Self {
        let local_base = match base.host() {
            Some(Host::Ipv4(ip)) => reach(IpAddr::V4(ip)) != Reach::Public,
            Some(Host::Ipv6(ip)) => reach(IpAddr::V6(ip)) != Reach::Public,
            Some(Host::Domain(name)) => is_localhost(name),
            None => false,
        };
        AddressPolicy {
            local_base,
            allow_local,
        }
    }

    pub(crate) fn permits(&self, ip: IpAddr, origin: Origin) -> bool {
        match (reach(ip), origin) {
            (Reach::Public, _) => true,
            (Reach::Never, _) => false,
            _ if self.allow_local => true,
            (Reach::Local, _) | (Reach::LinkLocal, Origin::User) => self.local_base,
            (Reach::LinkLocal, Origin::Server) => false,
        }
    }

    /// Checks a URL before it is requested: its scheme, and its host when
    /// that is an address or `localhost` (names are checked when resolved).
    pub(crate) fn check_url(&self, url: &Url, origin: Origin) -> Result<(), Blocked> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Blocked(format!(
                "{} is not an http(s) URL",
                redact_parsed(url)
            )));
        }
        let ip = match url.host() {
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(Host::Domain(name)) if is_localhost(name) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(Host::Domain(_)) => return Ok(()),
            None => return Err(Blocked(format!("{} has no host", redact_parsed(url)))),
        };
        if self.permits(ip, origin) {
            Ok(())
        } else {
            Err(self.blocked(&redact_parsed(url), ip, origin))
        }
    }

    fn blocked(&self, what: &str, ip: IpAddr, origin: Origin) -> Blocked {
        let who = match origin {
            Origin::Server => "a URL given by the server",
            Origin::User => "a URL given by a user",
        };
        Blocked(format!(
            "{what} leads to {ip}, a {} address, which {who} may not reach; \
             TransportBuilder::allow_local_addresses(true) allows it",
            match reach(ip) {
                Reach::LinkLocal => "link-local",
                Reach::Never => "non-unicast",
                _ => "loopback or private",
            }
        ))
    }
}

fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// A refused address or URL. Reported as [`Error::Refused`](crate::Error::Refused).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Blocked(pub(crate) String);

/// Finds a [`Blocked`] in an error's source chain.
pub(crate) fn find_blocked<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a Blocked> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(blocked) = error.downcast_ref::<Blocked>() {
            return Some(blocked);
        }
        current = error.source();
    }
    None
}

/// A DNS resolver that drops the addresses `policy` refuses, and fails when
/// none is left.
#[derive(Debug)]
pub(crate) struct GuardedResolver {
    pub(crate) policy: AddressPolicy,
    pub(crate) origin: Origin,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (policy, origin) = (self.policy, self.origin);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|addr| policy.permits(addr.ip(), origin))
                .collect();
            match (allowed.is_empty(), found.first()) {
                (false, _) => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
                (true, Some(first)) => {
                    Err(Box::new(policy.blocked(&host, first.ip(), origin)) as _)
                }
                (true, None) => Err(format!("{host} resolved to no address").into()),
            }
        })
    }
}

/// Follows at most [`MAX_REDIRECTS`] redirects, to http(s) URLs the policy
/// permits only.
pub(crate) fn redirect_policy(policy: AddressPolicy, origin: Origin) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > MAX_REDIRECTS {
            return attempt.error(Blocked(format!("more than {MAX_REDIRECTS} redirects")));
        }
        match policy.check_url(attempt.url(), origin) {
            Ok(()) => attempt.follow(),
            Err(blocked) => attempt.error(blocked),
        }
    })
}

/// The resolver as reqwest wants it.
pub(crate) fn resolver(policy: AddressPolicy, origin: Origin) -> Arc<GuardedResolver> {
    Arc::new(GuardedResolver { policy, origin })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn addresses_by_origin_and_base() {
        let public_base =
            AddressPolicy::for_base(&Url::parse("https://api.example.com").unwrap(), false);
        let local_base =
            AddressPolicy::for_base(&Url::parse("http://127.0.0.1:8080").unwrap(), false);
        let opted_in =
            AddressPolicy::for_base(&Url::parse("https://api.example.com").unwrap(), true);
        assert!(!public_base.local_base);
        assert!(local_base.local_base);
        assert!(
            AddressPolicy::for_base(&Url::parse("http://localhost:1").unwrap(), false).local_base
        );
        assert!(AddressPolicy::for_base(&Url::parse("http://[::1]:1").unwrap(), false).local_base);
        assert!(AddressPolicy::for_base(&Url::parse("http://10.0.0.5").unwrap(), false).local_base);

        for origin in [Origin::Server, Origin::User] {
            for public in ["8.8.8.8", "2001:4860:4860::8888", "100.128.0.1"] {
                assert!(public_base.permits(ip(public), origin), "{public}");
            }
            for local in [
                "127.0.0.1",
                "10.1.2.3",
                "192.168.1.1",
                "172.16.0.1",
                "100.64.0.1",
                "::1",
                "fd00::1",
                "::ffff:127.0.0.1",
            ] {
                assert!(!public_base.permits(ip(local), origin), "{local}");
                assert!(local_base.permits(ip(local), origin), "{local}");
                assert!(opted_in.permits(ip(local), origin), "{local}");
            }
            for never in ["0.0.0.0", "224.0.0.1", "255.255.255.255", "::", "ff02::1"] {
                assert!(!public_base.permits(ip(never), origin), "{never}");
                assert!(!local_base.permits(ip(never), origin), "{never}");
                assert!(!opted_in.permits(ip(never), origin), "{never}");
            }
        }
        for metadata in ["169.254.169.254", "fe80::1", "::ffff:169.254.169.254"] {
            assert!(!public_base.permits(ip(metadata), Origin::Server));
            assert!(
                !local_base.permits(ip(metadata), Origin::Server),
                "{metadata}"
            );
            assert!(!public_base.permits(ip(metadata), Origin::User));
            assert!(local_base.permits(ip(metadata), Origin::User));
            assert!(opted_in.permits(ip(metadata), Origin::Server));
        }
    }

    #[tokio::test]
    async fn the_resolver_checks_the_addresses_a_name_resolves_to() {
        use reqwest::dns::Resolve as _;
        let name = |n: &str| n.parse::<reqwest::dns::Name>().unwrap();
        let public =
            AddressPolicy::for_base(&Url::parse("https://api.example.com").unwrap(), false);
        let local = AddressPolicy::for_base(&Url::parse("http://127.0.0.1:1").unwrap(), false);
        // `localhost` is resolved by the system here, not matched as text.
        let refused = resolver(public, Origin::User)
            .resolve(name("localhost"))
            .await
            .err()
            .expect("a loopback answer is refused");
        let blocked = find_blocked(refused.as_ref()).expect("the refusal is a Blocked");
        assert!(blocked.0.contains("loopback or private"), "{blocked}");
        let addresses: Vec<_> = resolver(local, Origin::User)
            .resolve(name("localhost"))
            .await
            .unwrap()
            .collect();
        assert!(!addresses.is_empty());
        assert!(addresses.iter().all(|a| a.ip().is_loopback()));
    }

    #[test]
    fn urls_are_checked_by_scheme_and_literal_host() {
        let policy =
            AddressPolicy::for_base(&Url::parse("https://api.example.com").unwrap(), false);
        let check = |url: &str| policy.check_url(&Url::parse(url).unwrap(), Origin::Server);
        assert!(check("https://storage.example.com/a?sig=x").is_ok());
        let blocked = check("http://169.254.169.254/latest/meta-data?token=secret").unwrap_err();
        assert!(blocked.0.contains("link-local"), "{blocked}");
        assert!(!blocked.0.contains("secret"), "{blocked}");
        assert!(check("http://localhost:9/x").is_err());
        assert!(check("http://[::1]:9/x").is_err());
        assert!(
            check("file:///etc/passwd")
                .unwrap_err()
                .0
                .contains("http(s)")
        );
        assert!(check("ftp://example.com/x").is_err());
    }
}
