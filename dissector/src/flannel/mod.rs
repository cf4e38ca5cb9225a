//! What flannel knows and packet analysers do not: which node and pod each VXLAN packet belongs to, and why it
//! will not arrive.
//!
//! A [`Topology`] is built from any of these sources, in the order given; a later source never silently
//! overrides an earlier one, every disagreement becomes a [`Conflict`]:
//! - `kubectl get nodes -o json` ([`TopologyBuilder::add_nodes_json`]): names, pod CIDRs, addresses and flannel's
//!   annotations (public IP, backend data with VNI and VTEP MAC);
//! - what an engineer pastes from a node ([`TopologyBuilder::add_node_info`]): `ip -d link show flannel.1`,
//!   `bridge fdb show`, `ip neigh` / `arp -n`, `ip route` / `route -n`, `/run/flannel/subnet.env`;
//! - `kubectl get pods -o wide` or `-o json` ([`TopologyBuilder::add_pods`]): pod names, and the node of each pod
//!   subnet.
//!
//! Without any source flannel's defaults apply: VNI 1, port 8472, network 10.244.0.0/16 with a /24 a node, the
//! VTEP address X.0, the `cni0` gateway X.1, VXLAN MTU 1450 (1430 over IPv6).
//!
//! [`annotate`] adds `flannel.*` fields and diagnoses to each dissection; a [`Session`] follows a whole capture,
//! learns the topology the packets show, and reports what only comparing packets reveals.

mod annotate;
mod session;
mod sources;

use rustc_hash::FxHashMap as HashMap;

pub use annotate::FIELDS_READ;
pub(crate) use annotate::{Tunnel, annotate};
pub use session::{Gathered, LearnedNode, Session};
pub use sources::{MAX_SOURCE_LEN, SourceError, TopologySource, parse_cidr, parse_ip, parse_mac};

use crate::value::{IpBytes, IpNet};

/// flannel's VNI on Linux.
pub const DEFAULT_VNI: u32 = 1;
/// The Linux kernel's VXLAN port, which flannel uses unless told otherwise.
pub const DEFAULT_PORT: u16 = 8472;
/// MTU of flannel.1 on a 1500-byte NIC: 50 bytes of outer Ethernet, IPv4, UDP and VXLAN headers less.
pub const DEFAULT_MTU_V4: u32 = 1450;
/// MTU of flannel-v6.1 on a 1500-byte NIC (70 bytes less).
pub const DEFAULT_MTU_V6: u32 = 1430;
/// flannel's annotation prefix unless `--kube-annotation-prefix` changed it.
/// flannel's default network (`Network` of its net-conf.json, as in kube-flannel.yml).
pub const DEFAULT_NETWORK: IpNet = IpNet {
    addr: IpBytes::V4([10, 244, 0, 0]),
    prefix: 16,
};
/// flannel's default length of a node's pod subnet (`SubnetLen`).
pub const DEFAULT_SUBNET_LEN: u8 = 24;
pub const DEFAULT_ANNOTATION_PREFIX: &str = "flannel.alpha.coreos.com";

/// One node of the cluster, as far as the sources tell.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Node {
    pub name: Option<String>,
    /// Addresses peers send VXLAN to, or that identify the node (public IP first).
    pub ips: Vec<IpBytes>,
    /// MAC address of flannel.1.
    pub vtep_mac: Option<[u8; 6]>,
    /// MAC address of flannel-v6.1.
    pub vtep_mac_v6: Option<[u8; 6]>,
    pub vni: Option<u32>,
    pub port: Option<u16>,
    /// MTU of flannel.1.
    pub mtu: Option<u32>,
    pub subnets: Vec<IpNet>,
    /// flannel's backend type annotation (`vxlan`, `host-gw`, ...).
    pub backend: Option<String>,
    /// Where the facts came from (file names, `capture`).
    pub sources: Vec<String>,
}

impl Node {
    /// The node's name, or its first address when no source named it.
    pub fn label(&self) -> String {
        match (&self.name, self.ips.first()) {
            (Some(n), _) => n.clone(),
            (None, Some(ip)) => ip.to_string(),
            (None, None) => "(unnamed node)".to_string(),
        }
    }
}

/// A pod, from `kubectl get pods`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pod {
    pub name: String,
    pub namespace: Option<String>,
    pub ip: IpBytes,
    pub node: Option<String>,
}

