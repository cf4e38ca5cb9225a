//! Parsers of the topology sources: `kubectl get nodes -o json`, `kubectl get pods -o wide|json`, and what an
//! engineer pastes from a node (`ip -d link show flannel.1`, `bridge fdb show`, `ip neigh`, `arp -n`,
//! `ip route`, `route -n`, `/run/flannel/subnet.env`).

use rustc_hash::FxHashMap as HashMap;
use std::net::IpAddr;

use serde_json::Value as Json;

use super::{ConflictKind, DEFAULT_VNI, Node, Pod, TopologyBuilder, mac_text};
use crate::value::{IpBytes, IpNet};

/// Largest topology source read, in bytes (`kubectl get pods -A -o json` is about 15 KB a pod: some two thousand
/// pods; `-o wide` text, about 150 bytes a pod, holds two hundred thousand). A larger file is refused before it
/// is parsed, and its readers (the command line, the C ABI) stop reading one byte past it.
pub const MAX_SOURCE_LEN: usize = 32 * 1024 * 1024;

/// A source that cannot be read: which one, where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub source: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}: line {}: {}", self.source, l, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for SourceError {}

/// Refuses a source over [`MAX_SOURCE_LEN`] bytes.
fn within_bound(text: &str, source: &str) -> Result<(), SourceError> {
    if text.len() > MAX_SOURCE_LEN {
        return Err(error(
            source,
            None,
            format!(
                "over the {MAX_SOURCE_LEN}-byte limit of a topology source: not read (is it the right file?)"
            ),
        ));
    }
    Ok(())
}

fn error(source: &str, line: Option<usize>, message: impl Into<String>) -> SourceError {
    SourceError {
        source: source.to_string(),
        line,
        message: message.into(),
    }
}

/// Parses a MAC address in any case (`b6:72:Ae:36:7b:6c`), with `:` or `-`.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = s.split([':', '-']);
    for b in &mut mac {
        let p = parts.next()?;
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

pub fn parse_ip(s: &str) -> Option<IpBytes> {
    s.parse::<IpAddr>().ok().map(IpBytes::from_ip)
}

/// Parses `10.244.1.0/24` (the address is reduced to its network).
pub fn parse_cidr(s: &str) -> Option<IpNet> {
    let (addr, len) = s.split_once('/')?;
    let ip = parse_ip(addr)?;
    let prefix: u8 = len.parse().ok()?;
    let max = if matches!(ip, IpBytes::V4(_)) {
        32
    } else {
        128
    };
    (prefix <= max).then(|| IpNet::of(ip, prefix))
}

/// The prefix length of a dotted netmask (`255.255.255.0` → 24), if it is contiguous.
fn netmask_len(s: &str) -> Option<u8> {
    let IpBytes::V4(m) = parse_ip(s)? else {
        return None;
    };
    let v = u32::from_be_bytes(m);
    let len = v.leading_ones();
    (v.checked_shl(len).unwrap_or(0) == 0).then_some(len as u8)
}

/// A document of `kubectl get RESOURCE -o json`.
fn kubectl_json(text: &str, source: &str, resource: &str) -> Result<Json, SourceError> {
    serde_json::from_str(text).map_err(|e| {
        error(
            source,
            Some(e.line()),
            format!("not JSON: {e} (expected `kubectl get {resource} -o json`)"),
        )
    })
}

/// The objects of kind `kind` in a kubectl document: the document itself, or the items of a `List` (or
/// `<kind>List`).
fn kubectl_items<'a>(
    doc: &'a Json,
    source: &str,
    kind: &str,
    resource: &str,
) -> Result<Vec<&'a Json>, SourceError> {
    match doc.get("kind").and_then(Json::as_str) {
        Some(k) if k == kind => Ok(vec![doc]),
        Some(k) if k == "List" || k.strip_suffix("List") == Some(kind) => Ok(doc
            .get("items")
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter(|i| {
                        i.get("kind")
                            .and_then(Json::as_str)
                            .is_none_or(|k| k == kind)
                    })
                    .collect()
            })
            .unwrap_or_default()),
        other => Err(error(
            source,
            None,
            format!(
                "expected `kubectl get {resource} -o json` (a List of {kind}s or one {kind}), found kind {}",
                other.unwrap_or("(none)")
            ),
        )),
    }
}

