//! The flannel topology options shared by the commands (`--nodes`, `--node-info`, `--node-name`, `--pods`,
//! `--annotation-prefix`), and `vxscope topology`: the node table a capture shows.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use vxscope_dissector::flannel::{Session, Topology, TopologyBuilder, TopologySource, mac_text};
use vxscope_dissector::render::FrameView;
use vxscope_dissector::value::IpBytes;
use vxscope_dissector::{Dissection, Dissector};

use crate::decode::DecodeArgs;
use crate::frames::{Consumer, Engine, Flow, Frame, FrameLoop, Record, Selection};
use crate::input::open_capture;

/// Where the flannel topology comes from. Without any of these, flannel's defaults apply.
#[derive(Args, Clone, Debug, Default)]
pub struct TopologyArgs {
    /// `kubectl get nodes -o json` output: node names, pod CIDRs, addresses and flannel's annotations
    #[arg(long, value_name = "FILE")]
    pub nodes: Option<PathBuf>,
    /// Output pasted from a node (`ip -d link show flannel.1`, `bridge fdb show`, `ip neigh`, `arp -n`,
    /// `ip route`, `route -n`, /run/flannel/subnet.env), in any mix; repeatable. NAME=FILE says which node
    /// it comes from; otherwise a shell prompt in the text does, or --node-name
    #[arg(long = "node-info", value_name = "[NAME=]FILE")]
    pub node_info: Vec<String>,
    /// The node the --node-info files come from, when neither NAME=FILE nor a shell prompt says
    #[arg(long = "node-name", value_name = "NAME")]
    pub node_name: Option<String>,
    /// `kubectl get pods -o wide` (text) or `-o json` output: pod names, and which node owns which pod subnet
    #[arg(long, value_name = "FILE")]
    pub pods: Option<PathBuf>,
    /// flannel's annotation prefix, for clusters that changed it (--kube-annotation-prefix)
    #[arg(long = "annotation-prefix", value_name = "PREFIX", default_value = vxscope_dissector::flannel::DEFAULT_ANNOTATION_PREFIX)]
    pub annotation_prefix: String,
}

/// How a source file is named in the output: its file name.
fn label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Reads a source file, at most one byte over the bound the parsers refuse (`flannel::MAX_SOURCE_LEN`), so that
/// a huge file is never held whole.
fn read(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let limit = vxscope_dissector::flannel::MAX_SOURCE_LEN as u64 + 1;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(limit).read_to_end(&mut bytes))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        // Over the bound, cut anywhere: the parsers refuse it for its size.
        Err(e) if e.as_bytes().len() as u64 == limit => {
            Ok(String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
        Err(e) => Err(format!(
            "{}: not UTF-8 (at byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )),
    }
}

/// Splits `NAME=FILE` (unless the whole argument names an existing file).
fn node_info_arg(arg: &str) -> (Option<&str>, &Path) {
    match arg.split_once('=') {
        Some((name, path)) if !Path::new(arg).exists() && !name.is_empty() => {
            (Some(name), Path::new(path))
        }
        _ => (None, Path::new(arg)),
    }
}

impl TopologyArgs {
    /// Reads the sources given and hands each to `each`, in the order nodes, node outputs, pods (the order
    /// in which later sources complete earlier ones).
    pub fn each_source(
        &self,
        mut each: impl FnMut(TopologySource) -> Result<(), String>,
    ) -> Result<(), String> {
        if let Some(p) = &self.nodes {
            let (text, label) = (read(p)?, label(p));
            each(TopologySource::Nodes { text, label })?;
        }
        for arg in &self.node_info {
            let (name, path) = node_info_arg(arg);
            let (text, label) = (read(path)?, label(path));
            let node = name.or(self.node_name.as_deref()).map(str::to_string);
            each(TopologySource::NodeInfo { text, label, node })?;
        }
        if let Some(p) = &self.pods {
            let (text, label) = (read(p)?, label(p));
            each(TopologySource::Pods { text, label })?;
        }
        Ok(())
    }

    /// Builds the topology from the sources given.
    pub fn load(&self) -> Result<Topology, String> {
        let mut b = TopologyBuilder::new();
        b.annotation_prefix(&self.annotation_prefix);
        self.each_source(|s| b.add(&s).map(drop).map_err(|e| e.to_string()))?;
        Ok(b.build())
    }
}

#[derive(Args)]
pub struct TopologyCommand {
    /// Capture files whose VXLAN packets show the topology (pcap or pcapng; - for standard input)
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub decode: DecodeArgs,
}

/// The consumer of `vxscope topology`: without a display filter nothing to do with a frame, the loop's session
/// learns from each; with one, the frames it passes are learnt from again by a session of their own, whose
/// table is printed.
struct Learn<'d> {
    filtered: Option<(&'d Dissector, Session, Dissection<'d>)>,
}

impl Consumer for Learn<'_> {
    fn frame(
        &mut self,
        frame: &Frame<'_>,
        _: &impl FrameView,
        _: Option<&Dissection<'_>>,
    ) -> Result<Flow, String> {
        if let Some((dissector, session, d)) = &mut self.filtered {
            session.dissect(dissector, frame.link_type, frame.data, frame.orig_len, d);
        }
        Ok(Flow::Continue)
    }
}