/// Two sources (or two parts of one) that disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    pub kind: ConflictKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConflictKind {
    /// A pod subnet claimed by two nodes.
    Subnet,
    /// A VTEP MAC claimed by two nodes.
    VtepMac,
    /// An address claimed by two nodes.
    Address,
    /// Two values for one fact of one node (its VTEP MAC, VNI, port...).
    NodeFact,
    /// A `bridge fdb` entry for a node that the neighbour table does not use: left over from a re-created node.
    StaleFdb,
    /// A pod whose address lies outside its node's pod subnet.
    Pod,
}

/// The cluster as the sources describe it, indexed for per-packet lookups.
#[derive(Clone, Debug)]
pub struct Topology {
    pub nodes: Vec<Node>,
    pub pods: Vec<Pod>,
    pub conflicts: Vec<Conflict>,
    /// The cluster network (FLANNEL_NETWORK).
    pub network: IpNet,
    /// Prefix length of a node's pod subnet in the default layout.
    pub subnet_len: u8,
    /// Whether any source was given (otherwise only flannel's defaults apply).
    pub from_sources: bool,
    by_ip: HashMap<IpBytes, usize>,
    by_mac: HashMap<[u8; 6], usize>,
    /// Pod subnets and their nodes, longest prefix first.
    subnets: Vec<(IpNet, usize)>,
    pods_by_ip: HashMap<IpBytes, usize>,
    /// Pod subnets claimed by more than one node, and VTEP MACs likewise, for per-packet diagnoses.
    conflicting_subnets: Vec<IpNet>,
    conflicting_macs: Vec<[u8; 6]>,
    /// The cluster's VNI, port and MTU, found once rather than for every packet.
    cluster: ClusterValues,
}

/// The first value of each fact that a node has: what the cluster uses (sources are expected to agree;
/// conflicts are listed).
#[derive(Clone, Copy, Debug, Default)]
struct ClusterValues {
    vni: Option<u32>,
    port: Option<u16>,
    mtu: Option<u32>,
}

impl ClusterValues {
    fn of(nodes: &[Node]) -> ClusterValues {
        ClusterValues {
            vni: nodes.iter().find_map(|n| n.vni),
            port: nodes.iter().find_map(|n| n.port),
            mtu: nodes.iter().find_map(|n| n.mtu),
        }
    }
}

impl Default for Topology {
    fn default() -> Self {
        TopologyBuilder::new().build()
    }
}

/// What an inner address is to flannel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A pod.
    Pod,
    /// The X.0 address of a node's flannel.1 (host-originated traffic is sent from it).
    Vtep,
    /// The X.1 address of a node's cni0 bridge.
    Gateway,
    /// Not in the cluster network.
    Outside,
}

impl Role {
    pub fn word(self) -> &'static str {
        match self {
            Role::Pod => "pod",
            Role::Vtep => "vtep",
            Role::Gateway => "gateway",
            Role::Outside => "outside",
        }
    }
}

impl Topology {
    /// The node with this public address.
    pub fn node_by_ip(&self, ip: &IpBytes) -> Option<&Node> {
        self.by_ip.get(ip).map(|&i| &self.nodes[i])
    }

    /// The node whose flannel.1 (or flannel-v6.1) has this MAC.
    pub fn node_by_vtep_mac(&self, mac: &[u8; 6]) -> Option<&Node> {
        self.by_mac.get(mac).map(|&i| &self.nodes[i])
    }

    /// The pod subnet holding `ip` and its node, if a source named one; otherwise the default layout's subnet
    /// (a /24 of 10.244.0.0/16) with no node.
    pub fn subnet_of(&self, ip: &IpBytes) -> Option<(IpNet, Option<&Node>)> {
        self.pod_subnet(ip)
            .map(|s| (s.net, s.owner.map(|i| &self.nodes[i])))
    }

    /// [`subnet_of`](Self::subnet_of), with the owner as its index in `nodes` (a value without a lifetime).
    pub(crate) fn pod_subnet(&self, ip: &IpBytes) -> Option<PodSubnet> {
        if let Some(&(net, i)) = self.subnets.iter().find(|(net, _)| net.contains(*ip)) {
            return Some(PodSubnet {
                net,
                owner: Some(i),
            });
        }
        if !self.network.contains(*ip) {
            return None;
        }
        Some(PodSubnet {
            net: IpNet::of(*ip, self.subnet_len),
            owner: None,
        })
    }

    /// The pod with this address.
    pub fn pod_by_ip(&self, ip: &IpBytes) -> Option<&Pod> {
        self.pods_by_ip.get(ip).map(|&i| &self.pods[i])
    }