/// One source of the topology, read: what it holds, its text, and how messages name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopologySource {
    /// `kubectl get nodes -o json`.
    Nodes { text: String, label: String },
    /// Outputs pasted from one node, and which node when the text does not say.
    NodeInfo {
        text: String,
        label: String,
        node: Option<String>,
    },
    /// `kubectl get pods -o wide` or `-o json`.
    Pods { text: String, label: String },
}

impl TopologyBuilder {
    /// Adds a source (see the function for each kind).
    pub fn add(&mut self, source: &TopologySource) -> Result<&mut Self, SourceError> {
        match source {
            TopologySource::Nodes { text, label } => self.add_nodes_json(text, label),
            TopologySource::NodeInfo { text, label, node } => {
                self.add_node_info(text, label, node.as_deref())
            }
            TopologySource::Pods { text, label } => self.add_pods(text, label),
        }
    }

    /// Adds the nodes of `kubectl get nodes -o json` (a `List` of `Node`s, or one `Node`).
    pub fn add_nodes_json(&mut self, text: &str, source: &str) -> Result<&mut Self, SourceError> {
        within_bound(text, source)?;
        self.flush_node_info();
        let doc = kubectl_json(text, source, "nodes")?;
        let items = kubectl_items(&doc, source, "Node", "nodes")?;
        for item in items {
            let node = self.node_from_json(item, source)?;
            self.merge(node);
        }
        Ok(self)
    }

