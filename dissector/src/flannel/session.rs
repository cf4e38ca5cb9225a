//! A capture followed packet by packet: the topology its VXLAN packets show (outer address ↔ VTEP MAC ↔ pod
//! subnet), and the diagnoses that need more than one packet (a VTEP MAC that changed, a VNI or port that differs
//! from the rest of the capture).
//!
//! The note explaining why tcpdump prints UDP 8472 as OTV is kept on the first such packet of a capture only.
//!
//! Packets of one flow follow each other, so the session remembers the last pair of nodes and the last inner
//! addresses it looked up: a packet like the one before costs no hashing.

use rustc_hash::FxHashMap as HashMap;

use super::annotate::Tunnel;
use super::{PodSubnet, Topology};
use crate::dissection::{Dissection, Note};
use crate::notes::{NOTES, NoteCode};
use crate::value::{IpBytes, IpNet, Value};
use crate::{Dissector, LinkType};

/// What the packets show of one node (one outer address).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LearnedNode {
    pub ip: Option<IpBytes>,
    /// Inner source MACs of the packets it sent (its VTEP MAC; more than one means it changed), with counts.
    pub vtep_macs: Vec<([u8; 6], u64)>,
    /// Inner destination MACs its peers used for it, with counts.
    pub addressed_as: Vec<([u8; 6], u64)>,
    /// Pod subnets of the inner addresses it sent from or received for.
    pub subnets: Vec<IpNet>,
    pub vnis: Vec<u32>,
    pub ports: Vec<u16>,
    pub sent: u64,
    pub received: u64,
    /// The VNI of the first packet sent to it.
    first_vni: Option<u32>,
}

fn count<T: PartialEq>(list: &mut Vec<(T, u64)>, item: T) {
    match list.iter_mut().rev().find(|(x, _)| *x == item) {
        Some((_, n)) => *n += 1,
        None => list.push((item, 1)),
    }
}

/// Whether two outer addresses are of one family: a dual-stack node sends from an IPv4 and an IPv6 address,
/// which are not two nodes.
fn same_family(a: &IpBytes, b: &IpBytes) -> bool {
    matches!(
        (a, b),
        (IpBytes::V4(_), IpBytes::V4(_)) | (IpBytes::V6(_), IpBytes::V6(_))
    )
}

fn add<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// A pair of outer addresses: its row in `Session::pairs` and its two nodes' rows in `Session::nodes`.
#[derive(Debug, Clone, Copy)]
struct PairRows {
    pair: usize,
    src_node: usize,
    dst_node: usize,
}

/// The last pair of outer addresses looked up.
#[derive(Debug, Clone, Copy)]
struct Recent {
    src: IpBytes,
    dst: IpBytes,
    rows: PairRows,
}

/// What decoding a frame gathered for a session to learn ([`Session::decode`]).
#[derive(Debug, Default)]
pub struct Gathered {
    tunnels: Vec<Tunnel>,
}