pub fn run(args: &TopologyCommand) -> ExitCode {
    let dissector = match args.decode.dissector() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("vxscope: {e}");
            return ExitCode::FAILURE;
        }
    };
    let filter = match args.decode.filter_or_exit("vxscope") {
        Ok(f) => f,
        Err(status) => return status,
    };
    let mut learn = Learn {
        filtered: filter
            .is_some()
            .then(|| (&dissector, Session::new(), Dissection::new())),
    };
    let mut frames = FrameLoop::new(
        Engine::Builtin(&dissector),
        Selection::ALL,
        Record::Everything,
    )
    .filtered(filter);
    let mut failed = false;
    for path in &args.files {
        let name = path.display().to_string();
        let result = open_capture(path).and_then(|mut r| frames.run(&name, &mut r, &mut learn));
        if let Err(e) = result {
            eprintln!("vxscope: {e}");
            failed = true;
        }
    }
    let session = match &learn.filtered {
        Some((_, session, _)) => session,
        None => &frames.session,
    };
    print!("{}", table(dissector.topology(), session));
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn join<T>(items: &[T], show: impl Fn(&T) -> String) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.iter().map(show).collect::<Vec<_>>().join(",")
    }
}

/// The node table: every node the sources name or the capture shows, then every conflict.
pub fn table(topo: &Topology, session: &Session) -> String {
    let learned = session.learned();
    let mut rows: Vec<[String; 8]> = Vec::new();
    let mut shown: Vec<IpBytes> = Vec::new();
    for node in &topo.nodes {
        let seen: Vec<_> = learned
            .iter()
            .filter(|l| l.ip.is_some_and(|ip| node.ips.contains(&ip)))
            .collect();
        shown.extend(seen.iter().filter_map(|l| l.ip));
        let mut macs: Vec<[u8; 6]> = node.vtep_mac.into_iter().chain(node.vtep_mac_v6).collect();
        let mut subnets = node.subnets.clone();
        let mut vnis: Vec<u32> = node.vni.into_iter().collect();
        let mut ports: Vec<u16> = node.port.into_iter().collect();
        let (mut sent, mut received) = (0, 0);
        for l in &seen {
            for (m, _) in &l.vtep_macs {
                if !macs.contains(m) {
                    macs.push(*m);
                }
            }
            for s in &l.subnets {
                if !subnets.contains(s) {
                    subnets.push(*s);
                }
            }
            for v in &l.vnis {
                if !vnis.contains(v) {
                    vnis.push(*v);
                }
            }
            for p in &l.ports {
                if !ports.contains(p) {
                    ports.push(*p);
                }
            }
            sent += l.sent;
            received += l.received;
        }
        let mut sources = node.sources.clone();
        if !seen.is_empty() {
            sources.push("capture".to_string());
        }
        rows.push([
            node.name.clone().unwrap_or_else(|| "-".to_string()),
            join(&node.ips, |i| i.to_string()),
            join(&macs, mac_text),
            join(&subnets, |s| s.to_string()),
            join(&vnis, |v| v.to_string()),
            join(&ports, |p| p.to_string()),
            format!("{sent}/{received}"),
            sources.join(", "),
        ]);
    }
    for l in learned {
        let Some(ip) = l.ip else { continue };
        if shown.contains(&ip) {
            continue;
        }
        rows.push([
            "-".to_string(),
            ip.to_string(),
            join(&l.vtep_macs, |(m, _)| mac_text(m)),
            join(&l.subnets, |s| s.to_string()),
            join(&l.vnis, |v| v.to_string()),
            join(&l.ports, |p| p.to_string()),
            format!("{}/{}", l.sent, l.received),
            "capture".to_string(),
        ]);
    }
    let header = [
        "NODE",
        "NODE IP",
        "VTEP MAC",
        "POD SUBNETS",
        "VNI",
        "PORT",
        "SENT/RECEIVED",
        "SOURCES",
    ];
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[&str]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                let _ = write!(s, "{:<w$}  ", c, w = widths[i]);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut out, &header);
    for r in &rows {
        line(&mut out, &r.iter().map(String::as_str).collect::<Vec<_>>());
    }
    let mut conflicts: Vec<String> = topo.conflicts.iter().map(|c| c.message.clone()).collect();
    conflicts.extend(session.conflicts(topo));
    if conflicts.is_empty() {
        out.push_str("\nNo conflicts.\n");
    } else {
        out.push_str("\nConflicts:\n");
        for c in conflicts {
            let _ = writeln!(out, "  - {c}");
        }
    }
    out
}