    fn node_from_json(&self, item: &Json, source: &str) -> Result<Node, SourceError> {
        let name = item
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .ok_or_else(|| error(source, None, "a Node without metadata.name"))?;
        let bad = |what: &str, value: &str| {
            error(
                source,
                None,
                format!("node {name}: {what} {value:?} is not valid"),
            )
        };
        let annotations = item
            .pointer("/metadata/annotations")
            .and_then(Json::as_object);
        let annotation = |key: &str| {
            annotations
                .and_then(|a| a.get(&format!("{}/{key}", self.annotation_prefix)))
                .and_then(Json::as_str)
        };
        let mut node = Node {
            name: Some(name.to_string()),
            sources: vec![source.to_string()],
            ..Node::default()
        };
        for key in [
            "public-ip-overwrite",
            "public-ip",
            "public-ipv6-overwrite",
            "public-ipv6",
        ] {
            if let Some(v) = annotation(key).filter(|v| !v.is_empty()) {
                let ip = parse_ip(v).ok_or_else(|| bad(key, v))?;
                if !node.ips.contains(&ip) {
                    node.ips.push(ip);
                }
            }
        }
        for a in item
            .pointer("/status/addresses")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let kind = a.get("type").and_then(Json::as_str).unwrap_or("");
            if let ("InternalIP" | "ExternalIP", Some(addr)) =
                (kind, a.get("address").and_then(Json::as_str))
            {
                let ip = parse_ip(addr).ok_or_else(|| bad(kind, addr))?;
                if !node.ips.contains(&ip) {
                    node.ips.push(ip);
                }
            }
        }
        let mut cidrs: Vec<&str> = item
            .pointer("/spec/podCIDRs")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
            .collect();
        if let Some(c) = item.pointer("/spec/podCIDR").and_then(Json::as_str) {
            cidrs.insert(0, c);
        }
        for c in cidrs {
            let net = parse_cidr(c).ok_or_else(|| bad("podCIDR", c))?;
            if !node.subnets.contains(&net) {
                node.subnets.push(net);
            }
        }
        node.backend = annotation("backend-type").map(str::to_string);
        for (key, v6) in [("backend-data", false), ("backend-v6-data", true)] {
            let Some(data) = annotation(key).filter(|d| !d.is_empty() && *d != "null") else {
                continue;
            };
            let parsed: Json = serde_json::from_str(data).map_err(|_| bad(key, data))?;
            let field = |want: &str| {
                parsed
                    .as_object()
                    .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(want)))
                    .map(|(_, v)| v)
            };
            // flannel's backend data without a VNI (third-party VTEPs) means VNI 1.
            let vni = match field("VNI") {
                Some(v) => v
                    .as_u64()
                    .filter(|&v| v <= 0xff_ffff)
                    .ok_or_else(|| bad("backend-data VNI", &v.to_string()))?
                    as u32,
                None => DEFAULT_VNI,
            };
            node.vni.get_or_insert(vni);
            if let Some(m) = field("VtepMAC").and_then(Json::as_str) {
                let mac = parse_mac(m).ok_or_else(|| bad("VtepMAC", m))?;
                if v6 {
                    node.vtep_mac_v6 = Some(mac);
                } else {
                    node.vtep_mac = Some(mac);
                }
            }
        }
        Ok(node)
    }

    /// Adds the pods of `kubectl get pods -o wide` (text, with or without the NAMESPACE column) or `-o json`.
    pub fn add_pods(&mut self, text: &str, source: &str) -> Result<&mut Self, SourceError> {
        within_bound(text, source)?;
        let trimmed = text.trim_start();
        if trimmed.starts_with('{') {
            return self.add_pods_json(text, source);
        }
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let (header_no, header) = lines
            .by_ref()
            .find(|(_, l)| {
                l.split_whitespace().next() == Some("NAME")
                    || l.split_whitespace().next() == Some("NAMESPACE")
            })
            .ok_or_else(|| {
                error(
                    source,
                    None,
                    "no header line (NAME ... IP NODE ...): expected `kubectl get pods -o wide`",
                )
            })?;
        let columns: Vec<(usize, &str)> = header
            .match_indices(|c: char| !c.is_whitespace())
            .filter(|(i, _)| *i == 0 || header.as_bytes()[i - 1].is_ascii_whitespace())
            .map(|(i, _)| (i, header[i..].split_whitespace().next().unwrap_or("")))
            .collect();
        let col = |name: &str| columns.iter().position(|(_, n)| *n == name);
        let (Some(name_col), Some(ip_col), Some(node_col)) = (col("NAME"), col("IP"), col("NODE"))
        else {
            return Err(error(
                source,
                Some(header_no + 1),
                "the header has no NAME, IP and NODE columns: use `kubectl get pods -o wide`",
            ));
        };
        let ns_col = col("NAMESPACE");
        for (no, line) in lines {
            let cell = |c: usize| {
                let start = columns[c].0;
                let end = columns.get(c + 1).map_or(line.len(), |(s, _)| *s);
                line.get(start.min(line.len())..end.min(line.len()))
                    .map(str::trim)
                    .unwrap_or("")
            };
            let tokens: Vec<&str> = line.split_whitespace().collect();
            // Aligned columns, or (text copied without its alignment) the first address and the word after it.
            let (name, ip, node, ns) = match parse_ip(cell(ip_col)) {
                Some(ip) => (cell(name_col), ip, cell(node_col), ns_col.map(cell)),
                None => {
                    let Some(i) = tokens.iter().position(|t| parse_ip(t).is_some()) else {
                        if tokens.iter().any(|t| *t == "<none>" || *t == "Pending") {
                            continue;
                        }
                        return Err(error(
                            source,
                            Some(no + 1),
                            format!("no pod IP in {line:?}"),
                        ));
                    };
                    let name_at = usize::from(ns_col.is_some());
                    (
                        tokens.get(name_at).copied().unwrap_or(""),
                        parse_ip(tokens[i]).expect("checked above"),
                        tokens.get(i + 1).copied().unwrap_or(""),
                        ns_col.and(tokens.first().copied()),
                    )
                }
            };
            self.push_pod(Pod {
                name: name.to_string(),
                namespace: ns.filter(|s| !s.is_empty()).map(str::to_string),
                ip,
                node: (!node.is_empty() && node != "<none>").then(|| node.to_string()),
            });
        }
        Ok(self)
    }

    fn add_pods_json(&mut self, text: &str, source: &str) -> Result<&mut Self, SourceError> {
        let doc = kubectl_json(text, source, "pods")?;
        let items = kubectl_items(&doc, source, "Pod", "pods")?;
        for item in items {
            let name = item
                .pointer("/metadata/name")
                .and_then(Json::as_str)
                .unwrap_or("");
            let node = item
                .pointer("/spec/nodeName")
                .and_then(Json::as_str)
                .map(str::to_string);
            if let (Some(n), Some(host)) = (
                &node,
                item.pointer("/status/hostIP")
                    .and_then(Json::as_str)
                    .and_then(parse_ip),
            ) {
                self.merge(Node {
                    name: Some(n.clone()),
                    ips: vec![host],
                    sources: vec![source.to_string()],
                    ..Node::default()
                });
            }
            if item.pointer("/spec/hostNetwork").and_then(Json::as_bool) == Some(true) {
                continue;
            }
            let mut ips: Vec<&str> = item
                .pointer("/status/podIPs")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| p.get("ip")?.as_str())
                .collect();
            if ips.is_empty()
                && let Some(ip) = item.pointer("/status/podIP").and_then(Json::as_str)
            {
                ips.push(ip);
            }
            for ip in ips {
                let ip = parse_ip(ip).ok_or_else(|| {
                    error(
                        source,
                        None,
                        format!("pod {name}: {ip:?} is not an address"),
                    )
                })?;
                self.push_pod(Pod {
                    name: name.to_string(),
                    namespace: item
                        .pointer("/metadata/namespace")
                        .and_then(Json::as_str)
                        .map(str::to_string),
                    ip,
                    node: node.clone(),
                });
            }
        }
        Ok(self)
    }

    /// Adds what was pasted from one node: any mix of `ip -d link show flannel.1`, `bridge fdb show`,
    /// `ip neigh show`, `arp -n`, `ip route`, `route -n` and `/run/flannel/subnet.env`. `node_name` names the
    /// node when the text does not (a shell prompt such as `[root@k8s-node1 ~]#` does).
    pub fn add_node_info(
        &mut self,
        text: &str,
        source: &str,
        node_name: Option<&str>,
    ) -> Result<&mut Self, SourceError> {
        within_bound(text, source)?;
        let info = NodeInfo::parse(text, source)?;
        let name = node_name.map(str::to_string).or(info.prompt_host.clone());
        // The outputs of one node are joined (route, neighbour and fdb tables are often pasted one by one)
        // before they become facts.
        match self.pending_node_info.iter_mut().find(|p| p.name == name) {
            Some(p) => {
                p.info.absorb(info, source, &mut self.conflicts);
                p.sources.push(source.to_string());
            }
            None => self.pending_node_info.push(PendingNodeInfo {
                name,
                info,
                sources: vec![source.to_string()],
            }),
        }
        Ok(self)
    }

    /// Turns the node outputs added so far into node facts.
    pub(crate) fn flush_node_info(&mut self) {
        for p in std::mem::take(&mut self.pending_node_info) {
            self.node_info_facts(p);
        }
    }

    fn node_info_facts(&mut self, pending: PendingNodeInfo) {
        let PendingNodeInfo {
            name,
            info: facts,
            sources,
        } = pending;
        let source = sources.join(", ");
        if let Some(net) = facts.network {
            self.set_network(net, None);
        }
        // This node.
        let mut local = Node {
            name,
            sources: sources.clone(),
            ..Node::default()
        };
        local.vtep_mac = facts.vtep_mac;
        local.vtep_mac_v6 = facts.vtep_mac_v6;
        local.vni = facts.vni;
        local.port = facts.port;
        local.mtu = facts.mtu;
        local.ips.extend(facts.local_ip);
        local.subnets.extend(facts.local_subnets.iter().copied());
        if local.name.is_some()
            || local.vtep_mac.is_some()
            || !local.ips.is_empty()
            || !local.subnets.is_empty()
        {
            self.merge(local);
        }
        // Its peers: route (subnet via X.0) + neighbour (X.0 → VTEP MAC) + fdb (VTEP MAC → node address). An
        // fdb entry for an address whose VTEP MAC the neighbour table names otherwise is stale.
        let stale = |mac: &[u8; 6], ip: &IpBytes| {
            !facts.neighbours.iter().any(|(_, m)| m == mac)
                && facts.fdb.iter().any(|(m, i)| {
                    i == ip && m != mac && facts.neighbours.iter().any(|(_, n)| n == m)
                })
        };
        let live_fdb: HashMap<[u8; 6], IpBytes> = facts
            .fdb
            .iter()
            .filter(|(m, ip)| !stale(m, ip))
            .map(|(m, ip)| (*m, *ip))
            .collect();
        let peer = |ips: Vec<IpBytes>, vtep_mac: Option<[u8; 6]>, subnets: Vec<IpNet>| Node {
            ips,
            vtep_mac,
            subnets,
            sources: sources.clone(),
            ..Node::default()
        };
        let mut peers: Vec<Node> = Vec::new();
        for (net, via) in &facts.tunnel_routes {
            let mac = facts
                .neighbours
                .iter()
                .find(|(ip, _)| ip == via)
                .map(|(_, m)| *m);
            let ip = mac.and_then(|m| live_fdb.get(&m).copied());
            peers.push(peer(ip.into_iter().collect(), mac, vec![*net]));
        }
        for (net, via) in &facts.direct_routes {
            peers.push(peer(vec![*via], None, vec![*net]));
        }
        for (mac, ip) in &facts.fdb {
            if stale(mac, ip) {
                let live: Vec<String> = facts
                    .fdb
                    .iter()
                    .filter(|(m, i)| i == ip && m != mac && !stale(m, i))
                    .map(|(m, _)| mac_text(m))
                    .collect();
                self.conflict(
                    ConflictKind::StaleFdb,
                    format!(
                        "{source}: bridge fdb also sends {} to {ip}, whose VTEP MAC in the neighbour table is {}: a stale entry left by a re-created node",
                        mac_text(mac),
                        live.join(", ")
                    ),
                );
            } else if !peers.iter().any(|p| p.vtep_mac == Some(*mac)) {
                peers.push(peer(vec![*ip], Some(*mac), Vec::new()));
            }
        }
        for p in peers {
            self.merge(p);
        }
    }
}

