//! A capture followed packet by packet: the topology its VXLAN packets show (outer address ↔ VTEP MAC ↔ pod
//! subnet), and the diagnoses that need more than one packet (a VTEP MAC that changed, a VNI or port that differs
//! from the rest of the capture).

use std::collections::{BTreeMap, HashMap};

use super::annotate::Facts;
use super::{Role, Topology};
use crate::dissection::{Dissection, Note};
use crate::fields::{FieldId as F, Scope};
use crate::notes::NoteCode;
use crate::value::{IpBytes, IpNet, Value};

/// What the packets show of one node (one outer address).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LearnedNode {
    pub ip: Option<IpBytes>,
    /// Inner source MACs of the packets it sent (its VTEP MAC; more than one means it changed), with counts.
    pub vtep_macs: Vec<([u8; 6], u64)>,
    /// Inner destination MACs its peers used for it.
    pub addressed_as: Vec<([u8; 6], u64)>,
    /// Pod subnets of the inner addresses it sent from or received for.
    pub subnets: Vec<IpNet>,
    pub vnis: Vec<u32>,
    pub ports: Vec<u16>,
    pub sent: u64,
    pub received: u64,
}

fn count<T: PartialEq>(list: &mut Vec<(T, u64)>, item: T) {
    match list.iter_mut().find(|(x, _)| *x == item) {
        Some((_, n)) => *n += 1,
        None => list.push((item, 1)),
    }
}

