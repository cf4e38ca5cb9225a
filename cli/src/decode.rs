//! The decoding options of every command that decodes packets (`dissect`, `hexdump`, `topology`, `strip`,
//! `encap`, `remap`): which UDP ports carry which tunnel, how to read 8472, whether GBP is in use, and the
//! flannel topology sources, and the display filter (`-Y`) selecting the packets a command works on. They build the one [`Config`] and [`Topology`] of the run, so every command
//! accepts the same options and means the same by them.

use std::process::ExitCode;

use clap::{Args, ValueEnum};
use vxscope_dissector::filter::Filter;
use vxscope_dissector::flannel::Topology;
use vxscope_dissector::{Config, Dissector};

use crate::topology::TopologyArgs;

/// How to read UDP 8472.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum DecodeAs {
    // VXLAN: what Linux and flannel send.
    #[default]
    Vxlan,
    // OTV: IANA's assignment of the port, and what tcpdump 4.99 prints.
    Otv,
}

/// The decoding options, flattened into each command that decodes.
///
/// `encap` and `remap` give `--port` a meaning of their own (the port written); there the VXLAN port option is
/// spelled `--vxlan-port`, which every command accepts.
#[derive(Args, Clone, Debug, Default)]
pub struct DecodeArgs {
    /// Also decode VXLAN on this UDP port (repeatable; 8472 and 4789 always are)
    #[arg(id = PORTS_ID, long = "port", visible_alias = "vxlan-port", value_name = "PORT")]
    pub ports: Vec<u16>,
    /// Also decode VXLAN-GPE on this UDP port (repeatable; 4790 always is)
    #[arg(long = "gpe-port", value_name = "PORT")]
    pub gpe_ports: Vec<u16>,
    /// How to read UDP 8472: as VXLAN (what Linux and flannel send) or as OTV (IANA's assignment, tcpdump 4.99)
    #[arg(long = "decode-as", value_enum, default_value = "vxlan")]
    pub decode_as: DecodeAs,
    /// The VXLAN Group Based Policy extension is in use (do not report a set G flag)
    #[arg(long)]
    pub gbp: bool,
    /// Only the packets this display filter selects, written as Wireshark writes them
    /// (`vxlan.vni == 1 && inner.icmp`, `inner.ip.dst in 10.244.2.0/24`; `vxscope fields` lists the names)
    #[arg(short = 'Y', long = "display-filter", value_name = "EXPR")]
    pub display_filter: Option<String>,
    #[command(flatten)]
    pub topology: TopologyArgs,
}

/// The argument id of [`DecodeArgs::ports`], for the commands that rename its long option.
pub const PORTS_ID: &str = "vxlan_ports";

/// [`DecodeArgs::ports`] spelled `--vxlan-port` only, for a command whose `--port` means the port it writes.
pub fn vxlan_port_only(arg: clap::Arg) -> clap::Arg {
    arg.long("vxlan-port").visible_alias(None)
}

impl DecodeArgs {
    /// The dissector configuration the options say.
    pub fn config(&self) -> Config {
        let mut config = Config::default();
        config.add_vxlan_ports(&self.ports);
        config.add_gpe_ports(&self.gpe_ports);
        config.decode_8472_as_otv = self.decode_as == DecodeAs::Otv;
        config.gbp = self.gbp;
        config
    }

    /// The display filter, checked against the registries; an error shows the expression and where it is wrong.
    pub fn filter(&self) -> Result<Option<Filter>, String> {
        self.display_filter
            .as_deref()
            .map(|text| Filter::parse(text).map_err(|e| format!("-Y: {}", e.with_expression(text))))
            .transpose()
    }

    /// The display filter, or, when it does not parse, the exit status of the command refused for it: the
    /// error printed after `who` (`vxscope: -Y: column 1: ...`), and status 2, a bad argument, as with tshark.
    pub fn filter_or_exit(&self, who: &str) -> Result<Option<Filter>, ExitCode> {
        self.filter().map_err(|e| {
            eprintln!("{who}: {e}");
            ExitCode::from(2)
        })
    }

    /// The flannel topology of the sources given (flannel's defaults without any).
    pub fn topology(&self) -> Result<Topology, String> {
        self.topology.load()
    }

    /// A dissector of `config` (the options' [`DecodeArgs::config`], or one a command derived from it) over
    /// the options' topology.
    pub fn dissector_of(&self, config: Config) -> Result<Dissector, String> {
        Ok(Dissector::with_topology(config, self.topology()?))
    }

    /// The dissector the options say.
    pub fn dissector(&self) -> Result<Dissector, String> {
        self.dissector_of(self.config())
    }
}