/// Node outputs waiting to be joined with the rest of the same node's outputs.
#[derive(Debug)]
pub(crate) struct PendingNodeInfo {
    name: Option<String>,
    info: NodeInfo,
    sources: Vec<String>,
}

/// Facts found in a node's pasted command outputs.
#[derive(Debug, Default)]
struct NodeInfo {
    prompt_host: Option<String>,
    vtep_mac: Option<[u8; 6]>,
    vtep_mac_v6: Option<[u8; 6]>,
    vni: Option<u32>,
    port: Option<u16>,
    mtu: Option<u32>,
    local_ip: Option<IpBytes>,
    local_subnets: Vec<IpNet>,
    network: Option<IpNet>,
    /// `bridge fdb`: VTEP MAC → node address.
    fdb: Vec<([u8; 6], IpBytes)>,
    /// `ip neigh` / `arp -n` on flannel devices: VTEP address (X.0) → VTEP MAC.
    neighbours: Vec<(IpBytes, [u8; 6])>,
    /// Routes through flannel.1: pod subnet via VTEP address.
    tunnel_routes: Vec<(IpNet, IpBytes)>,
    /// Routes to pod subnets straight through a node address (DirectRouting, host-gw).
    direct_routes: Vec<(IpNet, IpBytes)>,
}