    /// What `ip` is to flannel: X.0 of its subnet is the VTEP, X.1 the cni0 gateway, other addresses pods.
    pub fn role_of(&self, ip: &IpBytes) -> Role {
        match self.subnet_of(ip) {
            Some((net, _)) => role_in(ip, &net),
            None => Role::Outside,
        }
    }

    /// The VXLAN MTU (of flannel.1) for inner packets of this family.
    pub fn vxlan_mtu(&self, v6: bool) -> u32 {
        self.cluster
            .mtu
            .unwrap_or(if v6 { DEFAULT_MTU_V6 } else { DEFAULT_MTU_V4 })
    }

    /// The VNI the sources give, if any gives one.
    pub fn cluster_vni(&self) -> Option<u32> {
        self.cluster.vni
    }

    /// The VXLAN port the sources give, if any gives one.
    pub fn cluster_port(&self) -> Option<u16> {
        self.cluster.port
    }

    /// Whether `net` is claimed by more than one node.
    pub fn subnet_in_conflict(&self, net: &IpNet) -> bool {
        self.conflicting_subnets.contains(net)
    }

    /// Whether `mac` is claimed by more than one node.
    pub fn mac_in_conflict(&self, mac: &[u8; 6]) -> bool {
        self.conflicting_macs.contains(mac)
    }
}

/// The pod subnet an address lies in, and the index of the node it belongs to if a source named one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PodSubnet {
    pub(crate) net: IpNet,
    pub(crate) owner: Option<usize>,
}

/// What `ip` is in its pod subnet `net`: X.0 is the VTEP, X.1 the cni0 gateway, other addresses pods.
pub fn role_in(ip: &IpBytes, net: &IpNet) -> Role {
    match host_part(*ip, *net) {
        0 => Role::Vtep,
        1 => Role::Gateway,
        _ => Role::Pod,
    }
}

/// The host part of `ip` within `net`, for the last 64 bits at most.
fn host_part(ip: IpBytes, net: IpNet) -> u64 {
    let bytes = ip.as_bytes();
    let n = bytes.len();
    let tail = &bytes[n.saturating_sub(8)..];
    let value = tail.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let host_bits = (n * 8).saturating_sub(usize::from(net.prefix)).min(64);
    if host_bits == 64 {
        value
    } else {
        value & ((1u64 << host_bits) - 1)
    }
}

/// Builds a [`Topology`] from sources, in order.
#[derive(Debug)]
pub struct TopologyBuilder {
    nodes: Vec<Node>,
    pods: Vec<Pod>,
    conflicts: Vec<Conflict>,
    network: Option<IpNet>,
    subnet_len: Option<u8>,
    from_sources: bool,
    pub(crate) annotation_prefix: String,
    pub(crate) pending_node_info: Vec<sources::PendingNodeInfo>,
}

impl Default for TopologyBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TopologyBuilder {
    pub fn new() -> Self {
        TopologyBuilder {
            nodes: Vec::new(),
            pods: Vec::new(),
            conflicts: Vec::new(),
            network: None,
            subnet_len: None,
            from_sources: false,
            annotation_prefix: DEFAULT_ANNOTATION_PREFIX.to_string(),
            pending_node_info: Vec::new(),
        }
    }

    /// Uses another annotation prefix than flannel's default (`--kube-annotation-prefix`).
    pub fn annotation_prefix(&mut self, prefix: &str) -> &mut Self {
        self.annotation_prefix = prefix.trim_end_matches('/').to_string();
        self
    }

