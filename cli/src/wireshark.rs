//! `vxscope wireshark install|uninstall|status`: the Wireshark plugin (`libvxscope_wireshark.so`, built from
//! `wireshark/`) in the plugin folder of the installed Wireshark.
//!
//! The folders are the ones tshark itself names (`tshark -G folders`), so they are right for the installed
//! version and the user running the command. tshark ignores the personal folder when it runs as root.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Args, Subcommand};

/// The plugin's file name in a plugin folder.
const PLUGIN_FILE: &str = "vxscope.so";
/// The library cargo builds.
const LIBRARY_FILE: &str = "libvxscope_wireshark.so";
/// What the library says it was built for (see `wireshark/build.rs`): this, then `MAJOR.MINOR`.
const BUILT_FOR: &[u8] = b"vxscope wireshark plugin for Wireshark ";

#[derive(Args)]
pub struct WiresharkArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand)]
enum Action {
    /// Install the plugin (built first when this vxscope was built from a source tree) into Wireshark's
    /// plugin folder
    Install(InstallArgs),
    /// Remove the plugin from Wireshark's plugin folder
    Uninstall(Folder),
    /// Which Wireshark is installed, where the plugin is, and whether tshark loads it
    Status,
}

#[derive(Args)]
struct Folder {
    /// The personal plugin folder (~/.local/lib/wireshark/plugins/...): the default unless run as root, since
    /// tshark run as root ignores it
    #[arg(long, conflicts_with = "system")]
    user: bool,
    /// The global plugin folder (/usr/lib/.../wireshark/plugins/...): the default as root
    #[arg(long)]
    system: bool,
}

#[derive(Args)]
struct InstallArgs {
    #[command(flatten)]
    folder: Folder,
    /// Install this library instead of the one built beside vxscope
    #[arg(long, value_name = "PATH")]
    plugin: Option<PathBuf>,
}

pub fn run(args: &WiresharkArgs) -> ExitCode {
    let result = match &args.action {
        Action::Install(a) => install(a),
        Action::Uninstall(f) => uninstall(f),
        Action::Status => status(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vxscope wireshark: {e}");
            ExitCode::FAILURE
        }
    }
}

fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The installed Wireshark, as tshark describes itself.
struct Wireshark {
    /// `tshark --version`'s first line.
    banner: String,
    /// `MAJOR.MINOR`: plugins are built for exactly one.
    major_minor: String,
    personal: PathBuf,
    global: PathBuf,
}

fn tshark(args: &[&str]) -> Result<String, String> {
    let out = Command::new("tshark").args(args).output().map_err(|e| {
        format!("cannot run tshark ({e}): install it (Debian and Ubuntu: apt-get install tshark)")
    })?;
    if !out.status.success() {
        return Err(format!(
            "tshark {} failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Wireshark {
    fn find() -> Result<Wireshark, String> {
        let version = tshark(&["--version"])?;
        let banner = version.lines().next().unwrap_or("").trim().to_string();
        // "TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3)"
        let number = banner
            .split_whitespace()
            .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()) && w.contains('.'))
            .ok_or_else(|| format!("cannot read a version from tshark --version: {banner:?}"))?;
        let mut parts = number.split('.');
        let major_minor = match (parts.next(), parts.next()) {
            (Some(a), Some(b)) => format!("{a}.{b}"),
            _ => {
                return Err(format!(
                    "cannot read a version from tshark --version: {banner:?}"
                ));
            }
        };
        let folders = tshark(&["-G", "folders"])?;
        let folder = |name: &str| {
            folders
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|rest| PathBuf::from(rest.trim_start_matches(':').trim()))
                .ok_or_else(|| format!("tshark -G folders names no {name:?} folder"))
        };
        Ok(Wireshark {
            banner,
            major_minor,
            personal: folder("Personal Plugins")?,
            global: folder("Global Plugins")?,
        })
    }

    /// The folder dissector plugins go in (`epan/` under the plugin folder).
    fn epan_folder(&self, folder: &Folder) -> PathBuf {
        let system = folder.system || (!folder.user && running_as_root());
        let base = if system { &self.global } else { &self.personal };
        base.join("epan")
    }
}

/// The Wireshark major.minor a plugin library was built for, read from its bytes.
fn built_for(library: &Path) -> Result<String, String> {
    let bytes = std::fs::read(library).map_err(|e| format!("{}: {e}", library.display()))?;
    let at = bytes
        .windows(BUILT_FOR.len())
        .position(|w| w == BUILT_FOR)
        .ok_or_else(|| format!("{} is not vxscope's Wireshark plugin", library.display()))?;
    let rest = &bytes[at + BUILT_FOR.len()..];
    let end = rest
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(rest.len())
        .min(16);
    Ok(String::from_utf8_lossy(&rest[..end]).into_owned())
}