fn is_flannel_dev(dev: &str) -> bool {
    dev.starts_with("flannel")
}

/// The host in a shell prompt: `[root@k8s-node1 ~]#`, `root@k8s-node1:~#`, `user@host:~$`.
fn prompt_host(line: &str) -> Option<&str> {
    let line = line.trim_start().trim_start_matches('[');
    let (user, rest) = line.split_once('@')?;
    if user.is_empty() || user.contains(char::is_whitespace) {
        return None;
    }
    let end = rest.find([' ', ':', ']'])?;
    let host = &rest[..end];
    let after = &rest[end..];
    (!host.is_empty() && (after.contains('#') || after.contains('$'))).then_some(host)
}

fn after<'a>(tokens: &[&'a str], key: &str) -> Option<&'a str> {
    tokens
        .iter()
        .position(|t| *t == key)
        .and_then(|i| tokens.get(i + 1))
        .copied()
}

impl NodeInfo {
    /// Adds the facts of another output of the same node; a second value for a fact is a conflict.
    fn absorb(&mut self, other: NodeInfo, source: &str, conflicts: &mut Vec<super::Conflict>) {
        fn one<T: PartialEq>(
            slot: &mut Option<T>,
            new: Option<T>,
            what: &str,
            source: &str,
            conflicts: &mut Vec<super::Conflict>,
            show: impl Fn(&T) -> String,
        ) {
            match (slot.as_ref(), new) {
                (None, v) => *slot = v,
                (Some(a), Some(b)) if *a != b => conflicts.push(super::Conflict {
                    kind: ConflictKind::NodeFact,
                    message: format!(
                        "{source}: {what} {} differs from {} given earlier for the same node",
                        show(&b),
                        show(a)
                    ),
                }),
                _ => {}
            }
        }
        let c = conflicts;
        one(
            &mut self.prompt_host,
            other.prompt_host,
            "host name",
            source,
            c,
            ToString::to_string,
        );
        one(
            &mut self.vtep_mac,
            other.vtep_mac,
            "VTEP MAC",
            source,
            c,
            super::mac_text,
        );
        one(
            &mut self.vtep_mac_v6,
            other.vtep_mac_v6,
            "IPv6 VTEP MAC",
            source,
            c,
            super::mac_text,
        );
        one(
            &mut self.vni,
            other.vni,
            "VNI",
            source,
            c,
            ToString::to_string,
        );
        one(
            &mut self.port,
            other.port,
            "VXLAN port",
            source,
            c,
            ToString::to_string,
        );
        one(
            &mut self.mtu,
            other.mtu,
            "MTU",
            source,
            c,
            ToString::to_string,
        );
        one(
            &mut self.local_ip,
            other.local_ip,
            "local address",
            source,
            c,
            ToString::to_string,
        );
        one(
            &mut self.network,
            other.network,
            "network",
            source,
            c,
            ToString::to_string,
        );
        for n in other.local_subnets {
            if !self.local_subnets.contains(&n) {
                self.local_subnets.push(n);
            }
        }
        self.fdb.extend(other.fdb);
        self.neighbours.extend(other.neighbours);
        self.tunnel_routes.extend(other.tunnel_routes);
        self.direct_routes.extend(other.direct_routes);
    }

