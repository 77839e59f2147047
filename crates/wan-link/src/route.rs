//! Which link a packet leaves on: each link reaches one IPv4 network (a CIDR), and a packet
//! goes to the link whose network holds its destination (the longest prefix, if several do).

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// An IPv4 network, `a.b.c.d/len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: u32,
    len: u8,
}

impl Cidr {
    fn mask(len: u8) -> u32 {
        if len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(len))
        }
    }

    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & Self::mask(self.len) == self.network
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.len
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (ip, len) = s.split_once('/').ok_or_else(|| format!("{s:?} is not a.b.c.d/len"))?;
        let ip: Ipv4Addr = ip.parse().map_err(|_| format!("{ip:?} is not an IPv4 address"))?;
        let len: u8 = len.parse().map_err(|_| format!("{len:?} is not a prefix length"))?;
        if len > 32 {
            return Err(format!("prefix length {len} is over 32"));
        }
        let network = u32::from(ip) & Self::mask(len);
        if network != u32::from(ip) {
            return Err(format!("{s} has host bits set"));
        }
        Ok(Self { network, len })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.network), self.len)
    }
}

/// The destination of an IPv4 packet as a TUN device without packet information gives it;
/// `None` for anything else (IPv6, or too short).
pub fn ipv4_destination(packet: &[u8]) -> Option<Ipv4Addr> {
    if packet.len() < 20 || packet[0] >> 4 != 4 {
        return None;
    }
    Some(Ipv4Addr::new(packet[16], packet[17], packet[18], packet[19]))
}

/// The networks behind each link, by link index.
#[derive(Debug, Clone)]
pub struct Routes {
    networks: Vec<Cidr>,
}

impl Routes {
    /// `networks[i]` is reached through link `i`.
    pub fn new(networks: Vec<Cidr>) -> Self {
        Self { networks }
    }

    /// The link a packet to `destination` that came in on link `from` leaves on; `None` when no
    /// link's network holds it, or only the one it came from (never sent back).
    pub fn lookup(&self, destination: Ipv4Addr, from: usize) -> Option<usize> {
        self.networks
            .iter()
            .enumerate()
            .filter(|(_, net)| net.contains(destination))
            .max_by_key(|(_, net)| net.prefix_len())
            .map(|(i, _)| i)
            .filter(|&i| i != from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Cidr {
        s.parse().expect("valid cidr")
    }

    #[test]
    fn parses_and_prints_networks() {
        assert_eq!(cidr("10.7.1.0/24").to_string(), "10.7.1.0/24");
        assert_eq!(cidr("0.0.0.0/0").to_string(), "0.0.0.0/0");
        assert!("10.7.1.1/24".parse::<Cidr>().is_err(), "host bits");
        assert!("10.7.1.0/33".parse::<Cidr>().is_err());
        assert!("10.7.1.0".parse::<Cidr>().is_err());
        assert!("ten/8".parse::<Cidr>().is_err());
        assert!(cidr("10.7.1.0/24").contains(Ipv4Addr::new(10, 7, 1, 200)));
        assert!(!cidr("10.7.1.0/24").contains(Ipv4Addr::new(10, 7, 2, 1)));
        assert!(cidr("0.0.0.0/0").contains(Ipv4Addr::new(192, 0, 2, 1)));
    }

    #[test]
    fn routes_by_longest_prefix_and_never_back() {
        let routes =
            Routes::new(vec![cidr("10.7.0.0/16"), cidr("10.7.1.0/24"), cidr("10.7.2.0/24")]);
        assert_eq!(routes.lookup(Ipv4Addr::new(10, 7, 1, 1), 0), Some(1));
        assert_eq!(routes.lookup(Ipv4Addr::new(10, 7, 2, 1), 1), Some(2));
        assert_eq!(routes.lookup(Ipv4Addr::new(10, 7, 9, 1), 1), Some(0));
        assert_eq!(routes.lookup(Ipv4Addr::new(10, 7, 1, 1), 1), None, "back where it came from");
        assert_eq!(routes.lookup(Ipv4Addr::new(10, 8, 0, 1), 0), None, "nowhere");
    }

    #[test]
    fn reads_the_destination_of_ipv4_packets_only() {
        let mut packet = [0u8; 28];
        packet[0] = 0x45;
        packet[16..20].copy_from_slice(&[10, 7, 3, 1]);
        assert_eq!(ipv4_destination(&packet), Some(Ipv4Addr::new(10, 7, 3, 1)));
        packet[0] = 0x60;
        assert_eq!(ipv4_destination(&packet), None, "IPv6");
        assert_eq!(ipv4_destination(&[0x45; 19]), None, "too short");
    }
}