fn add<T: PartialEq>(list: &mut Vec<T>, item: T) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Follows one capture.
#[derive(Debug, Default)]
pub struct Session {
    nodes: HashMap<IpBytes, LearnedNode>,
    /// The first VNI seen towards each outer destination.
    first_vni: HashMap<IpBytes, u32>,
    first_port: Option<u16>,
    /// Which outer address first sent from each pod subnet, and first used each VTEP MAC.
    subnet_sender: HashMap<IpNet, IpBytes>,
    mac_sender: HashMap<[u8; 6], IpBytes>,
    conflicts: Vec<String>,
    pairs: BTreeMap<(IpBytes, IpBytes), u64>,
    diagnoses: BTreeMap<&'static str, u64>,
    frames: u64,
    vxlan_frames: u64,
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// Learns from one dissected packet and adds the notes that comparing it with earlier packets gives.
    pub fn observe<'d>(&mut self, topo: &'d Topology, d: &mut Dissection<'d>) {
        self.frames += 1;
        let mut facts = [Facts::default(); Scope::COUNT];
        for f in d.fields() {
            facts[f.scope.index()].record(f);
        }
        let mut tunnels = [Scope::OUTER; crate::fields::MAX_DEPTH as usize + 1];
        let mut found = 0;
        for l in d.layers() {
            if matches!(l.proto, F::Vxlan | F::VxlanGpe)
                && !l.scope.is_quoted()
                && found < tunnels.len()
            {
                tunnels[found] = l.scope;
                found += 1;
            }
        }
        if found > 0 {
            self.vxlan_frames += 1;
        }
        for &scope in &tunnels[..found] {
            let outer = facts[scope.index()];
            let inner = scope
                .encapsulated()
                .map(|s| facts[s.index()])
                .unwrap_or_default();
            self.tunnel(topo, d, scope, &outer, &inner);
        }
        for n in d.notes() {
            *self.diagnoses.entry(n.code.def().code).or_insert(0) += 1;
        }
    }

    fn tunnel<'d>(
        &mut self,
        topo: &'d Topology,
        d: &mut Dissection<'d>,
        scope: Scope,
        outer: &Facts,
        inner: &Facts,
    ) {
        let (Some((src, _)), Some((dst, _))) = (outer.src_ip, outer.dst_ip) else {
            return;
        };
        *self.pairs.entry((src, dst)).or_insert(0) += 1;
        let mut notes: Vec<Note<'d>> = Vec::new();
        let note = |code, (offset, len), args| Note {
            code,
            scope,
            offset,
            len,
            args,
        };

        // What the receiver's own packets say its VTEP MAC is.
        if let Some((mac, at)) = inner.dst_mac
            && mac[0] & 1 == 0
            && !d.has_note(NoteCode::VtepMacMismatch)
            && let Some(own) = self
                .nodes
                .get(&dst)
                .and_then(|n| n.vtep_macs.last())
                .map(|(m, _)| *m)
            && own != mac
        {
            notes.push(note(
                NoteCode::VtepMacMismatch,
                (at, 6),
                [Value::Mac(mac), Value::Mac(own), dst.value()],
            ));
        }
        if let Some((vni, at)) = outer.vni {
            let vni = vni as u32;
            let topo_says = topo.nodes.iter().any(|n| n.vni.is_some());
            match self.first_vni.get(&dst) {
                Some(&first) if first != vni && !topo_says => notes.push(note(
                    NoteCode::VniMismatch,
                    (at, 3),
                    [
                        Value::UInt(u64::from(vni)),
                        Value::UInt(u64::from(first)),
                        Value::Text("earlier packets of this capture"),
                    ],
                )),
                Some(_) => {}
                None => {
                    self.first_vni.insert(dst, vni);
                }
            }
        }
        if let Some((port, at)) = outer.dport {
            let port = port as u16;
            match self.first_port {
                Some(first)
                    if first != port
                        && !topo.from_sources
                        && outer.sport != Some(u64::from(first)) =>
                {
                    notes.push(note(
                        NoteCode::PortMismatch,
                        (at, 2),
                        [
                            Value::UInt(u64::from(port)),
                            Value::UInt(u64::from(first)),
                            Value::Text("earlier packets of this capture"),
                        ],
                    ))
                }
                Some(_) => {}
                None => self.first_port = Some(port),
            }
        }

        // Learn: the sender's VTEP MAC and pod subnet, the receiver's pod subnet.
        if let Some((mac, at)) = inner.src_mac {
            match self.mac_sender.get(&mac) {
                Some(other) if *other != src => {
                    self.conflicts.push(format!(
                        "VTEP MAC {} is used by {other} and {src}",
                        super::mac_text(&mac)
                    ));
                    notes.push(note(
                        NoteCode::VtepMacClaimed,
                        (at, 6),
                        [Value::Mac(mac), Value::None, Value::None],
                    ));
                }
                Some(_) => {}
                None => {
                    self.mac_sender.insert(mac, src);
                }
            }
            let node = self.nodes.entry(src).or_insert_with(|| LearnedNode {
                ip: Some(src),
                ..LearnedNode::default()
            });
            if let Some((last, _)) = node.vtep_macs.last()
                && *last != mac
                && !node.vtep_macs.iter().any(|(m, _)| *m == mac)
            {
                self.conflicts.push(format!(
                    "{src} sent with VTEP MAC {} and later {}: flannel.1 was re-created",
                    super::mac_text(last),
                    super::mac_text(&mac)
                ));
            }
            count(&mut node.vtep_macs, mac);
        }
        if let Some((ip, at)) = inner.src_ip
            && topo.role_of(&ip) != Role::Outside
            && let Some((net, _)) = topo.subnet_of(&ip)
        {
            match self.subnet_sender.get(&net) {
                Some(other) if *other != src => {
                    self.conflicts.push(format!(
                        "pod subnet {net} is sent from by {other} and {src}"
                    ));
                    notes.push(note(
                        NoteCode::SubnetClaimed,
                        (at, 4),
                        [Value::Net(net), src.value(), Value::None],
                    ));
                }
                Some(_) => {}
                None => {
                    self.subnet_sender.insert(net, src);
                }
            }
            add(&mut self.nodes.entry(src).or_default().subnets, net);
        }
        if let Some((ip, _)) = inner.dst_ip
            && topo.role_of(&ip) != Role::Outside
            && let Some((net, _)) = topo.subnet_of(&ip)
        {
            add(&mut self.nodes.entry(dst).or_default().subnets, net);
        }
        let sender = self.nodes.entry(src).or_default();
        sender.ip = Some(src);
        sender.sent += 1;
        if let Some((vni, _)) = outer.vni {
            add(&mut sender.vnis, vni as u32);
        }
        if let Some((port, _)) = outer.dport {
            add(&mut sender.ports, port as u16);
        }
        let receiver = self.nodes.entry(dst).or_default();
        receiver.ip = Some(dst);
        receiver.received += 1;
        if let Some((mac, _)) = inner.dst_mac {
            count(&mut receiver.addressed_as, mac);
        }
        for n in notes {
            d.push_note(n);
        }
    }

    /// The nodes the capture showed, by address.
    pub fn learned(&self) -> Vec<&LearnedNode> {
        let mut v: Vec<&LearnedNode> = self.nodes.values().collect();
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

    /// VXLAN packets between each pair of outer addresses.
    pub fn pairs(&self) -> &BTreeMap<(IpBytes, IpBytes), u64> {
        &self.pairs
    }

    /// How many notes of each code were raised.
    pub fn diagnoses(&self) -> &BTreeMap<&'static str, u64> {
        &self.diagnoses
    }

    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn vxlan_frames(&self) -> u64 {
        self.vxlan_frames
    }
}