    fn parse(text: &str, source: &str) -> Result<NodeInfo, SourceError> {
        let mut info = NodeInfo::default();
        let mut device: Option<String> = None;
        let mut recognised = 0usize;
        for (no, raw) in text.lines().enumerate() {
            if let Some(host) = prompt_host(raw) {
                info.prompt_host.get_or_insert_with(|| host.to_string());
                continue;
            }
            // Text pasted from notes may carry `# comments` after the output.
            let line = raw.split(" #").next().unwrap_or("").trim();
            let tokens: Vec<&str> = line.split_whitespace().collect();
            let Some(&first) = tokens.first() else {
                continue;
            };
            let bad = |what: &str, v: &str| {
                error(source, Some(no + 1), format!("{what} {v:?} is not valid"))
            };

            // `ip -d link show`: "4: flannel.1: <...> mtu 1450 ...", then "link/ether MAC", then "vxlan id 1 ...".
            if first.ends_with(':')
                && first[..first.len() - 1].parse::<u32>().is_ok()
                && tokens.len() > 1
            {
                let dev = tokens[1].trim_end_matches(':');
                let dev = dev.split('@').next().unwrap_or(dev).to_string();
                if is_flannel_dev(&dev)
                    && let Some(m) = after(&tokens, "mtu")
                {
                    info.mtu = Some(m.parse().map_err(|_| bad("mtu", m))?);
                }
                device = Some(dev);
                recognised += 1;
                continue;
            }
            let on_flannel = device.as_deref().is_none_or(is_flannel_dev);
            if first == "link/ether" && on_flannel {
                if let Some(m) = tokens.get(1) {
                    let mac = parse_mac(m).ok_or_else(|| bad("MAC", m))?;
                    if device
                        .as_deref()
                        .is_some_and(|d| d.starts_with("flannel-v6"))
                    {
                        info.vtep_mac_v6 = Some(mac);
                    } else {
                        info.vtep_mac = Some(mac);
                    }
                    recognised += 1;
                }
                continue;
            }
            if first == "vxlan" && on_flannel {
                if let Some(id) = after(&tokens, "id") {
                    info.vni = Some(id.parse().map_err(|_| bad("vxlan id", id))?);
                }
                if let Some(ip) = after(&tokens, "local") {
                    info.local_ip = Some(parse_ip(ip).ok_or_else(|| bad("local address", ip))?);
                }
                if let Some(p) = after(&tokens, "dstport") {
                    info.port = Some(p.parse().map_err(|_| bad("dstport", p))?);
                }
                recognised += 1;
                continue;
            }
            // subnet.env
            if let Some((key, value)) = line.split_once('=')
                && key.starts_with("FLANNEL_")
            {
                let value = value.trim().trim_matches('"');
                match key {
                    "FLANNEL_NETWORK" | "FLANNEL_IPV6_NETWORK" => {
                        let net = parse_cidr(value).ok_or_else(|| bad(key, value))?;
                        if key == "FLANNEL_NETWORK" {
                            info.network = Some(net);
                        }
                    }
                    "FLANNEL_SUBNET" | "FLANNEL_IPV6_SUBNET" => {
                        let net = parse_cidr(value).ok_or_else(|| bad(key, value))?;
                        if !info.local_subnets.contains(&net) {
                            info.local_subnets.push(net);
                        }
                    }
                    "FLANNEL_MTU" => info.mtu = Some(value.parse().map_err(|_| bad(key, value))?),
                    _ => {}
                }
                recognised += 1;
                continue;
            }
            // bridge fdb: "MAC dev flannel.1 dst 172.16.100.102 self permanent"
            if let Some(mac) = parse_mac(first) {
                if let Some(dst) = after(&tokens, "dst")
                    && after(&tokens, "dev").is_none_or(is_flannel_dev)
                {
                    let ip = parse_ip(dst).ok_or_else(|| bad("fdb dst", dst))?;
                    info.fdb.push((mac, ip));
                    recognised += 1;
                }
                continue;
            }
            let first_ip = parse_ip(first);
            // ip neigh: "10.244.2.0 dev flannel.1 lladdr b6:72:ae:36:7b:6c PERMANENT"
            if let (Some(ip), Some(ll)) = (first_ip, after(&tokens, "lladdr")) {
                if after(&tokens, "dev").is_none_or(is_flannel_dev) {
                    info.neighbours
                        .push((ip, parse_mac(ll).ok_or_else(|| bad("lladdr", ll))?));
                    recognised += 1;
                }
                continue;
            }
            // arp -n: "10.244.2.0 ether b6:72:ae:36:7b:6c CM flannel.1"
            if let (Some(ip), Some(&"ether"), Some(m)) = (first_ip, tokens.get(1), tokens.get(2)) {
                if tokens.last().is_some_and(|d| is_flannel_dev(d)) {
                    info.neighbours
                        .push((ip, parse_mac(m).ok_or_else(|| bad("MAC", m))?));
                    recognised += 1;
                }
                continue;
            }
            // route -n: "10.244.2.0 10.244.2.0 255.255.255.0 UG 0 0 0 flannel.1"
            if tokens.len() == 8
                && let (Some(dest), Some(gw), Some(len)) =
                    (first_ip, parse_ip(tokens[1]), netmask_len(tokens[2]))
            {
                info.route(
                    IpNet::of(dest, len),
                    (gw != IpBytes::V4([0, 0, 0, 0])).then_some(gw),
                    tokens[7],
                );
                recognised += 1;
                continue;
            }
            // ip route: "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink", "10.244.1.0/24 dev cni0 ... src 10.244.1.1"
            if let (Some(net), Some(dev)) = (parse_cidr(first), after(&tokens, "dev")) {
                let via = after(&tokens, "via").and_then(parse_ip);
                info.route(net, via, dev);
                recognised += 1;
                continue;
            }
        }
        if recognised == 0 {
            return Err(error(
                source,
                None,
                "no flannel facts found: expected the output of `ip -d link show flannel.1`, `bridge fdb show`, \
                 `ip neigh show`, `arp -n`, `ip route`, `route -n` or /run/flannel/subnet.env",
            ));
        }
        Ok(info)
    }