/// The source tree this vxscope was built from, if it is still there.
fn source_tree() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    root.join("wireshark/Cargo.toml")
        .is_file()
        .then(|| root.to_path_buf())
}

/// The plugin library: the one given, or the one built beside this executable (built first, or brought up to
/// date, when the source tree is there).
fn library(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    let exe =
        std::env::current_exe().map_err(|e| format!("cannot find the vxscope executable: {e}"))?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    let beside = dir.join(LIBRARY_FILE);
    // Built from a source tree that is still there: bring the plugin up to date beside the executable.
    if let Some(root) = source_tree().filter(|root| dir.starts_with(root)) {
        let mut cargo = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
        cargo
            .current_dir(&root)
            .args(["build", "--quiet", "-p", "vxscope-wireshark"]);
        if dir.file_name() == Some(OsStr::new("release")) {
            cargo.arg("--release");
        }
        if let Some(target) = dir.parent() {
            cargo.arg("--target-dir").arg(target);
        }
        eprintln!(
            "vxscope wireshark: building the plugin in {}",
            root.display()
        );
        let status = cargo
            .status()
            .map_err(|e| format!("cannot run cargo to build the plugin: {e}"))?;
        if !status.success() {
            return Err(format!(
                "building the plugin failed ({status}); see cargo's messages above"
            ));
        }
    }
    if beside.is_file() {
        Ok(beside)
    } else {
        Err(format!(
            "no plugin at {}: build it with cargo build --release -p vxscope-wireshark, or name it with --plugin",
            beside.display()
        ))
    }
}

fn install(args: &InstallArgs) -> Result<(), String> {
    let ws = Wireshark::find()?;
    let library = library(args.plugin.as_deref())?;
    let wanted = built_for(&library)?;
    if wanted != ws.major_minor {
        return Err(format!(
            "{} is built for Wireshark {wanted}, but the installed one is {} ({}): Wireshark loads a plugin only \
             when major.minor match; build it against this Wireshark's headers (libwireshark-dev {})",
            library.display(),
            ws.major_minor,
            ws.banner,
            ws.major_minor
        ));
    }
    let dir = ws.epan_folder(&args.folder);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let dest = dir.join(PLUGIN_FILE);
    // Copied beside its place, then renamed over it: a Wireshark starting meanwhile never loads half a file.
    let temp = dir.join(format!(".{PLUGIN_FILE}.{}", std::process::id()));
    let copied = std::fs::copy(&library, &temp)
        .and_then(|_| std::fs::rename(&temp, &dest))
        .map_err(|e| format!("cannot install {}: {e}", dest.display()));
    if copied.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    copied?;
    println!(
        "installed {} (the plugin for Wireshark {wanted}, from {})",
        dest.display(),
        library.display()
    );
    if dest.starts_with(&ws.personal) && running_as_root() {
        println!(
            "note: tshark and Wireshark run as root ignore the personal plugin folder; for root, install with --system"
        );
    }
    Ok(())
}

fn uninstall(folder: &Folder) -> Result<(), String> {
    let ws = Wireshark::find()?;
    let dest = ws.epan_folder(folder).join(PLUGIN_FILE);
    match std::fs::remove_file(&dest) {
        Ok(()) => println!("removed {}", dest.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("not installed: no {}", dest.display())
        }
        Err(e) => return Err(format!("cannot remove {}: {e}", dest.display())),
    }
    Ok(())
}

fn status() -> Result<(), String> {
    let ws = Wireshark::find()?;
    println!("Wireshark: {} (plugins for {})", ws.banner, ws.major_minor);
    for (name, base) in [("personal", &ws.personal), ("global", &ws.global)] {
        let path = base.join("epan").join(PLUGIN_FILE);
        let state = match built_for(&path) {
            Ok(v) if v == ws.major_minor => format!("installed, for Wireshark {v}"),
            Ok(v) => format!("installed, but for Wireshark {v}: tshark will refuse it"),
            Err(_) if path.exists() => "a file that is not vxscope's plugin".to_string(),
            Err(_) => "not installed".to_string(),
        };
        println!("{name} folder: {}: {state}", path.display());
    }
    let plugins = tshark(&["-G", "plugins"])?;
    match plugins.lines().find(|l| l.starts_with(PLUGIN_FILE)) {
        Some(line) => {
            let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
            println!(
                "tshark -G plugins: lists {} {} ({})",
                cols[0],
                cols.get(1).unwrap_or(&""),
                cols.last().unwrap_or(&"")
            );
        }
        None => println!("tshark -G plugins: does not list {PLUGIN_FILE}"),
    }
    if running_as_root() {
        println!("note: as root, tshark ignores the personal plugin folder");
    }
    Ok(())
}
