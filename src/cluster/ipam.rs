//! Per-node pod IP allocation, like the host-local IPAM plugin most CNIs delegate to:
//! addresses are handed out sequentially after the last one allocated, wrapping around, so a
//! released address is reused only after the range has been walked through (not immediately).
//! The network address, the gateway (`.1`) and — for IPv4 — the broadcast address are never
//! used. Dual-stack pods get the same host offset in each family's node CIDR.
//!
//! cite: containernetworking/plugins :: plugins/ipam/host-local/backend/allocator/allocator.go ::
//! Get, GetIter (iteration starts after lastReservedIP); range.go :: Canonicalize (gateway = .1)

use crate::scenario::Cidr;
use std::net::IpAddr;

/// Allocator for one node.
#[derive(Debug, Clone)]
pub struct NodeIpam {
    cidrs: Vec<Cidr>,
    /// First and last usable host offsets (inclusive).
    first: u32,
    last: u32,
    used: Vec<u64>,
    /// Offset of the last address handed out.
    cursor: u32,
    in_use: u32,
}

impl NodeIpam {
    /// `cidrs`: the node's pod CIDRs, one per cluster family. Usable range is limited to 2^20
    /// offsets (plenty for any kubelet `maxPods`).
    pub fn new(cidrs: &[Cidr]) -> Self {
        let mut last: u128 = 1 << 20;
        for c in cidrs {
            let size = c.size();
            let top = match c.addr {
                IpAddr::V4(_) => size.saturating_sub(2), // minus broadcast
                IpAddr::V6(_) => size.saturating_sub(1),
            };
            last = last.min(top);
        }
        let last = u32::try_from(last).unwrap_or(u32::MAX);
        let words = (last as usize) / 64 + 1;
        NodeIpam {
            cidrs: cidrs.to_vec(),
            first: 2,
            last,
            used: vec![0; words],
            cursor: 1,
            in_use: 0,
        }
    }

    /// Number of usable addresses per family.
    pub fn capacity(&self) -> u32 {
        if self.last < self.first {
            0
        } else {
            self.last - self.first + 1
        }
    }

    pub fn in_use(&self) -> u32 {
        self.in_use
    }

    fn is_used(&self, o: u32) -> bool {
        self.used[(o / 64) as usize] & (1 << (o % 64)) != 0
    }

    fn set(&mut self, o: u32, v: bool) {
        let w = &mut self.used[(o / 64) as usize];
        if v {
            *w |= 1 << (o % 64);
        } else {
            *w &= !(1 << (o % 64));
        }
    }

    /// Allocate the next free offset after the last one handed out; returns the offset and
    /// one address per family (cluster family order). `None` when the range is full.
    pub fn allocate(&mut self) -> Option<(u32, Vec<IpAddr>)> {
        let cap = self.capacity();
        if cap == 0 || self.in_use >= cap {
            return None;
        }
        let mut o = self.cursor;
        for _ in 0..cap {
            o = if o >= self.last || o < self.first {
                self.first
            } else {
                o + 1
            };
            if !self.is_used(o) {
                self.set(o, true);
                self.in_use += 1;
                self.cursor = o;
                let ips = self
                    .cidrs
                    .iter()
                    .filter_map(|c| c.nth(u128::from(o)))
                    .collect();
                return Some((o, ips));
            }
        }
        None
    }

    /// Release an offset returned by [`allocate`](Self::allocate).
    pub fn release(&mut self, offset: u32) {
        if offset >= self.first && offset <= self.last && self.is_used(offset) {
            self.set(offset, false);
            self.in_use -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(a: [u8; 4], p: u8) -> Cidr {
        Cidr {
            addr: IpAddr::V4(Ipv4Addr::from(a)),
            prefix_len: p,
        }
    }

    /// host-local: sequential after the last reserved address, skipping network/gateway/broadcast,
    /// released addresses reused only after wrap-around.
    #[test]
    fn sequential_with_wraparound_reuse() {
        let mut ipam = NodeIpam::new(&[v4([10, 0, 0, 0], 29)]); // .2 ..= .6 usable
        assert_eq!(ipam.capacity(), 5);
        let a: Vec<_> = (0..3).map(|_| ipam.allocate().unwrap()).collect();
        assert_eq!(a[0].1, vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))]);
        assert_eq!(a[2].1, vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 4))]);
        ipam.release(a[0].0);
        // next is .5 (not the just-released .2)
        assert_eq!(
            ipam.allocate().unwrap().1,
            vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5))]
        );
        assert_eq!(
            ipam.allocate().unwrap().1,
            vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 6))]
        );
        // wrap: .2 is free again
        assert_eq!(
            ipam.allocate().unwrap().1,
            vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))]
        );
        assert!(ipam.allocate().is_none(), "full");
    }

    #[test]
    fn dual_stack_same_offset() {
        let v6 = Cidr {
            addr: IpAddr::V6("fd00:10:244:1::".parse::<Ipv6Addr>().unwrap()),
            prefix_len: 64,
        };
        let mut ipam = NodeIpam::new(&[v4([10, 244, 1, 0], 24), v6]);
        assert_eq!(ipam.capacity(), 253);
        let (_, ips) = ipam.allocate().unwrap();
        assert_eq!(ips[0].to_string(), "10.244.1.2");
        assert_eq!(ips[1].to_string(), "fd00:10:244:1::2");
    }
}