    fn route(&mut self, net: IpNet, via: Option<IpBytes>, dev: &str) {
        let network = self.network.unwrap_or(super::DEFAULT_NETWORK);
        let in_cluster = network.contains(net.addr) && net.prefix > network.prefix;
        match via {
            Some(gw) if is_flannel_dev(dev) => self.tunnel_routes.push((net, gw)),
            None if (dev == "cni0" || dev == "cbr0") && !self.local_subnets.contains(&net) => {
                self.local_subnets.push(net)
            }
            Some(gw) if in_cluster && !network.contains(gw) => self.direct_routes.push((net, gw)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_and_masks() {
        assert_eq!(
            parse_mac("b6:72:Ae:36:7b:6c"),
            Some([0xb6, 0x72, 0xae, 0x36, 0x7b, 0x6c])
        );
        assert_eq!(
            parse_mac("0E-2A-0A-00-01-02"),
            Some([0x0e, 0x2a, 0x0a, 0, 1, 2])
        );
        assert_eq!(parse_mac("b6:72:ae:36:7b"), None);
        assert_eq!(parse_mac("b6:72:ae:36:7b:6c:00"), None);
        assert_eq!(netmask_len("255.255.255.0"), Some(24));
        assert_eq!(netmask_len("255.255.0.0"), Some(16));
        assert_eq!(netmask_len("255.0.255.0"), None);
        assert_eq!(
            parse_cidr("10.244.1.1/24").unwrap().to_string(),
            "10.244.1.0/24"
        );
        assert_eq!(parse_cidr("10.244.1.0/33"), None);
    }

    #[test]
    fn facts_of_one_node_that_disagree_are_conflicts_in_words() {
        let link = include_str!("../../../samples/flannel/seed-node1-link.txt");
        let recreated = link
            .replace("fe:90:c4:18:69:a7", "fe:90:c4:18:69:a8")
            .replace("mtu 1450", "mtu 1400");
        let mut b = TopologyBuilder::new();
        b.add_node_info(link, "link.txt", Some("k8s-node1"))
            .unwrap();
        b.add_node_info(&recreated, "later.txt", Some("k8s-node1"))
            .unwrap();
        let messages: Vec<String> = b.build().conflicts.into_iter().map(|c| c.message).collect();
        assert!(
            messages.contains(
                &"later.txt: VTEP MAC fe:90:c4:18:69:a8 differs from fe:90:c4:18:69:a7 given earlier for the same node"
                    .to_string()
            ),
            "{messages:?}"
        );
        assert!(
            messages.contains(
                &"later.txt: MTU 1400 differs from 1450 given earlier for the same node"
                    .to_string()
            ),
            "{messages:?}"
        );
    }

    #[test]
    fn prompts() {
        assert_eq!(
            prompt_host("[root@k8s-node1 ~]# route -n"),
            Some("k8s-node1")
        );
        assert_eq!(
            prompt_host("root@k8s-node2:~# ip -d link"),
            Some("k8s-node2")
        );
        assert_eq!(
            prompt_host("e2:3f:07:99:Cf:6f dev flannel.1 dst 172.16.100.102 self permanent"),
            None
        );
        assert_eq!(prompt_host("user@example.com wrote"), None);
    }
}