    /// Adds the facts of one node, merging them into a node the builder already knows (same name, address, VTEP
    /// MAC or subnet) and recording a conflict for each fact that disagrees.
    pub(crate) fn merge(&mut self, facts: Node) {
        self.from_sources = true;
        let existing = self.nodes.iter().position(|n| same_node(n, &facts));
        let Some(i) = existing else {
            self.nodes.push(facts);
            return;
        };
        let label = self.nodes[i].label();
        let source = facts.sources.join(", ");
        let node = &mut self.nodes[i];
        let mut conflicts = Vec::new();
        if node.name.is_none() {
            node.name = facts.name;
        } else if let (Some(a), Some(b)) = (&node.name, &facts.name)
            && a != b
        {
            conflicts.push(format!("{label} is also called {b} in {source}"));
        }
        merge_fact(
            &mut node.vtep_mac,
            facts.vtep_mac,
            "VTEP MAC",
            &label,
            &source,
            &mut conflicts,
            mac_text,
        );
        merge_fact(
            &mut node.vtep_mac_v6,
            facts.vtep_mac_v6,
            "IPv6 VTEP MAC",
            &label,
            &source,
            &mut conflicts,
            mac_text,
        );
        merge_fact(
            &mut node.vni,
            facts.vni,
            "VNI",
            &label,
            &source,
            &mut conflicts,
            |v| v.to_string(),
        );
        merge_fact(
            &mut node.port,
            facts.port,
            "VXLAN port",
            &label,
            &source,
            &mut conflicts,
            |v| v.to_string(),
        );
        merge_fact(
            &mut node.mtu,
            facts.mtu,
            "VXLAN MTU",
            &label,
            &source,
            &mut conflicts,
            |v| v.to_string(),
        );
        if node.backend.is_none() {
            node.backend = facts.backend;
        }
        for ip in facts.ips {
            if !node.ips.contains(&ip) {
                node.ips.push(ip);
            }
        }
        for net in facts.subnets {
            if !node.subnets.contains(&net) {
                node.subnets.push(net);
            }
        }
        for s in facts.sources {
            if !node.sources.contains(&s) {
                node.sources.push(s);
            }
        }
        self.conflicts
            .extend(conflicts.into_iter().map(|message| Conflict {
                kind: ConflictKind::NodeFact,
                message,
            }));
    }

    pub(crate) fn conflict(&mut self, kind: ConflictKind, message: String) {
        self.conflicts.push(Conflict { kind, message });
    }

    pub(crate) fn set_network(&mut self, network: IpNet, subnet_len: Option<u8>) {
        if self.network.is_none() {
            self.network = Some(network);
        }
        if self.subnet_len.is_none() {
            self.subnet_len = subnet_len;
        }
    }

    pub(crate) fn push_pod(&mut self, pod: Pod) {
        self.flush_node_info();
        self.from_sources = true;
        self.pods.push(pod);
    }

    /// Resolves pods to their nodes' subnets and indexes everything.
    pub fn build(mut self) -> Topology {
        self.flush_node_info();
        self.resolve_pods();
        let network = self.network.unwrap_or(DEFAULT_NETWORK);
        let subnet_len = self.subnet_len.unwrap_or(DEFAULT_SUBNET_LEN);
        let mut by_ip: HashMap<IpBytes, usize> = HashMap::default();
        let mut by_mac: HashMap<[u8; 6], usize> = HashMap::default();
        let mut subnets: Vec<(IpNet, usize)> = Vec::new();
        let mut conflicting_subnets = Vec::new();
        let mut conflicting_macs = Vec::new();
        for (i, n) in self.nodes.iter().enumerate() {
            for ip in &n.ips {
                if let Some(&j) = by_ip.get(ip) {
                    if j != i {
                        let message = format!(
                            "{ip} is claimed by {} and {}",
                            self.nodes[j].label(),
                            n.label()
                        );
                        self.conflicts.push(Conflict {
                            kind: ConflictKind::Address,
                            message,
                        });
                    }
                } else {
                    by_ip.insert(*ip, i);
                }
            }
            for mac in [n.vtep_mac, n.vtep_mac_v6].into_iter().flatten() {
                if let Some(&j) = by_mac.get(&mac) {
                    if j != i {
                        let message = format!(
                            "VTEP MAC {} is claimed by {} and {}",
                            mac_text(&mac),
                            self.nodes[j].label(),
                            n.label()
                        );
                        self.conflicts.push(Conflict {
                            kind: ConflictKind::VtepMac,
                            message,
                        });
                        conflicting_macs.push(mac);
                    }
                } else {
                    by_mac.insert(mac, i);
                }
            }
            for net in &n.subnets {
                if let Some((_, j)) = subnets.iter().find(|(s, _)| s == net) {
                    let message = format!(
                        "pod subnet {net} is claimed by {} and {}",
                        self.nodes[*j].label(),
                        n.label()
                    );
                    self.conflicts.push(Conflict {
                        kind: ConflictKind::Subnet,
                        message,
                    });
                    conflicting_subnets.push(*net);
                } else {
                    subnets.push((*net, i));
                }
            }
        }
        subnets.sort_by_key(|(net, _)| std::cmp::Reverse(net.prefix));
        let pods_by_ip = self
            .pods
            .iter()
            .enumerate()
            .map(|(i, p)| (p.ip, i))
            .collect();
        Topology {
            cluster: ClusterValues::of(&self.nodes),
            nodes: self.nodes,
            pods: self.pods,
            conflicts: self.conflicts,
            network,
            subnet_len,
            from_sources: self.from_sources,
            by_ip,
            by_mac,
            subnets,
            pods_by_ip,
            conflicting_subnets,
            conflicting_macs,
        }
    }

