//! The client's address: the TCP peer, or — only when the peer is a configured trusted proxy — the
//! nearest address in `X-Forwarded-For` that is not itself a trusted proxy.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// An address or CIDR range of trusted reverse proxies (`10.0.0.1`, `10.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet {
    addr: IpAddr,
    prefix: u8,
}

impl ProxyNet {
    pub fn parse(s: &str) -> Result<ProxyNet, String> {
        let (a, p) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = a.parse().map_err(|_| "is not an IP address or CIDR range".to_string())?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.parse::<u8>().ok().filter(|n| *n <= max).ok_or(format!("prefix must be 0–{max}"))?,
            None => max,
        };
        Ok(ProxyNet { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (canonical(self.addr), ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                masked(u32::from(n) as u128, 32, self.prefix) == masked(u32::from(a) as u128, 32, self.prefix)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                masked(u128::from(n), 128, self.prefix) == masked(u128::from(a), 128, self.prefix)
            }
            _ => false,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn masked(v: u128, bits: u32, prefix: u8) -> u128 {
    let prefix = u32::from(prefix).min(bits);
    if prefix == 0 {
        0
    } else {
        v >> (bits - prefix)
    }
}

/// The trusted proxies of the configuration (validated at start-up; entries that do not parse are skipped).
pub fn trusted(list: &[String]) -> Vec<ProxyNet> {
    list.iter().filter_map(|s| ProxyNet::parse(s).ok()).collect()
}

/// The address a request came from.
pub fn client_ip(peer: SocketAddr, headers: &HeaderMap, trusted: &[ProxyNet]) -> IpAddr {
    let peer_ip = canonical(peer.ip());
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer_ip) {
        return peer_ip;
    }
    let hops: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|h| h.trim().parse::<IpAddr>().map(canonical))
        .collect::<Result<_, _>>()
        .unwrap_or_default();
    // Walk back from the nearest hop: the first address that is not one of our proxies is the client.
    for ip in hops.iter().rev() {
        if !is_trusted(*ip) {
            return *ip;
        }
    }
    hops.first().copied().unwrap_or(peer_ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(xff: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert("x-forwarded-for", xff.parse().unwrap());
        m
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let proxies = trusted(&["10.0.0.0/8".into(), "127.0.0.1".into()]);
        let peer: SocketAddr = "10.1.2.3:5000".parse().unwrap();
        assert_eq!(client_ip(peer, &h("203.0.113.9"), &proxies).to_string(), "203.0.113.9");
        // A client's own forged entry stays to the left of the address the proxy saw.
        assert_eq!(client_ip(peer, &h("1.2.3.4, 203.0.113.9, 10.0.0.7"), &proxies).to_string(), "203.0.113.9");
        assert_eq!(client_ip(peer, &HeaderMap::new(), &proxies).to_string(), "10.1.2.3");
        assert_eq!(client_ip(peer, &h("not an ip"), &proxies).to_string(), "10.1.2.3");
        let outsider: SocketAddr = "198.51.100.1:5000".parse().unwrap();
        assert_eq!(client_ip(outsider, &h("203.0.113.9"), &proxies).to_string(), "198.51.100.1");
        assert_eq!(client_ip(outsider, &h("203.0.113.9"), &[]).to_string(), "198.51.100.1");
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:80".parse().unwrap();
        assert_eq!(client_ip(mapped, &h("203.0.113.9"), &proxies).to_string(), "203.0.113.9");
    }

    #[test]
    fn ranges_parse_and_match() {
        assert!(ProxyNet::parse("10.0.0.0/33").is_err());
        assert!(ProxyNet::parse("proxy.local").is_err());
        let n = ProxyNet::parse("fd00::/8").unwrap();
        assert!(n.contains("fd12::1".parse().unwrap()));
        assert!(!n.contains("fe80::1".parse().unwrap()));
        assert!(ProxyNet::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
    }
}