/// Follows one capture.
#[derive(Debug, Default)]
pub struct Session {
    nodes: Vec<LearnedNode>,
    node_index: HashMap<IpBytes, usize>,
    pairs: Vec<((IpBytes, IpBytes), u64)>,
    /// Each pair's rows: a packet of a known pair needs one lookup, not one for each address and the pair.
    pair_index: HashMap<(IpBytes, IpBytes), PairRows>,
    recent: Option<Recent>,
    first_port: Option<u16>,
    /// Which outer address first sent from each pod subnet, and first used each VTEP MAC.
    subnet_sender: HashMap<IpNet, IpBytes>,
    mac_sender: HashMap<[u8; 6], IpBytes>,
    conflicts: Vec<String>,
    /// Notes raised, by row of the note registry.
    notes: Vec<u64>,
    frames: u64,
    vxlan_frames: u64,
    /// The VXLAN packets of the frame being learnt from (kept to reuse its memory).
    tunnels: Vec<Tunnel>,
    /// Whether a packet on UDP 8472 already carried the note explaining tcpdump's OTV reading.
    explained_8472: bool,
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// Dissects one frame and learns from it: [`Dissector::dissect`] plus [`observe`](Self::observe), without
    /// looking the packet's facts up twice.
    pub fn dissect<'d>(
        &mut self,
        dissector: &'d Dissector,
        link_type: LinkType,
        frame: &[u8],
        wire_len: u32,
        out: &mut Dissection<'d>,
    ) {
        let mut tunnels = std::mem::take(&mut self.tunnels);
        tunnels.clear();
        dissector.decode(link_type, frame, wire_len, out, Some(&mut tunnels));
        self.learn_tunnels(dissector.topology(), out, &tunnels);
        self.tunnels = tunnels;
    }

    /// [`dissect`](Self::dissect) in two steps, for frames decoded on several threads: `decode` needs no
    /// session (what the session will learn is kept in `gathered`), and [`learn`](Self::learn) must then
    /// follow for every frame in frame order. The two give exactly what `dissect` gives.
    pub fn decode<'d>(
        dissector: &'d Dissector,
        link_type: LinkType,
        frame: &[u8],
        wire_len: u32,
        out: &mut Dissection<'d>,
        gathered: &mut Gathered,
    ) {
        gathered.tunnels.clear();
        dissector.decode(link_type, frame, wire_len, out, Some(&mut gathered.tunnels));
    }

    /// Learns from a frame decoded by [`decode`](Self::decode), adding to its dissection the notes that
    /// compare it with earlier frames.
    pub fn learn<'d>(&mut self, topo: &'d Topology, d: &mut Dissection<'d>, gathered: &Gathered) {
        self.learn_tunnels(topo, d, &gathered.tunnels);
    }

    fn learn_tunnels<'d>(
        &mut self,
        topo: &'d Topology,
        d: &mut Dissection<'d>,
        tunnels: &[Tunnel],
    ) {
        self.frames += 1;
        if !tunnels.is_empty() {
            self.vxlan_frames += 1;
        }
        for t in tunnels {
            self.tunnel(topo, d, t);
        }
        // Why tcpdump says OTV is explained once a capture: on the first packet on UDP 8472.
        if d.has_note(NoteCode::Port8472) {
            if self.explained_8472 {
                d.remove_notes(NoteCode::Port8472);
            }
            self.explained_8472 = true;
        }
        if self.notes.is_empty() {
            self.notes = vec![0; NOTES.len()];
        }
        for n in d.notes() {
            self.notes[n.code as usize] += 1;
        }
    }

    fn node(&mut self, ip: IpBytes) -> usize {
        if let Some(&i) = self.node_index.get(&ip) {
            return i;
        }
        self.nodes.push(LearnedNode {
            ip: Some(ip),
            ..LearnedNode::default()
        });
        self.node_index.insert(ip, self.nodes.len() - 1);
        self.nodes.len() - 1
    }

    fn rows(&mut self, src: IpBytes, dst: IpBytes) -> PairRows {
        if let Some(r) = self.recent
            && r.src == src
            && r.dst == dst
        {
            return r.rows;
        }
        let rows = match self.pair_index.get(&(src, dst)) {
            Some(&rows) => rows,
            None => {
                let rows = PairRows {
                    src_node: self.node(src),
                    dst_node: self.node(dst),
                    pair: self.pairs.len(),
                };
                self.pairs.push(((src, dst), 0));
                self.pair_index.insert((src, dst), rows);
                rows
            }
        };
        self.recent = Some(Recent { src, dst, rows });
        rows
    }

    fn tunnel<'d>(&mut self, topo: &'d Topology, d: &mut Dissection<'d>, t: &Tunnel) {
        let (scope, outer, inner) = (t.scope, &t.outer, &t.inner);
        // flannel sends plain VXLAN: a VXLAN-GPE packet says nothing of the VNI or port flannel uses.
        let gpe = t.gpe;
        let (Some((src, _)), Some((dst, _))) = (outer.src_ip, outer.dst_ip) else {
            return;
        };
        let r = self.rows(src, dst);
        self.pairs[r.pair].1 += 1;
        let mut notes: [Option<Note<'d>>; 4] = [None; 4];
        let mut push = |code, offset, len, args| {
            if let Some(slot) = notes.iter_mut().find(|n| n.is_none()) {
                *slot = Some(Note {
                    code,
                    scope,
                    offset,
                    len,
                    args,
                });
            }
        };

        // What the receiver's own packets say its VTEP MAC is.
        if let Some((mac, at)) = inner.dst_mac
            && mac[0] & 1 == 0
            && let Some((own, _)) = self.nodes[r.dst_node].vtep_macs.last()
            && *own != mac
            && !d.has_note(NoteCode::VtepMacMismatch)
        {
            push(
                NoteCode::VtepMacMismatch,
                at,
                6,
                [Value::Mac(mac), Value::Mac(*own), dst.value()],
            );
        }
        if let Some((vni, at)) = outer.vni.filter(|_| !gpe) {
            let vni = vni as u32;
            let receiver = &mut self.nodes[r.dst_node];
            match receiver.first_vni {
                Some(first) if first != vni && topo.cluster_vni().is_none() => push(
                    NoteCode::VniMismatch,
                    at,
                    3,
                    [
                        Value::UInt(u64::from(vni)),
                        Value::UInt(u64::from(first)),
                        Value::Text("earlier packets of this capture"),
                    ],
                ),
                Some(_) => {}
                None => receiver.first_vni = Some(vni),
            }
            add(&mut self.nodes[r.src_node].vnis, vni);
        }
        if let Some((port, at)) = outer.dport.filter(|_| !gpe) {
            let port = port as u16;
            match self.first_port {
                Some(first)
                    if first != port
                        && !topo.from_sources
                        && outer.sport != Some(u64::from(first)) =>
                {
                    push(
                        NoteCode::PortMismatch,
                        at,
                        2,
                        [
                            Value::UInt(u64::from(port)),
                            Value::UInt(u64::from(first)),
                            Value::Text("earlier packets of this capture"),
                        ],
                    )
                }
                Some(_) => {}
                None => self.first_port = Some(port),
            }
            add(&mut self.nodes[r.src_node].ports, port);
        }

        // Learn the sender's VTEP MAC; a MAC first seen from another node is claimed twice.
        if let Some((mac, at)) = inner.src_mac {
            let sender = &self.nodes[r.src_node];
            let known = sender.vtep_macs.last().is_some_and(|(m, _)| *m == mac);
            if !known {
                match self.mac_sender.get(&mac) {
                    Some(other) if *other != src && same_family(other, &src) => {
                        self.conflicts.push(format!(
                            "VTEP MAC {} is used by {other} and {src}",
                            super::mac_text(&mac)
                        ));
                        push(
                            NoteCode::VtepMacClaimed,
                            at,
                            6,
                            [Value::Mac(mac), Value::None, Value::None],
                        );
                    }
                    Some(_) => {}
                    None => {
                        self.mac_sender.insert(mac, src);
                    }
                }
                if let Some((last, _)) = sender.vtep_macs.last()
                    && !sender.vtep_macs.iter().any(|(m, _)| *m == mac)
                {
                    let message = format!(
                        "{src} sent with VTEP MAC {} and later {}: flannel.1 was re-created",
                        super::mac_text(last),
                        super::mac_text(&mac)
                    );
                    self.conflicts.push(message);
                }
            }
            count(&mut self.nodes[r.src_node].vtep_macs, mac);
        }
        // Learn the pod subnets of both ends; a subnet first sent from by another node is claimed twice.
        if let (Some((_, at)), Some(PodSubnet { net, .. })) = (inner.src_ip, t.subnets[0]) {
            let sender = &mut self.nodes[r.src_node];
            if !sender.subnets.contains(&net) {
                sender.subnets.push(net);
                match self.subnet_sender.get(&net) {
                    Some(other) if *other != src && same_family(other, &src) => {
                        self.conflicts.push(format!(
                            "pod subnet {net} is sent from by {other} and {src}"
                        ));
                        push(
                            NoteCode::SubnetClaimed,
                            at,
                            4,
                            [Value::Net(net), src.value(), Value::None],
                        );
                    }
                    Some(_) => {}
                    None => {
                        self.subnet_sender.insert(net, src);
                    }
                }
            }
        }
        if let Some(PodSubnet { net, .. }) = t.subnets[1] {
            add(&mut self.nodes[r.dst_node].subnets, net);
        }
        self.nodes[r.src_node].sent += 1;
        let receiver = &mut self.nodes[r.dst_node];
        receiver.received += 1;
        if let Some((mac, _)) = inner.dst_mac {
            count(&mut receiver.addressed_as, mac);
        }
        // (By reference: moving the array out would copy all of it.)
        for n in notes.iter().flatten() {
            d.push_note(*n);
        }
    }

    /// The nodes the capture showed, by address.
    pub fn learned(&self) -> Vec<&LearnedNode> {
        let mut v: Vec<&LearnedNode> = self.nodes.iter().collect();
        v.sort_by_key(|n| n.ip);
        v
    }

    /// What the capture itself contradicts: a node with two VTEP MACs, a MAC or pod subnet used by two nodes, and
    /// the differences between what the sources say and what the packets show.
    pub fn conflicts(&self, topo: &Topology) -> Vec<String> {
        let mut out = self.conflicts.clone();
        for n in self.learned() {
            let Some(ip) = n.ip else { continue };
            let Some(node) = topo.node_by_ip(&ip) else {
                continue;
            };
            if let (Some(said), Some((seen, _))) = (node.vtep_mac, n.vtep_macs.last())
                && said != *seen
            {
                out.push(format!(
                    "{}: the sources give VTEP MAC {}, its packets carry {}",
                    node.label(),
                    super::mac_text(&said),
                    super::mac_text(seen)
                ));
            }
            for (mac, times) in &n.addressed_as {
                if mac[0] & 1 == 0
                    && n.vtep_macs.iter().all(|(m, _)| m != mac)
                    && !n.vtep_macs.is_empty()
                {
                    out.push(format!(
                        "{}: peers sent {times} packet(s) to VTEP MAC {}, but its own packets carry {}",
                        node.label(),
                        super::mac_text(mac),
                        n.vtep_macs.iter().map(|(m, _)| super::mac_text(m)).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
        out.dedup();
        out
    }

    /// VXLAN packets between each pair of outer addresses, sorted by the pair.
    pub fn pairs(&self) -> Vec<((IpBytes, IpBytes), u64)> {
        let mut v = self.pairs.clone();
        v.sort();
        v
    }

    /// How many notes of each code were raised, sorted by code.
    pub fn diagnoses(&self) -> Vec<(&'static str, u64)> {
        let mut by_code: Vec<(&'static str, u64)> = Vec::new();
        for (i, &n) in self.notes.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let code = NOTES[i].code;
            match by_code.iter_mut().find(|(c, _)| *c == code) {
                Some((_, total)) => *total += n,
                None => by_code.push((code, n)),
            }
        }
        by_code.sort();
        by_code
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn vxlan_frames(&self) -> u64 {
        self.vxlan_frames
    }
}