    /// A pod's node names the owner of the pod subnet its address lies in; a node known only by name gets the
    /// default-layout subnet of its pods.
    fn resolve_pods(&mut self) {
        let network = self.network.unwrap_or(DEFAULT_NETWORK);
        let subnet_len = self.subnet_len.unwrap_or(DEFAULT_SUBNET_LEN);
        let pods = std::mem::take(&mut self.pods);
        for pod in &pods {
            let Some(node_name) = &pod.node else { continue };
            let owner = self
                .nodes
                .iter()
                .position(|n| n.subnets.iter().any(|s| s.contains(pod.ip)));
            let named = self
                .nodes
                .iter()
                .position(|n| n.name.as_deref() == Some(node_name.as_str()));
            match (owner, named) {
                (Some(o), Some(n)) if o == n => {}
                (Some(o), None) if self.nodes[o].name.is_none() => {
                    self.nodes[o].name = Some(node_name.clone())
                }
                (Some(o), Some(_)) if self.nodes[o].name.is_none() => {
                    // The same node, known by name from one source and by its subnet from another.
                    let mut unnamed = self.nodes.remove(o);
                    unnamed.name = Some(node_name.clone());
                    self.merge(unnamed);
                }
                (Some(o), _) => {
                    let message = format!(
                        "pod {} ({}) runs on {node_name} according to the pod list, but its address lies in the pod subnet of {}",
                        pod.name,
                        pod.ip,
                        self.nodes[o].label()
                    );
                    self.conflict(ConflictKind::Pod, message);
                }
                (None, named) if network.contains(pod.ip) => {
                    let net = IpNet::of(pod.ip, subnet_len);
                    match named {
                        Some(n) => {
                            if !self.nodes[n].subnets.contains(&net) {
                                self.nodes[n].subnets.push(net);
                            }
                        }
                        None => self.nodes.push(Node {
                            name: Some(node_name.clone()),
                            subnets: vec![net],
                            sources: vec!["pod list".to_string()],
                            ..Node::default()
                        }),
                    }
                }
                (None, _) => {}
            }
        }
        self.pods = pods;
    }
}

fn same_node(a: &Node, b: &Node) -> bool {
    if let (Some(x), Some(y)) = (&a.name, &b.name) {
        return x == y;
    }
    a.ips.iter().any(|ip| b.ips.contains(ip))
        || a.vtep_mac.is_some() && a.vtep_mac == b.vtep_mac
        || a.subnets.iter().any(|s| b.subnets.contains(s))
}

fn merge_fact<T: PartialEq + Copy>(
    slot: &mut Option<T>,
    new: Option<T>,
    what: &str,
    label: &str,
    source: &str,
    conflicts: &mut Vec<String>,
    show: impl Fn(&T) -> String,
) {
    match (slot.as_ref(), new) {
        (None, Some(v)) => *slot = Some(v),
        (Some(old), Some(v)) if *old != v => {
            conflicts.push(format!(
                "{label}: {what} {} (kept) and {} (in {source})",
                show(old),
                show(&v)
            ));
        }
        _ => {}
    }
}

/// A MAC address as text.
pub fn mac_text(m: &[u8; 6]) -> String {
    let mut text = Vec::with_capacity(17);
    crate::value::write::mac(&mut text, m);
    // Hex digits and colons: always UTF-8.
    String::from_utf8(text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_layout() {
        let t = Topology::default();
        let (net, node) = t.subnet_of(&IpBytes::V4([10, 244, 2, 14])).unwrap();
        assert_eq!(net.to_string(), "10.244.2.0/24");
        assert!(node.is_none());
        assert_eq!(t.role_of(&IpBytes::V4([10, 244, 2, 0])), Role::Vtep);
        assert_eq!(t.role_of(&IpBytes::V4([10, 244, 2, 1])), Role::Gateway);
        assert_eq!(t.role_of(&IpBytes::V4([10, 244, 2, 14])), Role::Pod);
        assert_eq!(t.role_of(&IpBytes::V4([192, 168, 1, 1])), Role::Outside);
        assert_eq!(t.vxlan_mtu(false), 1450);
        assert_eq!(t.vxlan_mtu(true), 1430);
        assert!(!t.from_sources);
    }
}
