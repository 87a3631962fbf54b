//! Who a client is, as far as an address tells: the connection's address, or, behind a proxy the
//! operator trusts, the address that proxy saw.

use std::net::IpAddr;

use ipnet::IpNet;
use poem::Request;
use poem::http::HeaderMap;
use sha2::{Digest as _, Sha256};
use soiree_rooms::GuestSource;
use soiree_tiers::client_network;

/// Where a guest joins from, as the rooms crate keeps it: a digest of the client's network and
/// the room, so that the stored key says nothing readable about the address and means nothing
/// in another room.
pub(crate) fn guest_source(request: &Request, trusted: &[IpNet], room: &str) -> GuestSource {
    let network = client_address(request, trusted)
        .map_or_else(|| "unknown".to_owned(), |address| client_network(&address));
    let digest = Sha256::digest(format!("{room}\n{network}").as_bytes());
    GuestSource::new(&hex::encode(&digest[..16]))
}

/// A network or a single address, as written in `SOIREE_TRUSTED_PROXIES`.
pub(crate) fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is not an address or a network such as 10.0.0.0/8"))
}

/// The client's address: the connection's, unless it comes from a trusted proxy; then the last
/// address in `X-Forwarded-For` that is not a trusted proxy (a client can write anything at the
/// start of that header, but not what the proxies append).
pub(crate) fn client_address(request: &Request, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = request
        .remote_addr()
        .as_socket_addr()
        .map(|addr| addr.ip())?;
    Some(behind(peer, request.headers(), trusted))
}

/// The client behind `peer`, given the request's headers.
fn behind(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let trusts = |address: &IpAddr| trusted.iter().any(|network| network.contains(address));
    if !trusts(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|address| !trusts(address))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let trusted = [
            parse_network("10.0.0.0/8").unwrap(),
            parse_network("192.0.2.1").unwrap(),
        ];
        let address = |peer: &str, forwarded: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(forwarded) = forwarded {
                headers.insert("x-forwarded-for", forwarded.parse().unwrap());
            }
            behind(peer.parse().unwrap(), &headers, &trusted)
        };
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        // Straight from the client: the header is the client's own words.
        assert_eq!(
            address("203.0.113.5", Some("198.51.100.1")),
            ip("203.0.113.5")
        );
        // Through the proxy: what the proxy saw, not what the client claimed before it.
        assert_eq!(
            address("10.1.2.3", Some("6.6.6.6, 203.0.113.5")),
            ip("203.0.113.5")
        );
        assert_eq!(
            address("10.1.2.3", Some("203.0.113.5, 192.0.2.1")),
            ip("203.0.113.5")
        );
        assert_eq!(address("10.1.2.3", None), ip("10.1.2.3"));
        assert!(parse_network("not an address").is_err());
    }
}
